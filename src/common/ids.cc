#include "common/ids.h"

#include <array>

namespace gleaner {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void AppendHex(std::string& out, uint64_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out.push_back(kHexDigits[(value >> shift) & 0xF]);
  }
}

}  // namespace

std::string UuidV7Generator::Next() {
  int64_t millis = clock_.NowMillis();
  if (millis > last_millis_) {
    last_millis_ = millis;
    sequence_ = static_cast<uint16_t>(random_() & 0x1FF);  // leave headroom below 0xFFF
  } else {
    // Same (or an earlier) millisecond: keep the order by counting up; spill into the next ms.
    ++sequence_;
    if (sequence_ > 0xFFF) {
      ++last_millis_;
      sequence_ = 0;
    }
    millis = last_millis_;
  }
  uint64_t random_bits = random_();
  std::string out;
  out.reserve(36);
  AppendHex(out, static_cast<uint64_t>(millis) >> 16, 8);
  out.push_back('-');
  AppendHex(out, static_cast<uint64_t>(millis) & 0xFFFF, 4);
  out.push_back('-');
  AppendHex(out, 0x7000u | sequence_, 4);
  out.push_back('-');
  AppendHex(out, 0x8000u | ((random_bits >> 48) & 0x3FFF), 4);
  out.push_back('-');
  AppendHex(out, random_bits & 0xFFFFFFFFFFFFull, 12);
  return out;
}

std::string RandomHex(std::mt19937_64& random, int length) {
  std::string out;
  out.reserve(static_cast<size_t>(length));
  while (static_cast<int>(out.size()) < length) {
    uint64_t bits = random();
    for (int i = 0; i < 16 && static_cast<int>(out.size()) < length; ++i) {
      out.push_back(kHexDigits[bits & 0xF]);
      bits >>= 4;
    }
  }
  return out;
}

}  // namespace gleaner
