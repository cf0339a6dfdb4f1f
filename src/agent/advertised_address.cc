#include "agent/advertised_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gleaner {
namespace {

// HOST and PORT of "scheme://HOST[:PORT][/...]" ("[v6]" hosts keep no brackets).
std::pair<std::string, std::string> HostAndPort(const std::string& url) {
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  std::string port = url.starts_with("https://") ? "443" : "80";
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    std::string host = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':') {
      port = rest.substr(close + 2);
    }
    return {host, port};
  }
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return {rest, port};
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

}  // namespace

Result<std::string> LocalAddressTowards(const std::string& server_url) {
  auto [host, port] = HostAndPort(server_url);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  int resolved = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (resolved != 0) {
    return Status::Internal("cannot resolve " + host + ": " + gai_strerror(resolved));
  }
  std::string address;
  std::string problem = "no IPv4 address for " + host;
  for (addrinfo* candidate = found; candidate != nullptr && address.empty();
       candidate = candidate->ai_next) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      problem = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    sockaddr_in local{};
    socklen_t length = sizeof local;
    if (connect(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
      char text[INET_ADDRSTRLEN] = {};
      if (inet_ntop(AF_INET, &local.sin_addr, text, sizeof text) != nullptr) address = text;
    } else {
      problem = "no route to " + host + ": " + std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(found);
  if (address.empty()) return Status::Internal(problem);
  return address;
}

Status CheckIpv4Address(const std::string& address) {
  in_addr parsed{};
  if (inet_pton(AF_INET, address.c_str(), &parsed) != 1) {
    return Status::InvalidArgument("\"" + address +
                                   "\" is not an IPv4 address in dotted-decimal form");
  }
  return Status::Ok();
}

}  // namespace gleaner
