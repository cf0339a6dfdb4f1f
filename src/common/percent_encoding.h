#pragma once

#include <string>
#include <string_view>

namespace gleaner {

// The value of a hexadecimal digit, or -1.
int HexDigitValue(char c);

// Percent-decoding of a URL path segment or query component: %XX becomes its byte, a malformed
// escape stays as written, and '+' becomes a space when `plus_is_space` (form encoding).
std::string PercentDecode(std::string_view text, bool plus_is_space);

}  // namespace gleaner
