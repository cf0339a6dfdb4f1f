#include "api/dns_message.h"

namespace gleaner {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr size_t kMostNameBytes = 255;

uint16_t Read16(std::string_view bytes, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(bytes[at]) << 8) |
                               static_cast<uint8_t>(bytes[at + 1]));
}

void Append16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value >> 8));
  out.push_back(static_cast<char>(value & 0xFF));
}

void Append32(std::string& out, uint32_t value) {
  Append16(out, static_cast<uint16_t>(value >> 16));
  Append16(out, static_cast<uint16_t>(value & 0xFFFF));
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// The header of an answer to `query`: its id and opcode, QR, RA, RD as asked, and `rcode`.
std::string AnswerHeader(std::string_view query, bool authoritative, int rcode, uint16_t questions,
                         uint16_t answers) {
  std::string out;
  Append16(out, Read16(query, 0));
  uint8_t asked = static_cast<uint8_t>(query[2]);
  uint8_t flags = static_cast<uint8_t>(0x80 | (asked & 0x78) | (asked & 0x01));  // QR, opcode, RD
  if (authoritative) flags |= 0x04;
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(0x80 | (rcode & 0x0F)));  // RA
  Append16(out, questions);
  Append16(out, answers);
  Append16(out, 0);
  Append16(out, 0);
  return out;
}

}  // namespace

std::optional<uint16_t> DnsMessageId(std::string_view message) {
  if (message.size() < kHeaderBytes) return std::nullopt;
  return Read16(message, 0);
}

std::optional<DnsQuestion> ParseDnsQuery(std::string_view message) {
  if (message.size() < kHeaderBytes) return std::nullopt;
  uint8_t flags = static_cast<uint8_t>(message[2]);
  if ((flags & 0x80) != 0) return std::nullopt;  // a response
  if (Read16(message, 4) != 1 || Read16(message, 6) != 0 || Read16(message, 8) != 0) {
    return std::nullopt;  // one question, no answers or authorities (additional: EDNS, ignored)
  }
  DnsQuestion question;
  question.id = Read16(message, 0);
  question.opcode = (flags >> 3) & 0x0F;
  question.recursion_desired = (flags & 0x01) != 0;
  size_t at = kHeaderBytes;
  size_t name_bytes = 1;
  for (;;) {
    if (at >= message.size()) return std::nullopt;
    uint8_t length = static_cast<uint8_t>(message[at++]);
    if (length == 0) break;
    if ((length & 0xC0) != 0) return std::nullopt;  // a pointer or a reserved label type
    name_bytes += length + 1;
    if (name_bytes > kMostNameBytes || at + length > message.size()) return std::nullopt;
    if (!question.name.empty()) question.name.push_back('.');
    for (size_t i = 0; i < length; ++i) question.name.push_back(Lower(message[at + i]));
    at += length;
  }
  if (at + 4 > message.size()) return std::nullopt;
  question.type = Read16(message, at);
  question.klass = Read16(message, at + 2);
  question.end = at + 4;
  return question;
}

std::string DnsAddressAnswer(std::string_view query, const DnsQuestion& question,
                             const std::array<uint8_t, 4>& address, uint32_t ttl_seconds) {
  bool has_address =
      question.klass == kDnsClassIn && (question.type == kDnsTypeA || question.type == kDnsTypeAny);
  std::string out = AnswerHeader(query, /*authoritative=*/true, 0, 1, has_address ? 1 : 0);
  out.append(query.substr(kHeaderBytes, question.end - kHeaderBytes));
  if (has_address) {
    Append16(out, static_cast<uint16_t>(0xC000 | kHeaderBytes));  // the question's name
    Append16(out, kDnsTypeA);
    Append16(out, kDnsClassIn);
    Append32(out, ttl_seconds);
    Append16(out, 4);
    for (uint8_t byte : address) out.push_back(static_cast<char>(byte));
  }
  return out;
}

std::string DnsErrorAnswer(std::string_view query, int rcode) {
  if (query.size() < kHeaderBytes) return "";
  std::optional<DnsQuestion> question = ParseDnsQuery(query);
  std::string out = AnswerHeader(query, /*authoritative=*/false, rcode, question ? 1 : 0, 0);
  if (question) out.append(query.substr(kHeaderBytes, question->end - kHeaderBytes));
  return out;
}

bool DnsNameIsUnder(std::string_view name, std::string_view suffix) {
  if (!name.ends_with(suffix)) return false;
  return name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '.';
}

}  // namespace gleaner
