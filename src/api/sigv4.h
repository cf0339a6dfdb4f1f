#pragma once

// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html):
// verifying the signature a request carries -- in its Authorization header or, presigned, in its
// query string -- and signing requests gleaner's own clients send. The canonical request is built
// from the request as it arrived (path and query still percent-encoded, as the clients that
// signed them saw them), the way botocore and the AWS SDK for JavaScript v3 build it for every
// service but S3: the path is encoded once more.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"

namespace gleaner {

// What verification needs of a request.
struct SigV4Request {
  std::string method;
  std::string path;   // as sent, percent-encoded
  std::string query;  // as sent, percent-encoded, without '?'
  const std::map<std::string, std::string>* headers = nullptr;  // names in lower case
  std::string_view body;
};

struct SigV4Scope {
  std::string date;     // yyyymmdd
  std::string region;   // us-east-1
  std::string service;  // batch, ec2, ecs, logs, ...
  std::string ToString() const { return date + "/" + region + "/" + service + "/aws4_request"; }
};

enum class SigV4Failure {
  kMissing,     // no signature at all
  kIncomplete,  // an Authorization header or presigned query that lacks a part
  kUnknownKey,  // the access key id is not one of the configured credentials
  kMismatch,    // the signature is not the one the request should have
  kExpired,     // signed more than 5 minutes away from now, or a presigned URL past its expiry
};

struct SigV4Error {
  SigV4Failure failure;
  std::string message;  // AWS's wording where AWS has one
};

struct SigV4Verified {
  std::string access_key_id;
  SigV4Scope scope;
  // The payload once verified: for aws-chunked uploads the decoded content, else empty (the body
  // as it arrived is the payload).
  std::optional<std::string> decoded_body;
  std::map<std::string, std::string> trailers;  // aws-chunked's trailing headers, lower case
};

// The secret access key of an access key id; nullopt when the id is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

// Compares secrets (signatures, tokens) without leaking through timing how much of them matched.
bool SecretsEqual(std::string_view a, std::string_view b);

// Allowed difference between the signing time and now (AWS: 5 minutes).
inline constexpr int64_t kSigV4SkewMillis = 5 * 60 * 1000;

std::variant<SigV4Verified, SigV4Error> VerifySigV4(const SigV4Request& request,
                                                    const SecretLookup& secrets, EpochMillis now);

// ---- signing (gleaner's own client commands) ----

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

// Adds host-independent signing headers (X-Amz-Date, X-Amz-Security-Token when needed,
// Authorization) to `headers`, which must already hold Host and every other header to be signed.
void SignSigV4(const std::string& method, const std::string& path, const std::string& query,
               std::map<std::string, std::string>& headers, std::string_view body,
               const SigV4Credentials& credentials, const std::string& region,
               const std::string& service, EpochMillis now);

// ---- pieces, exposed for tests ----

std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// "20261206T093000Z"
std::string FormatAmzDate(EpochMillis at);
std::optional<EpochMillis> ParseAmzDate(std::string_view text);
// Percent-encodes all but A-Z a-z 0-9 - _ . ~ (and '/' when `keep_slash`).
std::string UriEncode(std::string_view text, bool keep_slash);
std::string CanonicalQueryString(std::string_view raw_query, bool drop_signature);
std::string SigningKey(std::string_view secret, const SigV4Scope& scope);
// aws-chunked: decodes `body` checking each chunk's signature, which chains from `seed_signature`;
// with `signing_key` empty (STREAMING-UNSIGNED-PAYLOAD-TRAILER) only decodes. The trailing headers
// after the last chunk (x-amz-checksum-crc32: ...) go to `trailers` when given, names in lower
// case.
std::variant<std::string, SigV4Error> DecodeAwsChunked(
    std::string_view body, const std::string& signing_key, const std::string& amz_date,
    const SigV4Scope& scope, std::string seed_signature,
    std::map<std::string, std::string>* trailers = nullptr);

}  // namespace gleaner
