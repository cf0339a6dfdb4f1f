#include "server/record_json.h"

#include <cstdint>
#include <string>
#include <utility>

namespace gleaner {
namespace {

using nlohmann::json;

// Recursive descent over the subset of JSON that nlohmann's dump() writes for gleaner's records.
// Every Parse* returns false as soon as the text leaves that subset, and ParseRecordJson then
// starts over with nlohmann's parser: so whatever this accepts, it must read exactly as nlohmann
// would, and whatever nlohmann would read differently or reject, it must not accept.
class SubsetParser {
 public:
  explicit SubsetParser(std::string_view text) : next_(text.data()), end_(next_ + text.size()) {}

  bool ParseDocument(json& out) {
    SkipWhitespace();
    if (!ParseValue(out, 0)) return false;
    SkipWhitespace();
    return next_ == end_;  // trailing text: nlohmann's to reject
  }

 private:
  // Deeper documents are nlohmann's (which does not recurse); records are a few levels deep.
  static constexpr int kMaxDepth = 64;
  // At most 18 digits: below 10^18, no integer overflows int64_t.
  static constexpr int kMaxDigits = 18;
  // The one-character escapes (the character after the backslash) and what each stands for.
  static constexpr std::string_view kEscapes = "\"\\/bfnrt";
  static constexpr std::string_view kEscaped = "\"\\/\b\f\n\r\t";

  void SkipWhitespace() {
    while (next_ != end_ && (*next_ == ' ' || *next_ == '\n' || *next_ == '\r' || *next_ == '\t')) {
      ++next_;
    }
  }

  bool Consume(char expected) {
    if (next_ == end_ || *next_ != expected) return false;
    ++next_;
    return true;
  }

  bool ConsumeWord(std::string_view word) {
    if (static_cast<size_t>(end_ - next_) < word.size()) return false;
    if (std::string_view(next_, word.size()) != word) return false;
    next_ += word.size();
    return true;
  }

  bool ParseValue(json& out, int depth) {
    if (next_ == end_) return false;
    switch (*next_) {
      case '{':
        return depth < kMaxDepth && ParseObject(out, depth + 1);
      case '[':
        return depth < kMaxDepth && ParseArray(out, depth + 1);
      case '"': {
        std::string value;
        if (!ParseString(value)) return false;
        out = std::move(value);
        return true;
      }
      case 't':
        out = true;
        return ConsumeWord("true");
      case 'f':
        out = false;
        return ConsumeWord("false");
      case 'n':
        out = nullptr;
        return ConsumeWord("null");
      default:
        return ParseInteger(out);
    }
  }

  // The comma-separated items of an object or an array, from its opening bracket to `close`, each
  // read by `item()`.
  template <typename Item>
  bool ParseItems(char close, Item item) {
    ++next_;  // '{' or '['
    SkipWhitespace();
    if (Consume(close)) return true;
    for (;;) {
      if (!item()) return false;
      SkipWhitespace();
      if (Consume(close)) return true;
      if (!Consume(',')) return false;
      SkipWhitespace();
    }
  }

  bool ParseObject(json& out, int depth) {
    out = json::object();
    auto& members = out.get_ref<json::object_t&>();
    return ParseItems('}', [&] {
      std::string key;
      if (!ParseString(key)) return false;
      SkipWhitespace();
      if (!Consume(':')) return false;
      SkipWhitespace();
      // dump() writes members in key order, so the hint is right; a member given twice keeps its
      // last value, as with nlohmann.
      auto member = members.emplace_hint(members.end(), std::move(key), nullptr);
      return ParseValue(member->second, depth);
    });
  }

  bool ParseArray(json& out, int depth) {
    out = json::array();
    auto& items = out.get_ref<json::array_t&>();
    return ParseItems(']', [&] {
      items.emplace_back();
      return ParseValue(items.back(), depth);
    });
  }

  // ASCII text and the one-character escapes; \u escapes, control characters and UTF-8 (which
  // nlohmann validates) are nlohmann's.
  bool ParseString(std::string& out) {
    if (!Consume('"')) return false;
    const char* run = next_;  // the characters not yet copied to `out`
    while (next_ != end_) {
      auto c = static_cast<unsigned char>(*next_);
      if (c == '"') {
        out.append(run, next_);
        ++next_;
        return true;
      }
      if (c < 0x20 || c >= 0x80) return false;
      if (c != '\\') {
        ++next_;
        continue;
      }
      out.append(run, next_);
      if (++next_ == end_) return false;
      size_t escape = kEscapes.find(*next_);
      if (escape == std::string_view::npos) return false;
      out.push_back(kEscaped[escape]);
      run = ++next_;
    }
    return false;
  }

  // An integer as nlohmann keeps it: unsigned unless negative. Fractions, exponents, leading
  // zeros and integers long enough to overflow are nlohmann's.
  bool ParseInteger(json& out) {
    bool negative = Consume('-');
    const char* digits = next_;
    uint64_t value = 0;
    while (next_ != end_ && *next_ >= '0' && *next_ <= '9') {
      value = value * 10 + static_cast<uint64_t>(*next_ - '0');
      ++next_;
    }
    auto count = next_ - digits;
    if (count == 0 || count > kMaxDigits || (count > 1 && *digits == '0')) return false;
    if (next_ != end_ && (*next_ == '.' || *next_ == 'e' || *next_ == 'E')) return false;
    if (negative) {
      out = -static_cast<int64_t>(value);
    } else {
      out = value;
    }
    return true;
  }

  const char* next_;
  const char* end_;
};

}  // namespace

json ParseRecordJson(std::string_view text) {
  json out;
  if (SubsetParser(text).ParseDocument(out)) return out;
  return json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace gleaner
