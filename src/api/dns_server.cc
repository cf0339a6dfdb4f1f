#include "api/dns_server.h"
#include "common/steady_time.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>

#include "api/dns_message.h"
#include "common/mutex.h"

namespace gleaner {
namespace {

constexpr size_t kMostForwards = 512;  // queries waiting for the machine's resolvers
constexpr int kMostReadsPerWake = 64;  // per socket, so that one busy job cannot starve the rest
constexpr size_t kMostMessageBytes = 65535;

struct Address {
  sockaddr_storage storage{};
  socklen_t size = 0;
};

std::optional<Address> ParseNameserver(const std::string& text) {
  Address address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(53);
    address.size = sizeof(sockaddr_in);
    return address;
  }
  std::string host = text.substr(0, text.find('%'));  // a scope ("fe80::1%eth0") is not kept
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(53);
    address.size = sizeof(sockaddr_in6);
    return address;
  }
  return std::nullopt;
}

class DnsServerImpl final : public DnsServer {
 public:
  DnsServerImpl(DnsServerOptions options, std::vector<Address> upstream, int wake_fd)
      : options_(std::move(options)), upstream_(std::move(upstream)), wake_fd_(wake_fd) {}

  ~DnsServerImpl() override {
    {
      MutexLock lock(mutex_);
      stopping_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    {
      MutexLock lock(mutex_);  // uncontended: the thread is joined
      for (auto& [id, fd] : sockets_) close(fd);
    }
    for (Forward& forward : forwards_) close(forward.upstream_fd);
    close(wake_fd_);
  }

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  uint64_t AddSocket(int udp_fd) override {
    int flags = fcntl(udp_fd, F_GETFL);
    if (flags >= 0) fcntl(udp_fd, F_SETFL, flags | O_NONBLOCK);
    uint64_t id;
    {
      MutexLock lock(mutex_);
      id = ++last_id_;
      sockets_[id] = udp_fd;
    }
    Wake();
    return id;
  }

  void RemoveSocket(uint64_t id) override {
    {
      MutexLock lock(mutex_);
      removed_.push_back(id);
    }
    Wake();
  }

 private:
  struct Forward {
    int upstream_fd;
    uint16_t id;
    uint64_t socket_id;
    Address client;
    SteadyTime deadline;
  };

  void Wake() {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
  }

  // Closes removed sockets; returns the ones to serve.
  std::map<uint64_t, int> TakeSockets(bool& stopping) {
    MutexLock lock(mutex_);
    for (uint64_t id : removed_) {
      auto found = sockets_.find(id);
      if (found == sockets_.end()) continue;
      close(found->second);
      sockets_.erase(found);
    }
    removed_.clear();
    stopping = stopping_;
    return sockets_;
  }

  void Run() {
    std::vector<char> buffer(kMostMessageBytes);
    for (;;) {
      bool stopping = false;
      std::map<uint64_t, int> sockets = TakeSockets(stopping);
      if (stopping) return;
      std::vector<pollfd> polled{{wake_fd_, POLLIN, 0}};
      for (const auto& [id, fd] : sockets) polled.push_back({fd, POLLIN, 0});
      // Serving below may add forwards: the ones polled are the first `waiting`.
      size_t waiting = forwards_.size();
      for (const Forward& forward : forwards_) polled.push_back({forward.upstream_fd, POLLIN, 0});
      int timeout = -1;
      if (!forwards_.empty()) {
        auto first = std::min_element(
            forwards_.begin(), forwards_.end(),
            [](const Forward& a, const Forward& b) { return a.deadline < b.deadline; });
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(first->deadline - SteadyNow());
        timeout = static_cast<int>(std::max<int64_t>(0, left.count()) + 1);
      }
      if (poll(polled.data(), polled.size(), timeout) < 0 && errno != EINTR) return;
      if (polled[0].revents != 0) {
        uint64_t count = 0;
        (void)!read(wake_fd_, &count, sizeof count);
      }
      size_t at = 1;
      for (const auto& [id, fd] : sockets) {
        if (polled[at++].revents != 0) Serve(id, fd, buffer);
      }
      std::vector<bool> answered(waiting, false);
      for (size_t i = 0; i < answered.size(); ++i) {
        if (polled[at++].revents != 0) answered[i] = Relay(forwards_[i], sockets, buffer);
      }
      SteadyTime now = SteadyNow();
      size_t kept = 0;
      for (size_t i = 0; i < forwards_.size(); ++i) {
        bool done = (i < answered.size() && answered[i]) || forwards_[i].deadline <= now;
        if (done) {
          close(forwards_[i].upstream_fd);  // a timeout: the job's resolver asks again
        } else {
          forwards_[kept++] = forwards_[i];
        }
      }
      forwards_.resize(kept);
    }
  }

  void Serve(uint64_t socket_id, int fd, std::vector<char>& buffer) {
    for (int i = 0; i < kMostReadsPerWake; ++i) {
      Address client;
      client.size = sizeof client.storage;
      ssize_t size = recvfrom(fd, buffer.data(), buffer.size(), 0,
                              reinterpret_cast<sockaddr*>(&client.storage), &client.size);
      if (size < 0) return;  // EAGAIN: all read
      std::string_view query(buffer.data(), static_cast<size_t>(size));
      std::string answer = AnswerOrForward(query, socket_id, client);
      if (!answer.empty()) {
        (void)sendto(fd, answer.data(), answer.size(), 0,
                     reinterpret_cast<const sockaddr*>(&client.storage), client.size);
      }
    }
  }

  // The answer to send now, or "" when none is (forwarded, or not worth an answer).
  std::string AnswerOrForward(std::string_view query, uint64_t socket_id, const Address& client) {
    std::optional<DnsQuestion> question = ParseDnsQuery(query);
    if (!question) return DnsErrorAnswer(query, kDnsFormatError);
    if (question->opcode != 0) return DnsErrorAnswer(query, kDnsNotImplemented);
    for (const std::string& suffix : options_.served_suffixes) {
      if (DnsNameIsUnder(question->name, suffix)) {
        return DnsAddressAnswer(query, *question, options_.address, options_.ttl_seconds);
      }
    }
    if (forwards_.size() >= kMostForwards) return DnsErrorAnswer(query, kDnsServerFailure);
    for (const Address& upstream : upstream_) {
      int fd = socket(upstream.storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      if (connect(fd, reinterpret_cast<const sockaddr*>(&upstream.storage), upstream.size) != 0 ||
          send(fd, query.data(), query.size(), 0) != static_cast<ssize_t>(query.size())) {
        close(fd);
        continue;
      }
      forwards_.push_back(
          Forward{fd, question->id, socket_id, client,
                  SteadyNow() + std::chrono::milliseconds(options_.forward_timeout_ms)});
      return "";
    }
    return DnsErrorAnswer(query, kDnsServerFailure);
  }

  // Passes the machine's answer back to the job; whether the forward is done.
  bool Relay(const Forward& forward, const std::map<uint64_t, int>& sockets,
             std::vector<char>& buffer) {
    ssize_t size = recv(forward.upstream_fd, buffer.data(), buffer.size(), 0);
    if (size < 0) return errno != EAGAIN && errno != EWOULDBLOCK;  // refused: give up
    std::optional<uint16_t> id =
        DnsMessageId(std::string_view(buffer.data(), static_cast<size_t>(size)));
    if (!id || *id != forward.id) return false;  // not the answer: wait on
    auto socket = sockets.find(forward.socket_id);
    if (socket != sockets.end()) {
      (void)sendto(socket->second, buffer.data(), static_cast<size_t>(size), 0,
                   reinterpret_cast<const sockaddr*>(&forward.client.storage), forward.client.size);
    }
    return true;
  }

  const DnsServerOptions options_;
  const std::vector<Address> upstream_;
  const int wake_fd_;
  std::thread thread_;
  Mutex mutex_;
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  uint64_t last_id_ GLEANER_GUARDED_BY(mutex_) = 0;
  std::map<uint64_t, int> sockets_ GLEANER_GUARDED_BY(mutex_);
  std::vector<uint64_t> removed_ GLEANER_GUARDED_BY(mutex_);
  std::vector<Forward> forwards_;  // the server's thread only
};

}  // namespace

Result<std::unique_ptr<DnsServer>> DnsServer::Start(DnsServerOptions options) {
  std::vector<Address> upstream;
  for (const std::string& text : options.upstream) {
    std::optional<Address> address = ParseNameserver(text);
    if (!address) return Status::InvalidArgument("not a nameserver address: " + text);
    upstream.push_back(*address);
  }
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) return Status::Internal(std::string("eventfd: ") + std::strerror(errno));
  auto server = std::make_unique<DnsServerImpl>(std::move(options), std::move(upstream), wake_fd);
  try {
    server->StartThread();
  } catch (const std::system_error& error) {
    return Status::Internal(std::string("cannot start the DNS thread: ") + error.what());
  }
  return std::unique_ptr<DnsServer>(std::move(server));
}

std::vector<std::string> NameserversOf(std::string_view resolv_conf) {
  std::vector<std::string> nameservers;
  std::istringstream lines{std::string(resolv_conf)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string keyword;
    std::string address;
    if (words >> keyword >> address && keyword == "nameserver") nameservers.push_back(address);
  }
  return nameservers;
}

std::string JobResolvConf(std::string_view machine_resolv_conf, const std::string& nameserver) {
  std::string text =
      "# gleaner: the resolver of this job's network\nnameserver " + nameserver + "\n";
  std::istringstream lines{std::string(machine_resolv_conf)};
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    if (keyword == "search" || keyword == "domain" || keyword == "options") text += line + "\n";
  }
  return text;
}

}  // namespace gleaner
