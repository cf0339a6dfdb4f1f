#include "capacity/seeded_random.h"

#include <cmath>
#include <numbers>

namespace gleaner {

uint64_t StableHash(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t MixSeed(uint64_t seed, uint64_t salt) {
  // splitmix64's finalizer: nearby inputs give unrelated outputs.
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (salt + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double UnitInterval(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

double DrawUnit(std::mt19937_64& random) { return UnitInterval(random()); }

double DrawExponential(std::mt19937_64& random, double mean) {
  return -mean * std::log1p(-DrawUnit(random));
}

double DrawStandardNormal(std::mt19937_64& random) {
  double u1 = 1.0 - DrawUnit(random);  // (0, 1]: log(u1) is finite
  double u2 = DrawUnit(random);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace gleaner
