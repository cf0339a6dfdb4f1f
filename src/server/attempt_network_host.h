#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/http_server.h"
#include "runtime/attempt_networks.h"
#include "runtime/network_namespace.h"

namespace gleaner {

// What answers inside an attempt's network.
struct AttemptNetworkServices {
  // gleaner's whole endpoint, on the attempt's own loopback at the address and port it has on the
  // host's (so AWS_ENDPOINT_URL is the same inside and out). Empty host: not served inside (the
  // endpoint listens on an address the attempt reaches through its outbound network).
  HttpHandler endpoint;
  std::string endpoint_host;  // "127.0.0.1"
  uint16_t endpoint_port = 0;
  bool endpoint_tls = false;
  // The instance metadata service of an instance, at 169.254.169.254:80.
  std::function<HttpHandler(const std::string& instance_id)> instance_metadata;
  // Every attempt gets a namespace; false: only attempts on a (simulated) instance, whose
  // metadata is worth the namespace's cost (slirp4netns: about 30 ms and 6 ms of CPU per start).
  bool every_attempt = false;
  // ECS's task metadata endpoint at 169.254.170.2:80 (the container credentials, /v2/credentials/).
  HttpHandler task_metadata;
};

// AttemptNetworks over network namespaces (network_namespace.h): each attempt gets one with
// 169.254.169.254 and 169.254.170.2 on its loopback, served by this HTTP server through sockets
// made inside it, and outbound access through slirp4netns. Nothing on the host's network changes.
class AttemptNetworkHost final : public AttemptNetworks {
 public:
  AttemptNetworkHost(HttpServer& server, AttemptNetworkServices services)
      : server_(server), services_(std::move(services)) {}
  ~AttemptNetworkHost() override;

  Result<std::string> Prepare(const AttemptNetworkRequest& request) override;
  bool Gives(const AttemptNetworkRequest& request) const override {
    return !request.instance_id.empty() || services_.every_attempt;
  }
  void Release(const std::string& job_id, int attempt) override;

  static constexpr const char* kInstanceMetadataAddress = "169.254.169.254";
  static constexpr const char* kTaskMetadataAddress = "169.254.170.2";

 private:
  struct Network {
    std::unique_ptr<NetworkNamespace> space;
    std::vector<uint64_t> listeners;
  };
  Status Serve(Network& network, const std::string& address, uint16_t port, HttpHandler handler,
               bool tls);
  void Close(Network& network);

  HttpServer& server_;
  AttemptNetworkServices services_;
  std::mutex mutex_;
  std::map<std::pair<std::string, int>, Network> networks_;  // by job id and attempt
};

}  // namespace gleaner
