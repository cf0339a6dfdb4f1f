// Stored records back into the model (json_codec.h's *FromRecord), from text parsed as the edges
// parse it (ParseJsonText, json_text.h) and as the store's restore parses it (ParseRecordJson,
// then JobFromRecord taking the value). Input: a first line naming the record's kind
// ("compute-environment", "job-queue", "scheduling-policy", "job-definition", anything else: a
// job), then the record. A record that decodes must reproduce itself: FromRecord(ToRecord(x))
// decodes, to the same record.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"
#include "model/json_codec.h"
#include "model/json_text.h"
#include "server/record_json.h"

namespace {

using nlohmann::json;

std::string Show(const json& value) {
  return value.dump(-1, ' ', true, json::error_handler_t::replace);
}

template <typename Model>
void RoundTrip(const json& record, gleaner::Result<Model> (*from_record)(const json&)) {
  gleaner::Result<Model> decoded = from_record(record);
  if (!decoded.ok()) return;
  json stored = gleaner::ToRecord(*decoded);
  gleaner::Result<Model> again = from_record(stored);
  if (!again.ok()) {
    gleaner::fuzz::Finding("a record ToRecord wrote does not decode: " + again.status().message() +
                           "\n  input:  " + Show(record) + "\n  stored: " + Show(stored));
  }
  json stored_again = gleaner::ToRecord(*again);
  if (stored_again != stored || Show(stored_again) != Show(stored)) {
    gleaner::fuzz::Finding("FromRecord(ToRecord(x)) is not x\n  input: " + Show(record) +
                           "\n  first: " + Show(stored) + "\n  again: " + Show(stored_again));
  }
}

gleaner::Result<gleaner::Job> JobFromConstRecord(const json& record) {
  return gleaner::JobFromRecord(record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view kind = gleaner::fuzz::NextLine(text);
  gleaner::Result<json> parsed = gleaner::ParseJsonText(text);
  if (kind == "compute-environment") {
    if (parsed.ok()) RoundTrip(*parsed, gleaner::ComputeEnvironmentFromRecord);
  } else if (kind == "job-queue") {
    if (parsed.ok()) RoundTrip(*parsed, gleaner::JobQueueFromRecord);
  } else if (kind == "scheduling-policy") {
    if (parsed.ok()) RoundTrip(*parsed, gleaner::SchedulingPolicyFromRecord);
  } else if (kind == "job-definition") {
    if (parsed.ok()) RoundTrip(*parsed, gleaner::JobDefinitionFromRecord);
  } else {
    if (parsed.ok()) RoundTrip(*parsed, JobFromConstRecord);
    // The restore's way: the fast parser, then the decoder that moves strings out of the value.
    json fast = gleaner::ParseRecordJson(text);
    if (!fast.is_discarded()) {
      json copy = fast;
      gleaner::Result<gleaner::Job> by_copy = gleaner::JobFromRecord(copy);
      gleaner::Result<gleaner::Job> by_move = gleaner::JobFromRecord(std::move(fast));
      if (by_copy.ok() != by_move.ok() ||
          (by_copy.ok() && gleaner::ToRecord(*by_copy) != gleaner::ToRecord(*by_move))) {
        gleaner::fuzz::Finding(
            "JobFromRecord(json&&) differs from JobFromRecord(const json&)\n"
            "  input: " +
            Show(copy));
      }
    }
  }
  return 0;
}
