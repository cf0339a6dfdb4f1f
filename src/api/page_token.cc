#include <array>

#include "api/batch_operation_support.h"

namespace gleaner {
namespace {

constexpr std::string_view kTokenPrefix = "gl1.";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int AlphabetIndex(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string EncodePageToken(const std::string& position) {
  std::string token(kTokenPrefix);
  uint32_t bits = 0;
  int bit_count = 0;
  for (unsigned char c : position) {
    bits = (bits << 8) | c;
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      token.push_back(kAlphabet[(bits >> bit_count) & 0x3F]);
    }
  }
  if (bit_count > 0) token.push_back(kAlphabet[(bits << (6 - bit_count)) & 0x3F]);
  return token;
}

Result<std::string> DecodePageToken(const std::string& token) {
  auto invalid = [&token] {
    return Status::InvalidArgument("nextToken \"" + token.substr(0, 64) +
                                   "\" is invalid: pass the nextToken of the previous response");
  };
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() == kTokenPrefix.size()) return invalid();
  std::string position;
  uint32_t bits = 0;
  int bit_count = 0;
  for (size_t i = kTokenPrefix.size(); i < token.size(); ++i) {
    int value = AlphabetIndex(token[i]);
    if (value < 0) return invalid();
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      position.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  if (position.empty()) return invalid();
  return position;
}

}  // namespace gleaner
