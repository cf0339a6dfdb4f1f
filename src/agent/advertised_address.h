#pragma once

// The IPv4 address an agent tells the server its attempts are reached at (multi-node jobs'
// AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS).

#include <string>

#include "common/status.h"

namespace gleaner {

// The local address this machine reaches `server_url`'s host from ("http://HOST:PORT"): the
// address of the interface the route to the server leaves by, which the server's other agents
// can reach when they share its network. Found with a UDP socket's connect (nothing is sent).
Result<std::string> LocalAddressTowards(const std::string& server_url);

// `address` when it is an IPv4 address in dotted-decimal form; otherwise why not.
Status CheckIpv4Address(const std::string& address);

}  // namespace gleaner
