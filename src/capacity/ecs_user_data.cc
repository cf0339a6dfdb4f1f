#include "capacity/ecs_user_data.h"

#include <cctype>
#include <cstdint>

namespace gleaner {
namespace {

constexpr std::string_view kVariable = "ECS_CLUSTER";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsNameCharacter(char c) {
  // Cluster names are [A-Za-z0-9_-]; ARNs add ':' and '/' (and '.' in partitions like aws-cn).
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' ||
         c == '/' || c == '.';
}

bool IsIdentifierCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view text) {
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
    int value = Base64Value(c);
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

std::string EncodeBase64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t bits = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) bits |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    if (i + 2 < bytes.size()) bits |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(bits >> 18) & 63]);
    out.push_back(kAlphabet[(bits >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(bits >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kAlphabet[bits & 63] : '=');
  }
  return out;
}

std::string EcsClusterFromUserData(std::string_view text) {
  std::string cluster;
  size_t position = 0;
  while ((position = text.find(kVariable, position)) != std::string_view::npos) {
    size_t start = position;
    position += kVariable.size();
    if (start > 0 && IsIdentifierCharacter(text[start - 1])) continue;  // MY_ECS_CLUSTER=
    size_t cursor = position;
    while (cursor < text.size() && (text[cursor] == ' ' || text[cursor] == '\t')) ++cursor;
    if (cursor >= text.size() || text[cursor] != '=') continue;
    ++cursor;
    while (cursor < text.size() && (text[cursor] == ' ' || text[cursor] == '\t')) ++cursor;
    while (cursor < text.size() && (text[cursor] == '"' || text[cursor] == '\'')) ++cursor;
    size_t end = cursor;
    while (end < text.size() && IsNameCharacter(text[end])) ++end;
    std::string value(text.substr(cursor, end - cursor));
    if (value.empty()) continue;  // ECS_CLUSTER=$NAME and the like: nothing the agent could use
    size_t slash = value.rfind(":cluster/");
    if (value.starts_with("arn:") && slash != std::string::npos) {
      value = value.substr(slash + std::string_view(":cluster/").size());
    }
    if (!value.empty()) cluster = value;  // the last one wins, as in ecs.config
  }
  return cluster;
}

}  // namespace gleaner
