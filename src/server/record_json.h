#pragma once

// Parsing the store's JSON records at start-up, where a million of them are parsed at once and
// nlohmann's parser, which keeps every character of the current token for its error messages, is
// most of the restore's time.

#include <nlohmann/json.hpp>

#include <string_view>

namespace gleaner {

// Exactly nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false): the same value, or a
// discarded one when `text` is not JSON. Fast on what nlohmann's dump() writes for records (ASCII
// strings, integers); anything else (floats, \u escapes, UTF-8, errors) is handed to nlohmann's
// parser as a whole.
nlohmann::json ParseRecordJson(std::string_view text);

}  // namespace gleaner
