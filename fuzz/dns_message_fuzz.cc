// ParseDnsQuery and the answers built from it (src/api/dns_message.h): the queries jobs send to
// the resolver of their network. Input: one DNS message.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/dns_message.h"
#include "fuzz/api_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view message(reinterpret_cast<const char*>(data), size);
  std::optional<gleaner::DnsQuestion> question = gleaner::ParseDnsQuery(message);
  std::string error = gleaner::DnsErrorAnswer(message, gleaner::kDnsFormatError);
  if (size >= 12 && error.size() < 12) gleaner::fuzz::Finding("no error answer to a header");
  if (!question) return 0;
  if (question->end > size || question->name.size() > 253) {
    gleaner::fuzz::Finding("a question read past its message or longer than a name can be");
  }
  std::string answer = gleaner::DnsAddressAnswer(message, *question, {169, 254, 169, 250}, 60);
  // The answer repeats the question, so it parses back to it as a response would.
  std::string as_query = answer;
  as_query[2] = static_cast<char>(as_query[2] & 0x7F);  // clear QR
  as_query[6] = as_query[7] = 0;                        // no answers
  std::optional<gleaner::DnsQuestion> again =
      gleaner::ParseDnsQuery(std::string_view(as_query).substr(0, question->end));
  if (!again || again->name != question->name || again->type != question->type) {
    gleaner::fuzz::Finding("the answer does not repeat the question");
  }
  return 0;
}
