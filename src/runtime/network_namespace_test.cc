#include "runtime/network_namespace.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace gleaner {
namespace {

constexpr const char* kMetadata = "169.254.169.254";

sockaddr_in Address(const char* ip, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, ip, &address.sin_addr);
  return address;
}

// Connects to ip:port from inside the namespace at `path` (on a thread of its own) and sends one
// byte; true when that worked.
bool ConnectFrom(const std::string& path, const char* ip, uint16_t port) {
  bool connected = false;
  std::thread([&] {
    if (!EnterNetworkNamespace(path).ok()) return;
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = Address(ip, port);
    connected = connect(sock, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                write(sock, "x", 1) == 1;
    close(sock);
  }).join();
  return connected;
}

class NetworkNamespaceTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!NetworkNamespace::Available().ok()) GTEST_SKIP() << "needs root";
  }
};

TEST_F(NetworkNamespaceTest, TheMetadataAddressIsServedInsideAndTheHostIsUntouched) {
  auto space = NetworkNamespace::Create({kMetadata, "169.254.170.2"});
  ASSERT_TRUE(space.ok()) << space.status().message();
  Result<int> listener = (*space)->Listen(kMetadata, 80);
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  EXPECT_TRUE(ConnectFrom((*space)->path(), kMetadata, 80));
  int accepted = accept(*listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  char byte = 0;
  EXPECT_EQ(read(accepted, &byte, 1), 1);
  EXPECT_EQ(byte, 'x');
  close(accepted);
  close(*listener);
  // The address is the namespace's only: this (the host's) namespace cannot bind it.
  int sock = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = Address(kMetadata, 0);
  EXPECT_NE(bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(errno, EADDRNOTAVAIL);
  close(sock);
}

TEST_F(NetworkNamespaceTest, TwoNamespacesHaveTheSameAddressEachToItself) {
  auto first = NetworkNamespace::Create({kMetadata});
  auto second = NetworkNamespace::Create({kMetadata});
  ASSERT_TRUE(first.ok() && second.ok());
  Result<int> listener = (*first)->Listen(kMetadata, 80);
  ASSERT_TRUE(listener.ok());
  EXPECT_TRUE(ConnectFrom((*first)->path(), kMetadata, 80));
  EXPECT_FALSE(ConnectFrom((*second)->path(), kMetadata, 80));  // nothing listens there
  close(*listener);
}

TEST_F(NetworkNamespaceTest, OutboundAccessReachesTheHostsOtherAddressesButNotItsLoopback) {
  auto space = NetworkNamespace::Create({kMetadata});
  ASSERT_TRUE(space.ok());
  Status outbound = (*space)->ConnectOutbound();
  ASSERT_TRUE(outbound.ok()) << outbound.message();
  // A listener on the host's loopback: out of the namespace's reach (its own 127.0.0.1 is its own).
  int host = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = Address("127.0.0.1", 0);
  ASSERT_EQ(bind(host, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(host, 4), 0);
  socklen_t length = sizeof address;
  getsockname(host, reinterpret_cast<sockaddr*>(&address), &length);
  EXPECT_FALSE(ConnectFrom((*space)->path(), "127.0.0.1", ntohs(address.sin_port)));
  // slirp4netns' gateway is the host's loopback, refused with --disable-host-loopback.
  EXPECT_FALSE(ConnectFrom((*space)->path(), "10.0.2.2", ntohs(address.sin_port)));
  close(host);
}

TEST_F(NetworkNamespaceTest, AnAddressThatIsNotIpv4IsRefused) {
  EXPECT_FALSE(NetworkNamespace::Create({"not-an-address"}).ok());
  auto space = NetworkNamespace::Create({});
  ASSERT_TRUE(space.ok());
  EXPECT_FALSE((*space)->Listen("::1", 80).ok());
}

TEST_F(NetworkNamespaceTest, ADatagramSocketInsideGetsWhatIsSentThere) {
  auto space = NetworkNamespace::Create({"169.254.169.253"});
  ASSERT_TRUE(space.ok()) << space.status().message();
  Result<int> bound = (*space)->Bind("169.254.169.253", 53);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  bool sent = false;
  std::thread([&] {
    if (!EnterNetworkNamespace((*space)->path()).ok()) return;
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address = Address("169.254.169.253", 53);
    sent = sendto(sock, "q", 1, 0, reinterpret_cast<sockaddr*>(&address), sizeof address) == 1;
    close(sock);
  }).join();
  ASSERT_TRUE(sent);
  char byte = 0;
  EXPECT_EQ(recv(*bound, &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'q');
  close(*bound);
}

TEST_F(NetworkNamespaceTest, AProcessInANamespaceLetsItBeRejoined) {
  // This process is in the machine's network: nothing to rejoin.
  auto own = NetworkNamespace::OfProcess(getpid());
  ASSERT_TRUE(own.ok()) << own.status().message();
  EXPECT_EQ(*own, nullptr);
  // A process in a namespace of its own: the same namespace, its addresses still there.
  auto space = NetworkNamespace::Create({kMetadata});
  ASSERT_TRUE(space.ok());
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  int namespace_fd = open((*space)->path().c_str(), O_RDONLY);
  ASSERT_GE(namespace_fd, 0);
  pid_t child = fork();
  if (child == 0) {  // async-signal-safe calls only
    if (setns(namespace_fd, CLONE_NEWNET) != 0) _exit(1);
    (void)!write(ready[1], "r", 1);
    pause();
    _exit(0);
  }
  close(namespace_fd);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  space->reset();  // only the child keeps it now
  auto rejoined = NetworkNamespace::OfProcess(child);
  ASSERT_TRUE(rejoined.ok()) << rejoined.status().message();
  ASSERT_NE(*rejoined, nullptr);
  Result<int> listener = (*rejoined)->Listen(kMetadata, 80);
  EXPECT_TRUE(listener.ok()) << listener.status().message();
  if (listener.ok()) {
    EXPECT_TRUE(ConnectFrom((*rejoined)->path(), kMetadata, 80));
    close(*listener);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace gleaner
