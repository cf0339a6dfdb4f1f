#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gleaner {

// The question of a DNS query (RFC 1035), as a job's resolver sends it.
struct DnsQuestion {
  uint16_t id = 0;
  int opcode = 0;                  // 0: QUERY
  bool recursion_desired = false;  // RD
  std::string name;                // lower case, no trailing dot; "" for the root
  uint16_t type = 0;               // 1: A, 28: AAAA, 255: ANY
  uint16_t klass = 0;              // 1: IN
  size_t end = 0;                  // where the question ends in the message
};

constexpr uint16_t kDnsTypeA = 1;
constexpr uint16_t kDnsTypeAny = 255;
constexpr uint16_t kDnsClassIn = 1;
constexpr int kDnsFormatError = 1;
constexpr int kDnsServerFailure = 2;
constexpr int kDnsNotImplemented = 4;

// A query's header and its one question. nullopt for a response, a message with no question or
// more than one, or one cut short. (Queries do not compress their one name; a pointer is refused.)
std::optional<DnsQuestion> ParseDnsQuery(std::string_view message);

// The id of any message of at least a header, to answer it; nullopt for less.
std::optional<uint16_t> DnsMessageId(std::string_view message);

// An authoritative answer to `query` (its bytes and what ParseDnsQuery read): an A record with
// `address` when the question asks for A or ANY in class IN, no records otherwise (the name is
// there, with no data of that type).
std::string DnsAddressAnswer(std::string_view query, const DnsQuestion& question,
                             const std::array<uint8_t, 4>& address, uint32_t ttl_seconds);

// An answer carrying only `rcode` (kDnsFormatError, ...), with the query's id and, when it could
// be read, its question.
std::string DnsErrorAnswer(std::string_view query, int rcode);

// Whether `name` (lower case) is `suffix` or a name under it.
bool DnsNameIsUnder(std::string_view name, std::string_view suffix);

}  // namespace gleaner
