#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace gleaner {

// Building blocks for the simulated market's randomness. Everything derives from one seed, and no
// std::*_distribution is used: their algorithms differ between standard libraries, and one seed
// must mean one exact sequence wherever gleaner is built.

// FNV-1a (64 bit) of `text`: a stable hash for names (std::hash may differ between builds).
uint64_t StableHash(std::string_view text);

// Derives an independent seed for one stream (a pool, a purpose) from the market's seed.
uint64_t MixSeed(uint64_t seed, uint64_t salt);

// Uniform in [0, 1) from the top 53 bits of `bits`.
double UnitInterval(uint64_t bits);

// Exponentially distributed with the given mean (inverse transform).
double DrawExponential(std::mt19937_64& random, double mean);

// Standard normal (Box-Muller, one value per call).
double DrawStandardNormal(std::mt19937_64& random);

// Uniform in [0, 1).
double DrawUnit(std::mt19937_64& random);

}  // namespace gleaner
