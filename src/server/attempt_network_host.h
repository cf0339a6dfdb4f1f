#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/dns_server.h"
#include "api/http_server.h"
#include "common/mutex.h"
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
  // Transparent AWS endpoints, for SDKs that ignore AWS_ENDPOINT_URL: the attempt's resolver at
  // 169.254.169.253 (the VPC resolver's address on AWS; `resolver` serves it and forwards other
  // names to the machine's) resolves AWS's names to 169.254.169.250, where `endpoint` answers
  // HTTP on 80 and HTTPS on 443 with `aws_certificates` (HttpServer::AddTlsCertificates). Null
  // resolver: none of this.
  DnsServer* resolver = nullptr;
  std::string resolv_conf;  // a resolv.conf naming 169.254.169.253
  uint64_t aws_certificates = 0;
  std::vector<std::string> shared_paths;  // what the attempt must read (the CA bundles)
};

// AttemptNetworks over network namespaces (network_namespace.h): each attempt gets one with
// 169.254.169.254 and 169.254.170.2 on its loopback, served by this HTTP server through sockets
// made inside it, and outbound access through slirp4netns. Nothing on the host's network changes.
class AttemptNetworkHost final : public AttemptNetworks {
 public:
  AttemptNetworkHost(HttpServer& server, AttemptNetworkServices services)
      : server_(server), services_(std::move(services)) {}
  ~AttemptNetworkHost() override;

  Result<AttemptNetwork> Prepare(const AttemptNetworkRequest& request) override;
  Status Rejoin(const AttemptNetworkRequest& request, int pid) override;
  bool Gives(const AttemptNetworkRequest& request) const override {
    return !request.instance_id.empty() || services_.every_attempt;
  }
  void Release(const std::string& job_id, int attempt) override;

  static constexpr const char* kInstanceMetadataAddress = "169.254.169.254";
  static constexpr const char* kTaskMetadataAddress = "169.254.170.2";
  static constexpr const char* kResolverAddress = "169.254.169.253";
  static constexpr const char* kAwsEndpointsAddress = "169.254.169.250";

 private:
  struct Network {
    std::unique_ptr<NetworkNamespace> space;
    std::vector<uint64_t> listeners;
    uint64_t resolver_socket = 0;  // 0: none
  };
  Status Serve(Network& network, const std::string& address, uint16_t port, HttpHandler handler,
               ListenerTls tls);
  Status ServeAwsEndpoints(Network& network);
  // Serves the attempt's network in `space` (made or rejoined) and keeps it until Release.
  Result<AttemptNetwork> Keep(const AttemptNetworkRequest& request,
                              std::unique_ptr<NetworkNamespace> space);
  void Close(Network& network);

  HttpServer& server_;
  AttemptNetworkServices services_;
  Mutex mutex_;
  // By job id and attempt.
  std::map<std::pair<std::string, int>, Network> networks_ GLEANER_GUARDED_BY(mutex_);
};

}  // namespace gleaner
