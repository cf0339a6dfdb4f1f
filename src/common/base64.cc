#include "common/base64.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace gleaner {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeBase64Values() {
  std::array<int8_t, 256> values{};
  for (auto& value : values) value = -1;
  for (int i = 0; i < 64; ++i)
    values[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
  return values;
}

constexpr std::array<int8_t, 256> kBase64Values = MakeBase64Values();

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                     static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                     static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += kBase64Alphabet[(group >> 18) & 0x3F];
    out += kBase64Alphabet[(group >> 12) & 0x3F];
    out += kBase64Alphabet[(group >> 6) & 0x3F];
    out += kBase64Alphabet[group & 0x3F];
  }
  size_t left = bytes.size() - i;
  if (left == 0) return out;
  uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (left == 2) group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out += kBase64Alphabet[(group >> 18) & 0x3F];
  out += kBase64Alphabet[(group >> 12) & 0x3F];
  out += left == 2 ? kBase64Alphabet[(group >> 6) & 0x3F] : '=';
  out += '=';
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    // Padding: at most two '=', only at the end of the last group.
    size_t padding = 0;
    if (last && text[i + 3] == '=') padding = text[i + 2] == '=' ? 2 : 1;
    uint32_t group = 0;
    for (size_t j = 0; j < 4 - padding; ++j) {
      int8_t value = kBase64Values[static_cast<unsigned char>(text[i + j])];
      if (value < 0) return std::nullopt;
      group |= static_cast<uint32_t>(value) << (18 - 6 * j);
    }
    out += static_cast<char>((group >> 16) & 0xFF);
    if (padding == 2) {
      if ((group & 0xFFFF) != 0) return std::nullopt;  // bits no byte uses
      break;
    }
    out += static_cast<char>((group >> 8) & 0xFF);
    if (padding == 1) {
      if ((group & 0xFF) != 0) return std::nullopt;
      break;
    }
    out += static_cast<char>(group & 0xFF);
  }
  return out;
}

std::optional<std::string> Base64DecodeLenient(std::string_view text) {
  std::string out;
  uint32_t bits = 0;
  int bit_count = 0;
  int padding = 0;
  int significant = 0;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    int value = kBase64Values[static_cast<unsigned char>(c)];
    if (value < 0) return std::nullopt;
    ++significant;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  // One character alone in the last group carries fewer than 8 bits: not base64.
  if (significant % 4 == 1 || padding > 2) return std::nullopt;
  if (padding > 0 && (significant + padding) % 4 != 0) return std::nullopt;
  return out;
}

}  // namespace gleaner
