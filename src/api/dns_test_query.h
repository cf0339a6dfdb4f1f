#pragma once

#include <cstdint>
#include <string>

namespace gleaner {

// A DNS query as glibc's resolver sends it (recursion desired, one question in class IN), for
// the DNS tests.
inline std::string DnsTestQuery(uint16_t id, const std::string& name, uint16_t type = 1) {
  std::string out = {
      static_cast<char>(id >> 8), static_cast<char>(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  for (;;) {
    size_t dot = name.find('.', start);
    std::string label =
        name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    out.push_back(static_cast<char>(label.size()));
    out += label;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  out.push_back(0);
  out += {static_cast<char>(type >> 8), static_cast<char>(type & 0xFF), 0, 1};
  return out;
}

}  // namespace gleaner
