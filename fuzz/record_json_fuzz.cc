// The store's fast record parser (src/server/record_json.h) against the parser it stands in for:
// ParseRecordJson(text) must be exactly nlohmann::json::parse(text, nullptr, false), the same
// value or, for text that is not JSON, a discarded one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/api_world.h"
#include "model/json_text.h"
#include "server/record_json.h"

namespace {}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json fast = gleaner::ParseRecordJson(text);
  nlohmann::json reference = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto show = [](const nlohmann::json& value) {
    return value.is_discarded()
               ? std::string("<discarded>")
               : value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  };
  if (!gleaner::JsonIdentical(fast, reference)) {
    gleaner::fuzz::Finding("ParseRecordJson differs from nlohmann's parser\n  fast:      " +
                           show(fast) + "\n  reference: " + show(reference));
  }
  return 0;
}
