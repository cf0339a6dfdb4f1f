#include "common/markup_escape.h"

#include "common/utf8.h"

namespace gleaner {
namespace {

// The length of the UTF-8 sequence a lead byte starts (2 to 4), 0 for a byte that starts none.
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // A document that declares UTF-8 must be UTF-8: an ill-formed byte becomes U+FFFD, as
      // DumpJson does for JSON.
      size_t length = SequenceLength(static_cast<unsigned char>(c));
      if (length != 0 && IsValidUtf8(text.substr(i, length))) {
        out.append(text.substr(i, length));
        i += length - 1;
      } else {
        out += "&#xFFFD;";
      }
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // Control characters other than tab and line breaks are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "&#xFFFD;";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

}  // namespace gleaner
