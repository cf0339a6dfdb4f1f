#include "api/temporary_credentials.h"

#include "api/sigv4.h"
#include "common/base64.h"

namespace gleaner {
namespace {

constexpr std::string_view kPrefix = "ASIA";
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr size_t kIdBytes = 10;  // expiry in minutes (4), nonce (3), tag (3): 16 base32 digits

std::string RawFromHex(std::string_view hex) {
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
  }
  return raw;
}

std::string Base32(std::string_view bytes) {  // 10 bytes → 16 digits, exactly
  std::string out;
  uint64_t bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 5) {
      count -= 5;
      out += kBase32[(bits >> count) & 31];
    }
  }
  return out;
}

std::optional<std::string> FromBase32(std::string_view text) {
  std::string out;
  uint64_t bits = 0;
  int count = 0;
  for (char c : text) {
    int value = c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
    if (value < 0) return std::nullopt;
    bits = (bits << 5) | static_cast<uint64_t>(value);
    count += 5;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

}  // namespace

std::string TemporaryCredentialIssuer::Derive(std::string_view purpose,
                                              std::string_view text) const {
  return RawFromHex(HmacSha256Hex(key_, std::string(purpose) + "|" + std::string(text)));
}

std::string TemporaryCredentialIssuer::Tag(std::string_view text) const {
  std::string tag = Base64Encode(Derive("tag", text).substr(0, 18));
  for (char& c : tag) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return tag;
}

TemporaryCredentials TemporaryCredentialIssuer::Issue(std::string_view subject, EpochMillis now,
                                                      int64_t lifetime_millis) const {
  // Whole minutes, rounded up: never shorter than asked.
  auto expiry_minutes = static_cast<uint32_t>((now + lifetime_millis + 59'999) / 60'000);
  std::string id(kIdBytes, '\0');
  for (int i = 0; i < 4; ++i) id[i] = static_cast<char>((expiry_minutes >> (24 - 8 * i)) & 0xFF);
  std::string nonce = Derive("nonce", std::string(subject) + "|" + std::to_string(now));
  id.replace(4, 3, nonce.substr(0, 3));
  id.replace(7, 3, Derive("id", id.substr(0, 7)).substr(0, 3));
  TemporaryCredentials credentials;
  credentials.access_key_id = std::string(kPrefix) + Base32(id);
  credentials.secret_access_key =
      Base64Encode(Derive("secret", credentials.access_key_id)).substr(0, 40);
  credentials.session_token = Base64Encode(Derive("token", credentials.access_key_id));
  credentials.expiration = static_cast<EpochMillis>(expiry_minutes) * 60'000;
  return credentials;
}

std::optional<std::string> TemporaryCredentialIssuer::SecretFor(std::string_view access_key_id,
                                                                EpochMillis now) const {
  if (!access_key_id.starts_with(kPrefix) || access_key_id.size() != kPrefix.size() + 16) {
    return std::nullopt;
  }
  std::optional<std::string> id = FromBase32(access_key_id.substr(kPrefix.size()));
  if (!id || id->size() != kIdBytes) return std::nullopt;
  if (!SecretsEqual(id->substr(7, 3), Derive("id", id->substr(0, 7)).substr(0, 3))) {
    return std::nullopt;
  }
  uint32_t expiry_minutes = 0;
  for (int i = 0; i < 4; ++i) {
    expiry_minutes = (expiry_minutes << 8) | static_cast<unsigned char>((*id)[i]);
  }
  if (static_cast<EpochMillis>(expiry_minutes) * 60'000 <= now) return std::nullopt;
  return Base64Encode(Derive("secret", access_key_id)).substr(0, 40);
}

bool TemporaryCredentialIssuer::TokenMatches(std::string_view access_key_id,
                                             std::string_view token) const {
  return SecretsEqual(Base64Encode(Derive("token", access_key_id)), token);
}

}  // namespace gleaner
