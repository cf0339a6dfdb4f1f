#pragma once

#include <string_view>

namespace gleaner {

// Whether `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
// U+10FFFF. Everything gleaner echoes back in JSON must be, or the JSON writer refuses it.
bool IsValidUtf8(std::string_view text);

}  // namespace gleaner
