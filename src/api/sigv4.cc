#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "common/percent_encoding.h"

namespace gleaner {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::string_view kStreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kStreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
constexpr int64_t kMaxPresignedExpirySeconds = 604'800;  // 7 days, as AWS

std::string Hex(const unsigned char* data, size_t length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (size_t i = 0; i < length; ++i) {
    hex += kDigits[data[i] >> 4];
    hex += kDigits[data[i] & 0xF];
  }
  return hex;
}

std::string Hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

std::string HexOf(std::string_view raw) {
  return Hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A header value as SigV4 signs it: trimmed, runs of spaces made one.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : Trim(value)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Query parameters, decoded, in order of appearance.
std::vector<std::pair<std::string, std::string>> QueryPairs(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& pair : Split(raw_query, '&')) {
    if (pair.empty()) continue;
    size_t equals = pair.find('=');
    std::string_view view(pair);
    pairs.emplace_back(
        PercentDecode(view.substr(0, equals), false),
        equals == std::string::npos ? "" : PercentDecode(view.substr(equals + 1), false));
  }
  return pairs;
}

// The signature's parts, from the Authorization header or the presigned query.
struct SignatureParts {
  std::string access_key_id;
  SigV4Scope scope;
  std::string signed_headers;  // "host;x-amz-date", as given
  std::string signature;
  std::string amz_date;
  bool presigned = false;
  int64_t expires_seconds = 0;
};

SigV4Error Incomplete(std::string message) {
  return {SigV4Failure::kIncomplete, std::move(message)};
}

std::optional<SigV4Error> ParseCredential(std::string_view credential, SignatureParts& parts) {
  std::vector<std::string> pieces = Split(credential, '/');
  if (pieces.size() != 5 || pieces[0].empty() || pieces[1].size() != 8 || pieces[2].empty() ||
      pieces[3].empty() || pieces[4] != "aws4_request") {
    return Incomplete(
        "Credential should be <access key id>/<yyyymmdd>/<region>/<service>/"
        "aws4_request, not '" +
        std::string(credential) + "'");
  }
  parts.access_key_id = pieces[0];
  parts.scope = {pieces[1], pieces[2], pieces[3]};
  return std::nullopt;
}

std::variant<SignatureParts, SigV4Error> FromAuthorization(std::string_view header,
                                                           const SigV4Request& request) {
  SignatureParts parts;
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm) {
    return Incomplete("Authorization header must use " + std::string(kAlgorithm) +
                      " (Signature Version 4)");
  }
  std::map<std::string, std::string> fields;
  for (const std::string& item : Split(header.substr(kAlgorithm.size()), ',')) {
    std::string_view field = Trim(item);
    size_t equals = field.find('=');
    if (equals == std::string_view::npos) continue;
    fields[std::string(Trim(field.substr(0, equals)))] =
        std::string(Trim(field.substr(equals + 1)));
  }
  std::string missing;
  for (const char* name : {"Credential", "Signature", "SignedHeaders"}) {
    if (fields[name].empty()) {
      missing += std::string("Authorization header requires '") + name + "' parameter. ";
    }
  }
  auto date = request.headers->find("x-amz-date");
  if (date == request.headers->end()) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
        "header. ";
  }
  if (!missing.empty()) return Incomplete(missing + "Authorization=" + std::string(header));
  if (auto error = ParseCredential(fields["Credential"], parts)) return *error;
  parts.signed_headers = fields["SignedHeaders"];
  parts.signature = fields["Signature"];
  parts.amz_date = date->second;
  return parts;
}

std::variant<SignatureParts, SigV4Error> FromQuery(
    const std::vector<std::pair<std::string, std::string>>& query) {
  std::map<std::string, std::string> fields;
  for (const auto& [key, value] : query) {
    if (key.rfind("X-Amz-", 0) == 0) fields[key] = value;
  }
  std::string missing;
  for (const char* name : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                           "X-Amz-SignedHeaders", "X-Amz-Signature"}) {
    if (fields[name].empty()) missing += std::string("'") + name + "' ";
  }
  if (!missing.empty()) {
    return Incomplete("A presigned request requires the query parameters " + missing);
  }
  if (fields["X-Amz-Algorithm"] != kAlgorithm) {
    return Incomplete("X-Amz-Algorithm must be " + std::string(kAlgorithm));
  }
  SignatureParts parts;
  parts.presigned = true;
  if (auto error = ParseCredential(fields["X-Amz-Credential"], parts)) return *error;
  parts.signed_headers = fields["X-Amz-SignedHeaders"];
  parts.signature = fields["X-Amz-Signature"];
  parts.amz_date = fields["X-Amz-Date"];
  const std::string& expires = fields["X-Amz-Expires"];
  if (expires.size() > 7 || expires.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(expires) < 1 || std::stoll(expires) > kMaxPresignedExpirySeconds) {
    return Incomplete("X-Amz-Expires must be a number of seconds from 1 to 604800");
  }
  parts.expires_seconds = std::stoll(expires);
  return parts;
}

std::string CanonicalRequest(const SigV4Request& request, const SignatureParts& parts,
                             std::string_view payload_hash) {
  std::string path = request.path.empty() ? "/" : request.path;
  // S3 signs the path encoded once (as its clients send it); every other service encodes the
  // encoded path once more.
  if (parts.scope.service == "s3") path = PercentDecode(path, /*plus_is_space=*/false);
  std::string canonical = request.method + "\n" + UriEncode(path, /*keep_slash=*/true) + "\n" +
                          CanonicalQueryString(request.query, parts.presigned) + "\n";
  for (const std::string& name : Split(parts.signed_headers, ';')) {
    auto header = request.headers->find(name);
    canonical += name + ":" +
                 (header == request.headers->end() ? "" : CanonicalHeaderValue(header->second)) +
                 "\n";
  }
  canonical += "\n" + parts.signed_headers + "\n";
  canonical += payload_hash;
  return canonical;
}

std::string StringToSign(const std::string& amz_date, const SigV4Scope& scope,
                         std::string_view canonical_request) {
  return std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope.ToString() + "\n" +
         Sha256Hex(canonical_request);
}

std::optional<SigV4Error> CheckTime(const SignatureParts& parts, EpochMillis now) {
  std::optional<EpochMillis> signed_at = ParseAmzDate(parts.amz_date);
  if (!signed_at) {
    return Incomplete("X-Amz-Date must be in ISO 8601 basic format, yyyyMMddTHHmmssZ, not '" +
                      parts.amz_date + "'");
  }
  if (parts.scope.date != parts.amz_date.substr(0, 8)) {
    return SigV4Error{SigV4Failure::kMismatch,
                      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                      "date from HTTP: '" +
                          parts.scope.date + "' != '" + parts.amz_date.substr(0, 8) + "'"};
  }
  if (parts.presigned) {
    if (*signed_at - kSigV4SkewMillis > now) {
      return SigV4Error{SigV4Failure::kExpired, "Request is not yet valid"};
    }
    if (now > *signed_at + parts.expires_seconds * 1000) {
      return SigV4Error{SigV4Failure::kExpired, "Request has expired"};
    }
    return std::nullopt;
  }
  if (*signed_at < now - kSigV4SkewMillis) {
    return SigV4Error{SigV4Failure::kExpired, "Signature expired: " + parts.amz_date +
                                                  " is now earlier than " +
                                                  FormatAmzDate(now - kSigV4SkewMillis) + " (" +
                                                  FormatAmzDate(now) + " - 5 min.)"};
  }
  if (*signed_at > now + kSigV4SkewMillis) {
    return SigV4Error{SigV4Failure::kExpired, "Signature not yet current: " + parts.amz_date +
                                                  " is still later than " +
                                                  FormatAmzDate(now + kSigV4SkewMillis) + " (" +
                                                  FormatAmzDate(now) + " + 5 min.)"};
  }
  return std::nullopt;
}

}  // namespace

bool SecretsEqual(std::string_view a, std::string_view b) {
  // The length is not secret (a signature's is fixed; a token's is the operator's choice).
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return HexOf(Hmac(key, data));
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return Hex(digest.data(), digest.size());
}

std::string FormatAmzDate(EpochMillis at) {
  std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[20];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

std::optional<EpochMillis> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  auto number = [&text](size_t at, size_t length) {
    int value = 0;
    for (size_t i = at; i < at + length; ++i) value = value * 10 + (text[i] - '0');
    return value;
  };
  std::tm tm{};
  tm.tm_year = number(0, 4) - 1900;
  tm.tm_mon = number(4, 2) - 1;
  tm.tm_mday = number(6, 2);
  tm.tm_hour = number(9, 2);
  tm.tm_min = number(11, 2);
  tm.tm_sec = number(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return static_cast<EpochMillis>(timegm(&tm)) * 1000;
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kDigits[] = "0123456789ABCDEF";
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    }
  }
  return out;
}

std::string CanonicalQueryString(std::string_view raw_query, bool drop_signature) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [key, value] : QueryPairs(raw_query)) {
    if (drop_signature && key == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(key, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string canonical;
  for (const auto& [key, value] : encoded) {
    if (!canonical.empty()) canonical += '&';
    canonical += key + "=" + value;
  }
  return canonical;
}

namespace {

// "name:value\r\n" lines up to an empty one (or the end).
void ReadTrailers(std::string_view body, std::map<std::string, std::string>& trailers) {
  while (!body.empty()) {
    size_t end = body.find("\r\n");
    std::string_view line = body.substr(0, end);
    if (line.empty()) return;
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
      }
      trailers[name] = std::string(value);
    }
    if (end == std::string_view::npos) return;
    body.remove_prefix(end + 2);
  }
}

}  // namespace

std::string SigningKey(std::string_view secret, const SigV4Scope& scope) {
  std::string key = Hmac("AWS4" + std::string(secret), scope.date);
  key = Hmac(key, scope.region);
  key = Hmac(key, scope.service);
  return Hmac(key, "aws4_request");
}

std::variant<std::string, SigV4Error> DecodeAwsChunked(
    std::string_view body, const std::string& signing_key, const std::string& amz_date,
    const SigV4Scope& scope, std::string seed_signature,
    std::map<std::string, std::string>* trailers) {
  auto malformed = [](const std::string& why) {
    return SigV4Error{SigV4Failure::kIncomplete, "Malformed aws-chunked body: " + why};
  };
  static const std::string kEmptyHash = Sha256Hex("");
  std::string decoded;
  std::string previous = std::move(seed_signature);
  while (true) {
    size_t line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) return malformed("a chunk header has no CRLF");
    std::string_view header = body.substr(0, line_end);
    body.remove_prefix(line_end + 2);
    size_t semicolon = header.find(';');
    std::string_view size_text = header.substr(0, semicolon);
    if (size_text.empty() || size_text.size() > 8) return malformed("bad chunk size");
    size_t size = 0;
    for (char c : size_text) {
      int digit = HexDigitValue(c);
      if (digit < 0) return malformed("bad chunk size");
      size = size * 16 + static_cast<size_t>(digit);
    }
    if (body.size() < size + (size > 0 ? 2 : 0)) return malformed("a chunk is truncated");
    std::string_view data = body.substr(0, size);
    if (!signing_key.empty()) {
      constexpr std::string_view kSignatureField = "chunk-signature=";
      size_t field = header.find(kSignatureField);
      if (field == std::string_view::npos) return malformed("a chunk has no chunk-signature");
      std::string_view presented = header.substr(field + kSignatureField.size());
      std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date + "\n" + scope.ToString() +
                            "\n" + previous + "\n" + kEmptyHash + "\n" + Sha256Hex(data);
      std::string expected = HexOf(Hmac(signing_key, to_sign));
      if (!SecretsEqual(expected, presented)) {
        return SigV4Error{SigV4Failure::kMismatch,
                          "The chunk signature we calculated does not match the one you provided"};
      }
      previous = expected;
    }
    if (size == 0) {  // trailing headers, if any, follow; they are not content
      if (trailers != nullptr) ReadTrailers(body, *trailers);
      return decoded;
    }
    decoded.append(data);
    body.remove_prefix(size);
    if (body.substr(0, 2) != "\r\n") return malformed("a chunk does not end with CRLF");
    body.remove_prefix(2);
  }
}

std::variant<SigV4Verified, SigV4Error> VerifySigV4(const SigV4Request& request,
                                                    const SecretLookup& secrets, EpochMillis now) {
  std::vector<std::pair<std::string, std::string>> query = QueryPairs(request.query);
  bool presigned = std::any_of(query.begin(), query.end(), [](const auto& pair) {
    return pair.first == "X-Amz-Signature" || pair.first == "X-Amz-Credential";
  });
  auto authorization = request.headers->find("authorization");
  std::variant<SignatureParts, SigV4Error> parsed;
  if (authorization != request.headers->end()) {
    parsed = FromAuthorization(authorization->second, request);
  } else if (presigned) {
    parsed = FromQuery(query);
  } else {
    return SigV4Error{SigV4Failure::kMissing, "Missing Authentication Token"};
  }
  if (auto* error = std::get_if<SigV4Error>(&parsed)) return *error;
  const SignatureParts& parts = std::get<SignatureParts>(parsed);
  std::vector<std::string> signed_headers = Split(parts.signed_headers, ';');
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end()) {
    return Incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  std::optional<std::string> secret = secrets(parts.access_key_id);
  if (!secret) {
    return SigV4Error{SigV4Failure::kUnknownKey,
                      "The security token included in the request is invalid."};
  }
  if (auto error = CheckTime(parts, now)) return *error;

  std::string payload_hash;
  auto content_hash = request.headers->find("x-amz-content-sha256");
  if (content_hash != request.headers->end()) {
    payload_hash = content_hash->second;
    bool literal = payload_hash == kUnsignedPayload || payload_hash == kStreamingSigned ||
                   payload_hash == kStreamingUnsignedTrailer;
    if (!literal && payload_hash != Sha256Hex(request.body)) {
      return SigV4Error{SigV4Failure::kMismatch,
                        "The provided 'x-amz-content-sha256' header does not match what was "
                        "computed."};
    }
  } else {
    // Presigned S3 URLs leave the payload unsigned; every other service signs the body (botocore
    // and the SDKs do so for presigned URLs too: an empty body's hash for a GET).
    payload_hash = parts.presigned && parts.scope.service == "s3" ? std::string(kUnsignedPayload)
                                                                  : Sha256Hex(request.body);
  }
  std::string signing_key = SigningKey(*secret, parts.scope);
  std::string to_sign =
      StringToSign(parts.amz_date, parts.scope, CanonicalRequest(request, parts, payload_hash));
  std::string expected = HexOf(Hmac(signing_key, to_sign));
  if (!SecretsEqual(expected, parts.signature)) {
    return SigV4Error{SigV4Failure::kMismatch,
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult the "
                      "service documentation for details."};
  }
  SigV4Verified verified{parts.access_key_id, parts.scope, std::nullopt, {}};
  if (payload_hash == kStreamingSigned || payload_hash == kStreamingUnsignedTrailer) {
    auto decoded = DecodeAwsChunked(request.body,
                                    payload_hash == kStreamingSigned ? signing_key : std::string(),
                                    parts.amz_date, parts.scope, expected, &verified.trailers);
    if (auto* error = std::get_if<SigV4Error>(&decoded)) return *error;
    verified.decoded_body = std::move(std::get<std::string>(decoded));
  }
  return verified;
}

void SignSigV4(const std::string& method, const std::string& path, const std::string& query,
               std::map<std::string, std::string>& headers, std::string_view body,
               const SigV4Credentials& credentials, const std::string& region,
               const std::string& service, EpochMillis now) {
  std::string amz_date = FormatAmzDate(now);
  headers["X-Amz-Date"] = amz_date;
  if (!credentials.session_token.empty()) {
    headers["X-Amz-Security-Token"] = credentials.session_token;
  }
  std::map<std::string, std::string> lower;  // sorted by lower-case name: the signed order
  for (const auto& [name, value] : headers) {
    std::string key = name;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (key == "authorization" || key == "content-length" || key == "connection") continue;
    lower[key] = value;
  }
  SignatureParts parts;
  parts.access_key_id = credentials.access_key_id;
  parts.scope = {amz_date.substr(0, 8), region, service};
  parts.amz_date = amz_date;
  for (const auto& [name, value] : lower) {
    parts.signed_headers += (parts.signed_headers.empty() ? "" : ";") + name;
  }
  SigV4Request request{method, path, query, &lower, body};
  std::string to_sign =
      StringToSign(amz_date, parts.scope, CanonicalRequest(request, parts, Sha256Hex(body)));
  std::string signature =
      HexOf(Hmac(SigningKey(credentials.secret_access_key, parts.scope), to_sign));
  headers["Authorization"] = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                             "/" + parts.scope.ToString() +
                             ", SignedHeaders=" + parts.signed_headers + ", Signature=" + signature;
}

}  // namespace gleaner
