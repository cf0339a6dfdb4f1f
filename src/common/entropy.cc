#include "common/entropy.h"

#include <sys/random.h>

#include <cstdlib>
#include <cstring>

namespace gleaner {

uint64_t RandomSeed() {
  uint64_t seed = 0;
  std::string bytes = EntropyBytes(sizeof seed);
  std::memcpy(&seed, bytes.data(), sizeof seed);
  return seed;
}

std::string EntropyBytes(size_t count) {
  std::string bytes(count, '\0');
  size_t filled = 0;
  while (filled < count) {
    ssize_t got = getrandom(bytes.data() + filled, count - filled, 0);
    if (got <= 0) std::abort();  // EINTR cannot happen for requests of up to 256 bytes
    filled += static_cast<size_t>(got);
  }
  return bytes;
}

std::string EntropyHex(size_t count) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : EntropyBytes(count)) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xF];
  }
  return hex;
}

}  // namespace gleaner
