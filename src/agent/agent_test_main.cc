// The agent tests' main. The test binary doubles as the attempt shim that the agent under test
// launches ("<binary> attempt-shim --exit-file PATH -- ARGV..."), as the gleaner binary does.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/attempt_shim.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "attempt-shim") {
    return gleaner::RunAttemptShimCommand(std::vector<std::string>(argv + 2, argv + argc));
  }
  testing::InitGoogleMock(&argc, argv);
  return RUN_ALL_TESTS();
}
