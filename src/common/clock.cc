#include "common/clock.h"

#include <chrono>
#include <ctime>

namespace gleaner {

EpochMillis SystemClock::NowMillis() const {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string FormatIso8601Seconds(EpochMillis at) {
  time_t seconds = static_cast<time_t>(at >= 0 ? at / 1000 : (at - 999) / 1000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace gleaner
