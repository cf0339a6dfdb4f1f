#include "common/glob.h"

namespace gleaner {

bool MatchesGlob(std::string_view pattern, std::string_view value, bool question_mark_is_wild) {
  size_t p = 0;
  size_t v = 0;
  size_t star = std::string_view::npos;
  size_t resume = 0;
  while (v < value.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = v;
    } else if (p < pattern.size() &&
               (pattern[p] == value[v] || (question_mark_is_wild && pattern[p] == '?'))) {
      ++p;
      ++v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace gleaner
