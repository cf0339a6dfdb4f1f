#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace gleaner {

struct TemporaryCredentials {
  std::string access_key_id;  // "ASIA" + 16 characters, as STS's
  std::string secret_access_key;
  std::string session_token;
  EpochMillis expiration = 0;
};

// The temporary credentials gleaner hands to jobs (a job role's, through the container
// credentials endpoint; an instance profile's, through instance metadata), shaped as STS's. The
// access key id carries its expiry and a tag; the secret and the session token are derived from
// it with a key kept in the data directory. So gleaner keeps nothing per credential, and what it
// issued stays valid across its restarts until it expires.
class TemporaryCredentialIssuer {
 public:
  static constexpr int64_t kLifetimeMillis = 6LL * 3600 * 1000;  // as ECS task credentials

  // `key`: secret bytes, at least 32 of them.
  explicit TemporaryCredentialIssuer(std::string key) : key_(std::move(key)) {}

  // New credentials for `subject` (a job attempt, an instance), valid from `now` for `lifetime`.
  TemporaryCredentials Issue(std::string_view subject, EpochMillis now,
                             int64_t lifetime_millis = kLifetimeMillis) const;
  // The secret of an access key id this issuer made that has not expired at `now`.
  std::optional<std::string> SecretFor(std::string_view access_key_id, EpochMillis now) const;
  // Whether `token` is the session token of `access_key_id` (constant time).
  bool TokenMatches(std::string_view access_key_id, std::string_view token) const;

  // A tag for `text` that only this issuer can make (HMAC, URL-safe): for the credentials
  // endpoint's paths, which name an attempt and must not be guessable.
  std::string Tag(std::string_view text) const;

 private:
  std::string Derive(std::string_view purpose, std::string_view text) const;  // raw HMAC
  std::string key_;
};

}  // namespace gleaner
