#include "api/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "api/dns_message.h"
#include "api/dns_test_query.h"

namespace gleaner {
namespace {

// A UDP socket bound to 127.0.0.1 on a free port.
int BoundSocket(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  return fd;
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// The next datagram on `fd` within 5 s (and who sent it); "" when none came.
std::string Receive(int fd, sockaddr_in* from = nullptr) {
  pollfd wait{fd, POLLIN, 0};
  if (poll(&wait, 1, 5000) != 1) return "";
  char buffer[2048];
  sockaddr_in sender{};
  socklen_t size = sizeof sender;
  ssize_t got = recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&sender), &size);
  if (from != nullptr) *from = sender;
  return got > 0 ? std::string(buffer, static_cast<size_t>(got)) : "";
}

class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DnsServerOptions options;
    options.served_suffixes = {"amazonaws.com"};
    options.address = {169, 254, 169, 250};
    auto server = DnsServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
    int serving = BoundSocket(serving_port_);
    socket_id_ = server_->AddSocket(serving);
    client_fd_ = BoundSocket(client_port_);
  }
  void TearDown() override {
    server_.reset();
    close(client_fd_);
  }

  void Ask(const std::string& query) {
    sockaddr_in to = Loopback(serving_port_);
    ASSERT_EQ(sendto(client_fd_, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to),
              static_cast<ssize_t>(query.size()));
  }

  std::unique_ptr<DnsServer> server_;
  uint16_t serving_port_ = 0;
  uint64_t socket_id_ = 0;
  int client_fd_ = -1;
  uint16_t client_port_ = 0;
};

TEST_F(DnsServerTest, AnswersServedNamesItself) {
  std::string query = DnsTestQuery(42, "my-checkpoint-bucket.s3.amazonaws.com");
  Ask(query);
  std::string answer = Receive(client_fd_);
  ASSERT_EQ(answer.size(), query.size() + 16);
  EXPECT_EQ(answer.substr(answer.size() - 4), "\xA9\xFE\xA9\xFA");
}

TEST_F(DnsServerTest, AnswersGarbageWithAFormatErrorAndCarriesOn) {
  Ask(std::string("\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05", 13));
  std::string answer = Receive(client_fd_);
  ASSERT_EQ(answer.size(), 12u);
  EXPECT_EQ(static_cast<uint8_t>(answer[3]) & 0x0F, kDnsFormatError);
  Ask(DnsTestQuery(8, "sts.amazonaws.com"));
  EXPECT_FALSE(Receive(client_fd_).empty());
}

TEST_F(DnsServerTest, WithoutAResolverToAskOtherNamesFailAtOnce) {
  Ask(DnsTestQuery(10, "example.org"));
  std::string answer = Receive(client_fd_);
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(static_cast<uint8_t>(answer[3]) & 0x0F, kDnsServerFailure);
}

TEST_F(DnsServerTest, AfterRemovalTheSocketIsNoLongerServed) {
  server_->RemoveSocket(socket_id_);
  Ask(DnsTestQuery(9, "s3.amazonaws.com"));
  pollfd wait{client_fd_, POLLIN, 0};
  EXPECT_EQ(poll(&wait, 1, 300), 0);
}

TEST(DnsServerForwardTest, OtherNamesGoToTheMachinesResolverAndBack) {
  // The upstream is a real socket on 127.0.0.1; the server forwards to port 53 only, so this
  // test binds its fake resolver there when it may (root), and skips otherwise.
  int upstream = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = Loopback(53);
  address.sin_addr.s_addr = htonl(0x7F0000FE);  // 127.0.0.254, unlikely to have a resolver
  if (bind(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(upstream);
    GTEST_SKIP() << "cannot bind a fake resolver at 127.0.0.254:53 (needs root)";
  }
  DnsServerOptions options;
  options.served_suffixes = {"amazonaws.com"};
  options.upstream = {"127.0.0.254"};
  auto server = DnsServer::Start(options);
  ASSERT_TRUE(server.ok());
  uint16_t serving_port = 0;
  (*server)->AddSocket(BoundSocket(serving_port));
  uint16_t client_port = 0;
  int client = BoundSocket(client_port);
  std::string query = DnsTestQuery(0x5151, "example.org");
  sockaddr_in to = Loopback(serving_port);
  sendto(client, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  sockaddr_in forwarder{};
  std::string forwarded = Receive(upstream, &forwarder);
  ASSERT_EQ(forwarded, query);
  // A stray answer with another id is not passed on; the real one is.
  std::string stray = DnsErrorAnswer(DnsTestQuery(0x0001, "example.org"), kDnsServerFailure);
  sendto(upstream, stray.data(), stray.size(), 0, reinterpret_cast<sockaddr*>(&forwarder),
         sizeof forwarder);
  std::string reply = DnsErrorAnswer(query, 3);  // NXDOMAIN from "the machine"
  sendto(upstream, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&forwarder),
         sizeof forwarder);
  EXPECT_EQ(Receive(client), reply);
  close(client);
  close(upstream);
}

TEST(DnsServerOptionsTest, RefusesAnUpstreamThatIsNotAnAddress) {
  DnsServerOptions options;
  options.upstream = {"dns.example"};
  EXPECT_FALSE(DnsServer::Start(options).ok());
}

TEST(ResolvConfTest, KeepsSearchAndOptionsAndReplacesNameservers) {
  std::string machine =
      "# generated\nnameserver 10.255.255.53\nnameserver 10.0.0.2\nsearch corp.example\n"
      "options edns0 trust-ad\n";
  EXPECT_EQ(NameserversOf(machine), (std::vector<std::string>{"10.255.255.53", "10.0.0.2"}));
  std::string job = JobResolvConf(machine, "169.254.169.253");
  EXPECT_EQ(NameserversOf(job), std::vector<std::string>{"169.254.169.253"});
  EXPECT_NE(job.find("search corp.example\n"), std::string::npos);
  EXPECT_NE(job.find("options edns0 trust-ad\n"), std::string::npos);
}

}  // namespace
}  // namespace gleaner
