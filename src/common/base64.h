#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gleaner {

// Standard base64 (RFC 4648 section 4: '+', '/', '=' padding).
std::string Base64Encode(std::string_view bytes);
// Strict: nullopt unless `text` is exactly what Base64Encode makes of some bytes (length a
// multiple of 4, padding only at the end, unused bits zero, no whitespace), so that a value (a
// checksum, a token) has one spelling.
std::optional<std::string> Base64Decode(std::string_view text);
// Lenient, for what people paste (EC2 user data): whitespace ignored, padding optional; nullopt
// when `text` is still not base64.
std::optional<std::string> Base64DecodeLenient(std::string_view text);

}  // namespace gleaner
