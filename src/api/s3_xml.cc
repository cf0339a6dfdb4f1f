#include "api/s3_xml.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "common/ascii.h"

namespace gleaner {
namespace {

constexpr size_t kNotFound = std::string_view::npos;

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Names as XML 1.0 spells them, with every non-ASCII byte allowed (the document is known to be
// UTF-8 by the time names are read).
bool IsNameStart(char c) {
  return IsAsciiLetter(c) || c == '_' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

bool IsNameCharacter(char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// XML 1.0's Char production: what a document, or a character reference, may contain.
bool IsXmlCharacter(uint32_t code_point) {
  return code_point == 0x9 || code_point == 0xA || code_point == 0xD ||
         (code_point >= 0x20 && code_point <= 0xD7FF) ||
         (code_point >= 0xE000 && code_point <= 0xFFFD) ||
         (code_point >= 0x10000 && code_point <= 0x10FFFF);
}

// The offset of the first byte that does not start a well-formed UTF-8 encoding of a character
// XML allows (no overlong forms, surrogates, U+FFFE/U+FFFF or control characters but tab and line
// breaks); kNotFound when there is none.
size_t FirstDisallowedCharacter(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      if (!IsXmlCharacter(lead)) return i;
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t smallest = 0;  // anything below has a shorter encoding
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, code_point = lead & 0x1Fu, smallest = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, code_point = lead & 0x0Fu, smallest = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, code_point = lead & 0x07u, smallest = 0x10000;
    } else {
      return i;
    }
    if (text.size() - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0) != 0x80) return i;
      code_point = code_point << 6 | (continuation & 0x3Fu);
    }
    if (code_point < smallest || !IsXmlCharacter(code_point)) return i;
    i += length;
  }
  return kNotFound;
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Character data as XML delivers it: "\r\n" and a lone "\r" become "\n" (XML 1.0 section 2.11),
// as S3's own parser does, so a key written with a raw "\r" reads the same here as there.
void AppendText(std::string& out, std::string_view raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\r') {
      out += raw[i];
      continue;
    }
    out += '\n';
    if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
  }
}

// -1 when `c` is not a digit in `base` (10 or 16).
int DigitValue(char c, int base) {
  if (c >= '0' && c <= '9') return c - '0';
  if (base == 16 && c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (base == 16 && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Attribute {
  std::string_view name;
  std::string value;
};

// One pass over the document, elements kept on an explicit stack (no recursion).
class XmlParser {
 public:
  explicit XmlParser(std::string_view document) : document_(document) {}

  Result<XmlElement> Parse() {
    if (LookingAt("\xEF\xBB\xBF")) pos_ += 3;  // a byte order mark
    if (LookingAtDeclaration()) GLEANER_RETURN_IF_ERROR(ParseDeclaration());
    while (!AtEnd()) {
      GLEANER_RETURN_IF_ERROR(open_.empty() ? ParseOutsideRoot() : ParseContent());
    }
    if (!open_.empty()) {
      return Error(open_.back().offset,
                   "element <" + std::string(open_.back().qualified_name) + "> is not closed");
    }
    if (!root_) return Error(pos_, "no root element");
    return std::move(*root_);
  }

 private:
  struct OpenElement {
    XmlElement element;
    std::string_view qualified_name;  // as written, prefix and all: what the end tag must repeat
    size_t offset;
  };

  static Status Error(size_t offset, const std::string& what) {
    return Status::InvalidArgument("invalid XML at byte " + std::to_string(offset) + ": " + what);
  }

  bool AtEnd() const { return pos_ >= document_.size(); }
  bool LookingAt(std::string_view text) const { return document_.substr(pos_).starts_with(text); }

  // "<?xml" as a whole target: "<?xml-stylesheet" is another processing instruction.
  bool LookingAtDeclaration() const {
    if (document_.size() - pos_ < 6 || !LookingAt("<?")) return false;
    char after = document_[pos_ + 5];
    return EqualsIgnoringAsciiCase(document_.substr(pos_ + 2, 3), "xml") &&
           (IsWhitespace(after) || after == '?');
  }

  bool SkipWhitespace() {
    size_t start = pos_;
    while (!AtEnd() && IsWhitespace(document_[pos_])) ++pos_;
    return pos_ != start;
  }

  // Between the prolog and the end: whitespace, comments and processing instructions, and the
  // one root element.
  Status ParseOutsideRoot() {
    if (IsWhitespace(document_[pos_])) {
      ++pos_;
      return Status::Ok();
    }
    if (document_[pos_] != '<') {
      return Error(pos_, root_ ? "text after the root element" : "text before the root element");
    }
    if (LookingAt("<!--")) return SkipComment();
    if (LookingAt("<?")) return SkipProcessingInstruction();
    if (LookingAt("<!DOCTYPE")) return Error(pos_, "DTDs (<!DOCTYPE ...>) are not allowed");
    if (LookingAt("<!")) return Error(pos_, "unexpected '<!' outside the root element");
    if (LookingAt("</")) return Error(pos_, "an end tag with no element open");
    if (root_) return Error(pos_, "a second element after the root element");
    return ParseStartTag();
  }

  // Inside an element: character data, references, CDATA, comments, child elements, its end tag.
  Status ParseContent() {
    std::string& text = open_.back().element.text;
    if (document_[pos_] == '&') return ParseReference(text);
    if (document_[pos_] != '<') {
      size_t end = document_.find_first_of("<&", pos_);
      if (end == kNotFound) end = document_.size();
      AppendText(text, document_.substr(pos_, end - pos_));
      pos_ = end;
      return Status::Ok();
    }
    if (LookingAt("<!--")) return SkipComment();
    if (LookingAt("<![CDATA[")) return ParseCdata(text);
    if (LookingAt("<!DOCTYPE")) return Error(pos_, "DTDs (<!DOCTYPE ...>) are not allowed");
    if (LookingAt("<!")) return Error(pos_, "unexpected '<!'");
    if (LookingAt("<?")) return SkipProcessingInstruction();
    if (LookingAt("</")) return ParseEndTag();
    return ParseStartTag();
  }

  Result<std::string_view> ParseName() {
    size_t start = pos_;
    if (AtEnd() || !IsNameStart(document_[pos_])) return Error(pos_, "expected a name");
    while (!AtEnd() && IsNameCharacter(document_[pos_])) ++pos_;
    return document_.substr(start, pos_ - start);
  }

  Status ParseStartTag() {
    size_t start = pos_;
    ++pos_;  // '<'
    Result<std::string_view> qualified_name = ParseName();
    if (!qualified_name.ok()) return qualified_name.status();
    size_t colon = qualified_name->rfind(':');
    std::string_view local_name =
        colon == kNotFound ? *qualified_name : qualified_name->substr(colon + 1);
    if (local_name.empty()) {
      return Error(start, "element name '" + std::string(*qualified_name) + "' has no local part");
    }
    if (open_.size() >= kMaxXmlDepth) {
      return Error(start,
                   "elements nested deeper than " + std::to_string(kMaxXmlDepth) + " levels");
    }
    bool self_closing = false;
    std::vector<Attribute> attributes;  // parsed to be checked, then ignored (xmlns and the like)
    GLEANER_RETURN_IF_ERROR(
        ParseAttributes(start, /*declaration=*/false, &self_closing, &attributes));
    XmlElement element;
    element.name = std::string(local_name);
    if (self_closing) {
      Close(std::move(element));
    } else {
      open_.push_back(OpenElement{std::move(element), *qualified_name, start});
    }
    return Status::Ok();
  }

  Status ParseEndTag() {
    size_t start = pos_;
    pos_ += 2;  // "</"
    Result<std::string_view> name = ParseName();
    if (!name.ok()) return name.status();
    SkipWhitespace();
    if (!LookingAt(">")) return Error(pos_, "expected '>' to end </" + std::string(*name) + ">");
    ++pos_;
    const OpenElement& open = open_.back();
    if (*name != open.qualified_name) {
      return Error(start, "end tag </" + std::string(*name) + "> does not match <" +
                              std::string(open.qualified_name) + "> opened at byte " +
                              std::to_string(open.offset));
    }
    XmlElement element = std::move(open_.back().element);
    open_.pop_back();
    Close(std::move(element));
    return Status::Ok();
  }

  // A complete element goes to its parent, or is the root.
  void Close(XmlElement element) {
    if (open_.empty()) {
      root_ = std::move(element);
    } else {
      open_.back().element.children.push_back(std::move(element));
    }
  }

  // Attributes up to and including the end of the tag that starts at `tag_offset`: '>' or "/>"
  // for a start tag (`self_closing` says which), "?>" for the XML declaration.
  Status ParseAttributes(size_t tag_offset, bool declaration, bool* self_closing,
                         std::vector<Attribute>* attributes) {
    while (true) {
      bool spaced = SkipWhitespace();
      if (AtEnd()) {
        return Error(tag_offset,
                     declaration ? "unterminated XML declaration" : "unterminated start tag");
      }
      if (declaration && LookingAt("?>")) {
        pos_ += 2;
        return Status::Ok();
      }
      if (!declaration && LookingAt(">")) {
        pos_ += 1;
        return Status::Ok();
      }
      if (!declaration && LookingAt("/>")) {
        pos_ += 2;
        *self_closing = true;
        return Status::Ok();
      }
      if (!spaced) return Error(pos_, "expected whitespace or the end of the tag");
      size_t attribute_offset = pos_;
      Result<std::string_view> name = ParseName();
      if (!name.ok()) return name.status();
      SkipWhitespace();
      if (!LookingAt("=")) {
        return Error(pos_, "expected '=' after attribute " + std::string(*name));
      }
      ++pos_;
      SkipWhitespace();
      if (AtEnd() || (document_[pos_] != '"' && document_[pos_] != '\'')) {
        return Error(pos_, "expected a quoted value for attribute " + std::string(*name));
      }
      char quote = document_[pos_++];
      Attribute attribute{*name, ""};
      while (!AtEnd() && document_[pos_] != quote) {
        if (document_[pos_] == '<') return Error(pos_, "'<' in an attribute value");
        if (document_[pos_] == '&') {
          GLEANER_RETURN_IF_ERROR(ParseReference(attribute.value));
        } else {
          attribute.value += document_[pos_++];
        }
      }
      if (AtEnd())
        return Error(attribute_offset, "unterminated value of attribute " + std::string(*name));
      ++pos_;  // the closing quote
      attributes->push_back(std::move(attribute));
    }
  }

  // <?xml version="1.0" encoding="UTF-8"?>: bytes are read as UTF-8, so no other encoding will do.
  Status ParseDeclaration() {
    size_t start = pos_;
    pos_ += 5;  // "<?xml"
    bool unused = false;
    std::vector<Attribute> attributes;
    GLEANER_RETURN_IF_ERROR(ParseAttributes(start, /*declaration=*/true, &unused, &attributes));
    for (const Attribute& attribute : attributes) {
      if (attribute.name == "encoding" && !EqualsIgnoringAsciiCase(attribute.value, "UTF-8")) {
        return Error(start,
                     "only UTF-8 documents are accepted, not encoding=\"" + attribute.value + "\"");
      }
    }
    return Status::Ok();
  }

  Status SkipComment() {
    size_t end = document_.find("-->", pos_ + 4);
    if (end == kNotFound) return Error(pos_, "unterminated comment");
    pos_ = end + 3;
    return Status::Ok();
  }

  Status SkipProcessingInstruction() {
    if (LookingAtDeclaration()) {
      return Error(pos_, "an XML declaration is only allowed at the start of the document");
    }
    size_t start = pos_;
    pos_ += 2;  // "<?"
    Result<std::string_view> target = ParseName();
    if (!target.ok()) return target.status();
    size_t end = document_.find("?>", pos_);
    if (end == kNotFound) return Error(start, "unterminated processing instruction");
    pos_ = end + 2;
    return Status::Ok();
  }

  Status ParseCdata(std::string& text) {
    size_t start = pos_;
    pos_ += 9;  // "<![CDATA["
    size_t end = document_.find("]]>", pos_);
    if (end == kNotFound) return Error(start, "unterminated CDATA section");
    AppendText(text, document_.substr(pos_, end - pos_));
    pos_ = end + 3;
    return Status::Ok();
  }

  // &amp; &lt; &gt; &quot; &apos;, &#NN; and &#xHH; -- there is no DTD to declare any other.
  Status ParseReference(std::string& out) {
    size_t start = pos_;
    size_t semicolon = document_.find(';', pos_);
    std::string_view body = semicolon == kNotFound
                                ? std::string_view()
                                : document_.substr(pos_ + 1, semicolon - pos_ - 1);
    bool plausible = !body.empty() && body.size() <= 32;
    for (char c : body) plausible = plausible && (IsNameCharacter(c) || c == '#');
    if (!plausible) {
      return Error(start, "'&' that does not start an entity or character reference (write &amp;)");
    }
    std::string reference = "&" + std::string(body) + ";";
    if (body == "amp") {
      out += '&';
    } else if (body == "lt") {
      out += '<';
    } else if (body == "gt") {
      out += '>';
    } else if (body == "quot") {
      out += '"';
    } else if (body == "apos") {
      out += '\'';
    } else if (body.front() == '#') {
      int base = body.size() > 1 && body[1] == 'x' ? 16 : 10;
      std::string_view digits = body.substr(base == 16 ? 2 : 1);
      if (digits.empty())
        return Error(start, "character reference " + reference + " has no digits");
      uint32_t code_point = 0;
      for (char c : digits) {
        int digit = DigitValue(c, base);
        if (digit < 0) return Error(start, "bad digit in character reference " + reference);
        // Past U+10FFFF the value stops growing: it is refused below either way, and cannot wrap.
        if (code_point <= 0x10FFFF) code_point = code_point * static_cast<uint32_t>(base) + digit;
      }
      if (!IsXmlCharacter(code_point)) {
        return Error(start, "character reference " + reference + " is not a character XML allows");
      }
      AppendUtf8(out, code_point);
    } else {
      return Error(start, "unknown entity " + reference +
                              " (only &amp; &lt; &gt; &quot; &apos; and character references)");
    }
    pos_ = semicolon + 1;
    return Status::Ok();
  }

  std::string_view document_;
  size_t pos_ = 0;
  std::vector<OpenElement> open_;  // the element being read and its ancestors, root first
  std::optional<XmlElement> root_;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& child : children) {
    if (child.name == child_name) return &child;
  }
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::ChildrenNamed(std::string_view child_name) const {
  std::vector<const XmlElement*> named;
  for (const XmlElement& child : children) {
    if (child.name == child_name) named.push_back(&child);
  }
  return named;
}

Result<XmlElement> ParseXml(std::string_view document) {
  if (document.size() > kMaxXmlDocumentBytes) {
    return Status::InvalidArgument("XML document is too large: " + std::to_string(document.size()) +
                                   " bytes, at most " + std::to_string(kMaxXmlDocumentBytes) +
                                   " (1 MiB)");
  }
  if (document.empty()) return Status::InvalidArgument("XML document is empty");
  size_t bad = FirstDisallowedCharacter(document);
  if (bad != kNotFound) {
    auto byte = static_cast<unsigned char>(document[bad]);
    return Status::InvalidArgument(
        "invalid XML at byte " + std::to_string(bad) + ": " +
        (byte < 0x80 ? "control character " + std::to_string(byte) + " is not allowed in XML"
                     : std::string("not UTF-8, or a character XML does not allow")));
  }
  return XmlParser(document).Parse();
}

}  // namespace gleaner
