// The agent protocol's decoders (agent_protocol.h): what the server reads from agents
// (registration, poll, report) and what agents read from the server (registered, work, report
// reply). Input: a first line naming the message, then its JSON body. A message that decodes must
// encode to a body that decodes again, to the same encoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/agent_protocol.h"
#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"

namespace {

template <typename Message>
void RoundTrip(std::string_view body, gleaner::Result<Message> (*decode)(std::string_view),
               std::string (*encode)(const Message&)) {
  gleaner::Result<Message> decoded = decode(body);
  if (!decoded.ok()) return;
  std::string encoded = encode(*decoded);
  gleaner::Result<Message> again = decode(encoded);
  if (!again.ok()) {
    gleaner::fuzz::Finding("an encoded message does not decode: " + again.status().message() +
                           "\n  encoded: " + encoded);
  }
  if (encode(*again) != encoded) {
    gleaner::fuzz::Finding("decode(encode(m)) encodes differently\n  first: " + encoded +
                           "\n  again: " + encode(*again));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gleaner;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string_view message = fuzz::NextLine(body);
  if (message == "registration") {
    RoundTrip<AgentRegistration>(body, DecodeAgentRegistration, EncodeAgentRegistration);
  } else if (message == "registered") {
    RoundTrip<AgentRegistered>(body, DecodeAgentRegistered, EncodeAgentRegistered);
  } else if (message == "poll") {
    RoundTrip<AgentPoll>(body, DecodeAgentPoll, EncodeAgentPoll);
  } else if (message == "work") {
    RoundTrip<AgentWork>(body, DecodeAgentWork, EncodeAgentWork);
  } else if (message == "report") {
    RoundTrip<AgentReport>(body, DecodeAgentReport, EncodeAgentReport);
  } else {
    RoundTrip<AgentReportReply>(body, DecodeAgentReportReply, EncodeAgentReportReply);
  }
  return 0;
}
