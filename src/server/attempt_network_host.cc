#include "server/attempt_network_host.h"

namespace gleaner {

AttemptNetworkHost::~AttemptNetworkHost() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [key, network] : networks_) Close(network);
  networks_.clear();
}

Status AttemptNetworkHost::Serve(Network& network, const std::string& address, uint16_t port,
                                 HttpHandler handler, bool tls) {
  Result<int> socket = network.space->Listen(address, port);
  if (!socket.ok()) return socket.status();
  Result<uint64_t> listener = server_.AddListener(*socket, std::move(handler), tls);
  if (!listener.ok()) return listener.status();
  network.listeners.push_back(*listener);
  return Status::Ok();
}

void AttemptNetworkHost::Close(Network& network) {
  for (uint64_t listener : network.listeners) server_.RemoveListener(listener);
  network.listeners.clear();
  network.space.reset();
}

Result<std::string> AttemptNetworkHost::Prepare(const AttemptNetworkRequest& request) {
  if (!Gives(request)) return std::string();
  Network network;
  Result<std::unique_ptr<NetworkNamespace>> space =
      NetworkNamespace::Create({kInstanceMetadataAddress, kTaskMetadataAddress});
  if (!space.ok()) return space.status();
  network.space = std::move(*space);
  Status served = Status::Ok();
  if (!request.instance_id.empty() && services_.instance_metadata) {
    served = Serve(network, kInstanceMetadataAddress, 80,
                   services_.instance_metadata(request.instance_id), /*tls=*/false);
  }
  if (served.ok() && services_.task_metadata) {
    served = Serve(network, kTaskMetadataAddress, 80, services_.task_metadata, /*tls=*/false);
  }
  if (served.ok() && !services_.endpoint_host.empty()) {
    served = Serve(network, services_.endpoint_host, services_.endpoint_port, services_.endpoint,
                   services_.endpoint_tls);
  }
  if (served.ok()) served = network.space->ConnectOutbound();
  if (!served.ok()) {
    Close(network);
    return served;
  }
  std::string path = network.space->path();
  std::lock_guard<std::mutex> lock(mutex_);
  auto key = std::make_pair(request.job_id, request.attempt);
  auto previous = networks_.find(key);
  if (previous != networks_.end()) Close(previous->second);
  networks_[key] = std::move(network);
  return path;
}

void AttemptNetworkHost::Release(const std::string& job_id, int attempt) {
  Network network;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = networks_.find({job_id, attempt});
    if (it == networks_.end()) return;
    network = std::move(it->second);
    networks_.erase(it);
  }
  Close(network);
}

}  // namespace gleaner
