#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace gleaner {

struct DnsServerOptions {
  // Names answered here: each suffix itself and every name under it ("amazonaws.com").
  std::vector<std::string> served_suffixes;
  std::array<uint8_t, 4> address{};  // what they resolve to (A records; other types: no data)
  uint32_t ttl_seconds = 60;
  // Where every other query goes, and its answer comes back from: IPv4 or IPv6 addresses, port
  // 53, tried in order (the machine's resolv.conf nameservers). Sent from this process's own
  // network, so a resolver on the machine's loopback (127.0.0.53) serves too.
  std::vector<std::string> upstream;
  int forward_timeout_ms = 5000;
};

// The resolver of jobs' networks (what the VPC resolver at 169.254.169.253 is on AWS): answers
// the names gleaner serves itself and forwards the rest. Over UDP, on sockets it is given (made
// inside each job's network namespace); one thread for all of them.
class DnsServer {
 public:
  static Result<std::unique_ptr<DnsServer>> Start(DnsServerOptions options);
  virtual ~DnsServer() = default;
  // Serves a bound UDP socket, which it owns from now on. Returns the id RemoveSocket takes.
  virtual uint64_t AddSocket(int udp_fd) = 0;
  // Stops serving it and closes it (soon, on the server's thread). Unknown ids are ignored.
  virtual void RemoveSocket(uint64_t id) = 0;
};

// The `nameserver` addresses of a resolv.conf.
std::vector<std::string> NameserversOf(std::string_view resolv_conf);

// A resolv.conf for jobs: `nameserver` alone, the machine's search domains and options kept.
std::string JobResolvConf(std::string_view machine_resolv_conf, const std::string& nameserver);

}  // namespace gleaner
