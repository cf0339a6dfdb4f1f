// EventPattern::Parse and Matches (src/events/event_pattern.h): the patterns clients send in
// PutRule and TestEventPattern, matched against events. Input: a pattern, a NUL byte, an event
// (both JSON text); without a NUL, the input is the pattern and matched against itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "events/event_pattern.h"
#include "fuzz/api_world.h"
#include "model/json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t separator = input.find('\0');
  std::string_view pattern_text = input.substr(0, separator);
  std::string_view event_text =
      separator == std::string_view::npos ? pattern_text : input.substr(separator + 1);
  gleaner::Result<gleaner::EventPattern> pattern = gleaner::EventPattern::Parse(pattern_text);
  if (!pattern.ok()) {
    if (pattern.status().message().empty()) gleaner::fuzz::Finding("a refusal without a reason");
    return 0;
  }
  gleaner::Result<nlohmann::json> event = gleaner::ParseJsonText(event_text);
  if (!event.ok()) return 0;
  bool first = pattern->Matches(*event);
  if (pattern->Matches(*event) != first) gleaner::fuzz::Finding("matching is not deterministic");
  return 0;
}
