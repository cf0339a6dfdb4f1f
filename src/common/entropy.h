#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gleaner {

// Randomness from the machine, for what gleaner does not have to repeat: a seed for a generator
// started without one (--seed), the prefix of request ids, a key that must not be guessed. The one
// place besides the seeded generators where randomness enters; everything that should repeat in a
// test or the simulation takes a seed instead (a ctest checks that nothing outside common reads
// std::random_device).
uint64_t RandomSeed();
// `count` bytes from the kernel's random source (getrandom), fit for keys. Aborts if the kernel
// cannot give them (it always can once booted).
std::string EntropyBytes(size_t count);
// `count` such bytes as 2 x count lower-case hex digits (tokens and secrets kept as text).
std::string EntropyHex(size_t count);

}  // namespace gleaner
