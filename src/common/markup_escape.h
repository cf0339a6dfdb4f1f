#pragma once

#include <string>
#include <string_view>

namespace gleaner {

// `text` as XML (and HTML) character data or attribute value: & < > " escaped, and control
// characters XML 1.0 does not allow (all but tab and line breaks) and bytes that are not UTF-8
// replaced by U+FFFD.
std::string XmlEscape(std::string_view text);

}  // namespace gleaner
