#include "server/attempt_network_host.h"

namespace gleaner {

AttemptNetworkHost::~AttemptNetworkHost() {
  MutexLock lock(mutex_);
  for (auto& [key, network] : networks_) Close(network);
  networks_.clear();
}

Status AttemptNetworkHost::Serve(Network& network, const std::string& address, uint16_t port,
                                 HttpHandler handler, ListenerTls tls) {
  Result<int> socket = network.space->Listen(address, port);
  if (!socket.ok()) return socket.status();
  Result<uint64_t> listener = server_.AddListener(*socket, std::move(handler), tls);
  if (!listener.ok()) return listener.status();
  network.listeners.push_back(*listener);
  return Status::Ok();
}

Status AttemptNetworkHost::ServeAwsEndpoints(Network& network) {
  Result<int> resolver = network.space->Bind(kResolverAddress, 53);
  if (!resolver.ok()) return resolver.status();
  network.resolver_socket = services_.resolver->AddSocket(*resolver);
  GLEANER_RETURN_IF_ERROR(
      Serve(network, kAwsEndpointsAddress, 80, services_.endpoint, ListenerTls{}));
  return Serve(network, kAwsEndpointsAddress, 443, services_.endpoint,
               ListenerTls{.enabled = true, .certificates = services_.aws_certificates});
}

void AttemptNetworkHost::Close(Network& network) {
  for (uint64_t listener : network.listeners) server_.RemoveListener(listener);
  network.listeners.clear();
  if (network.resolver_socket != 0) services_.resolver->RemoveSocket(network.resolver_socket);
  network.resolver_socket = 0;
  network.space.reset();
}

Result<AttemptNetwork> AttemptNetworkHost::Prepare(const AttemptNetworkRequest& request) {
  if (!Gives(request)) return AttemptNetwork{};
  std::vector<std::string> addresses = {kInstanceMetadataAddress, kTaskMetadataAddress};
  if (services_.resolver != nullptr) {
    addresses.push_back(kResolverAddress);
    addresses.push_back(kAwsEndpointsAddress);
  }
  Result<std::unique_ptr<NetworkNamespace>> space = NetworkNamespace::Create(addresses);
  if (!space.ok()) return space.status();
  return Keep(request, std::move(*space));
}

Status AttemptNetworkHost::Rejoin(const AttemptNetworkRequest& request, int pid) {
  if (!Gives(request)) return Status::Ok();
  Result<std::unique_ptr<NetworkNamespace>> space = NetworkNamespace::OfProcess(pid);
  if (!space.ok()) return space.status();
  if (*space == nullptr) return Status::Ok();  // it shares this machine's network
  // Its addresses are there still; what served them went with the gleaner that made it.
  Result<AttemptNetwork> kept = Keep(request, std::move(*space));
  return kept.ok() ? Status::Ok() : kept.status();
}

Result<AttemptNetwork> AttemptNetworkHost::Keep(const AttemptNetworkRequest& request,
                                                std::unique_ptr<NetworkNamespace> space) {
  Network network;
  network.space = std::move(space);
  Status served = Status::Ok();
  if (!request.instance_id.empty() && services_.instance_metadata) {
    served = Serve(network, kInstanceMetadataAddress, 80,
                   services_.instance_metadata(request.instance_id), ListenerTls{});
  }
  if (served.ok() && services_.task_metadata) {
    served = Serve(network, kTaskMetadataAddress, 80, services_.task_metadata, ListenerTls{});
  }
  if (served.ok() && !services_.endpoint_host.empty()) {
    served = Serve(network, services_.endpoint_host, services_.endpoint_port, services_.endpoint,
                   ListenerTls{.enabled = services_.endpoint_tls, .certificates = 0});
  }
  if (served.ok() && services_.resolver != nullptr) served = ServeAwsEndpoints(network);
  if (served.ok()) served = network.space->ConnectOutbound();
  if (!served.ok()) {
    Close(network);
    return served;
  }
  AttemptNetwork given{.network_namespace = network.space->path(),
                       .nameserver = "",
                       .resolv_conf = "",
                       .shared_paths = {}};
  if (services_.resolver != nullptr) {
    given.nameserver = kResolverAddress;
    given.resolv_conf = services_.resolv_conf;
    given.shared_paths = services_.shared_paths;
  }
  MutexLock lock(mutex_);
  auto key = std::make_pair(request.job_id, request.attempt);
  auto previous = networks_.find(key);
  if (previous != networks_.end()) Close(previous->second);
  networks_[key] = std::move(network);
  return given;
}

void AttemptNetworkHost::Release(const std::string& job_id, int attempt) {
  Network network;
  {
    MutexLock lock(mutex_);
    auto it = networks_.find({job_id, attempt});
    if (it == networks_.end()) return;
    network = std::move(it->second);
    networks_.erase(it);
  }
  Close(network);
}

}  // namespace gleaner
