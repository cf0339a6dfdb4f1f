#include "agent/agent_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "agent/fake_agent_server.h"

namespace gleaner {
namespace {

AgentRegistration Registration() {
  AgentRegistration registration;
  registration.cluster = "c";
  return registration;
}

TEST(AgentErrorFromResponseTest, TellsRegisterAgainFromRefusedFromFailed) {
  Status again = AgentErrorFromResponse(
      404, R"({"__type": "AgentNotRegisteredException", "message": "unknown agent"})");
  EXPECT_EQ(again.code(), StatusCode::kNotFound);

  Status refused =
      AgentErrorFromResponse(400, R"({"__type": "ClientException", "message": "no such cluster"})");
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "no such cluster");
  EXPECT_EQ(
      AgentErrorFromResponse(403, R"({"__type": "ClientException", "message": "token"})").code(),
      StatusCode::kInvalidArgument);
  // Another 404 is a refusal, not "register again".
  EXPECT_EQ(AgentErrorFromResponse(404, R"({"__type": "ClientException"})").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AgentErrorFromResponse(404, "not json").message(), "not json");

  Status failed = AgentErrorFromResponse(500, R"({"__type": "ServerException", "message": "x"})");
  EXPECT_EQ(failed.code(), StatusCode::kInternal);
  EXPECT_EQ(failed.message(), "the server answered HTTP 500: x");
}

TEST(PercentEncodeQueryValueTest, KeepsOnlyUnreservedBytes) {
  EXPECT_EQ(PercentEncodeQueryValue("i-0123abc"), "i-0123abc");
  EXPECT_EQ(PercentEncodeQueryValue("def/default/j:1#0 x&y=z+"),
            "def%2Fdefault%2Fj%3A1%230%20x%26y%3Dz%2B");
  EXPECT_EQ(PercentEncodeQueryValue("a.b_c~d\xc3\xa9"), "a.b_c~d%C3%A9");
}

TEST(AgentConnectionTest, AServerThatCannotBeReachedIsAnInternalError) {
  std::string url;
  {
    FakeAgentServer placeholder;  // a port nothing listens on once it is gone
    url = placeholder.url();
  }
  AgentConnection connection(url, "");
  Result<AgentRegistered> registered = connection.Register(Registration());
  EXPECT_EQ(registered.status().code(), StatusCode::kInternal);
}

TEST(AgentConnectionTest, ShipsLogBytesAndReadsTheSizeTheServerHolds) {
  FakeAgentServer server;
  AgentConnection connection(server.url(), "");
  ASSERT_TRUE(connection.Register(Registration()).ok());
  const std::string stream = "def/default/job:1#0";
  Result<int64_t> held = connection.ShipLog(FakeAgentServer::kInstanceId, stream, 0, "hello ");
  ASSERT_TRUE(held.ok()) << held.status().message();
  EXPECT_EQ(*held, 6);
  held = connection.ShipLog(FakeAgentServer::kInstanceId, stream, 3, "lo world\n");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, 12);
  // A gap is not accepted: the server says where to go on from.
  held = connection.ShipLog(FakeAgentServer::kInstanceId, stream, 100, "x");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, 12);
  server.WaitFor([&](const auto& s) {
    EXPECT_EQ(s.logs.at(stream), "hello world\n");
    return true;
  });
}

TEST(AgentConnectionTest, InterruptEndsAHeldPollAndEveryLaterRequest) {
  FakeAgentServer server;
  AgentConnection connection(server.url(), "");
  ASSERT_TRUE(connection.Register(Registration()).ok());
  std::thread interrupter([&connection] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    connection.Interrupt();
  });
  auto started = std::chrono::steady_clock::now();
  Result<AgentWork> work =
      connection.Poll({.instance_id = FakeAgentServer::kInstanceId, .wait_millis = 20'000});
  interrupter.join();
  EXPECT_EQ(work.status().code(), StatusCode::kInternal);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(connection.Report({.instance_id = FakeAgentServer::kInstanceId, .attempts = {}})
                .status()
                .code(),
            StatusCode::kInternal);
}

}  // namespace
}  // namespace gleaner
