#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace gleaner {

// JSON text in and out at gleaner's edges, where the bytes come from outside.
//
// ParseJsonText accepts exactly one JSON document: a NUL byte anywhere (nlohmann's lexer would
// take it as the end of the input and ignore the rest), bytes that are not UTF-8, or anything after
// the document is an InvalidArgument Status, never an exception.
Result<nlohmann::json> ParseJsonText(std::string_view text);

// Serializes without throwing: a string that is not UTF-8 (an echoed path or header) has its bad
// bytes replaced by U+FFFD instead of aborting the thread that answers.
std::string DumpJson(const nlohmann::json& value);

// Equal and of the same types throughout: nlohmann's == calls 1 and 1u, or 1 and 1.0, equal. Two
// discarded values are identical.
bool JsonIdentical(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace gleaner
