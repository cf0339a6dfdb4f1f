// gleaner-attempt-shim: the attempt shim (attempt_shim.h) as a program of its own, which starts in
// a fraction of the time the whole gleaner binary takes. `gleaner up` runs every local attempt
// under it. Takes the words of `gleaner attempt-shim`, with or without that first word.
#include <string>
#include <string_view>
#include <vector>

#include "runtime/attempt_shim.h"

int main(int argc, char** argv) {
  int first = argc >= 2 && std::string_view(argv[1]) == "attempt-shim" ? 2 : 1;
  return gleaner::RunAttemptShimCommand(std::vector<std::string>(argv + first, argv + argc));
}
