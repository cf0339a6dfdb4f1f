#pragma once

#include <string_view>

namespace gleaner {

// Glob matching: '*' matches any run of characters (also none) and, when `question_mark_is_wild`,
// '?' matches any one character (EC2 filters); everything else matches itself, case-sensitively.
// Backtracks to the last '*' only: at most |pattern| x |value| steps, never exponential.
bool MatchesGlob(std::string_view pattern, std::string_view value, bool question_mark_is_wild);

}  // namespace gleaner
