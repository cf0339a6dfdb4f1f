#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gleaner {

// An invariant gleaner's own code keeps: not one an input can break (those are Status errors),
// but a state the code believes impossible. GLEANER_CHECK(condition, what) counts a failure
// (CheckFailures) and throws it as CheckFailure. Like Envoy's ENVOY_BUG, the request or scheduling
// pass it happens in fails -- Contain turns it into an Internal error and the log names the check
// -- while the server goes on with everyone else's work; tests and the simulation fail on the
// count. `what` is evaluated only when the check fails.
class CheckFailure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void FailCheck(const char* condition, std::string_view what, const char* file,
                            int line);
// How many checks have failed in this process, and the last one's text ("file:line: condition:
// what"), empty when none has.
int64_t CheckFailures();
std::string LastCheckFailure();

}  // namespace gleaner

#define GLEANER_CHECK(condition, what)                              \
  do {                                                              \
    if (!(condition)) [[unlikely]] {                                \
      ::gleaner::FailCheck(#condition, (what), __FILE__, __LINE__); \
    }                                                               \
  } while (false)
