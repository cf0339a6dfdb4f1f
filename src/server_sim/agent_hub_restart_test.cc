// The real AgentHub over the real Engine, stepped in one thread: what a restart of the server
// does to an agent's attempt whose start was durable but which the agent had not reported yet.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "api/agent_protocol.h"
#include "common/clock.h"
#include "scheduler/batch_state.h"
#include "server/agent_hub.h"
#include "server/engine.h"
#include "server_sim/sim_store.h"

namespace gleaner::sim {
namespace {

constexpr std::string_view kCredentialHeader = "x-gleaner-agent-credential";

// One life of the server on the store.
struct Server {
  Server(FakeClock& clock, SimStore& store)
      : state(clock, BatchStateOptions{}), engine(clock, state, store, EngineOptions{}) {
    AgentHubOptions options;
    options.identity_key = "durable key";
    options.poll_timer_thread = false;
    options.instance_id_seed = 7;
    hub = std::make_unique<AgentHub>(clock, engine, std::move(options));
    engine.AddCapacityProvider(hub.get());
    engine.SetRemoteAttempts(hub.get());
    started = engine.StartStepped();
  }
  ~Server() { hub.reset(); }

  BatchState state;
  Engine engine;
  std::unique_ptr<AgentHub> hub;
  Status started;
};

class AgentHubRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Boot();
    Run([](BatchState& state) -> Status {
      ComputeEnvironment environment;
      environment.name = "agents";
      environment.type = "UNMANAGED";
      GLEANER_RETURN_IF_ERROR(state.CreateComputeEnvironment(environment).status());
      JobQueue queue;
      queue.name = "q";
      queue.compute_environment_order = {{1, "agents"}};
      GLEANER_RETURN_IF_ERROR(state.CreateJobQueue(queue).status());
      JobDefinition definition;
      definition.name = "def";
      definition.type = "container";
      ContainerProperties container;
      container.image = "busybox";
      container.command = {"true"};
      container.resource_requirements = {{"VCPU", "1"}, {"MEMORY", "512"}};
      definition.container_properties = container;
      definition.retry_strategy = RetryStrategy{2, {}};
      return state.RegisterJobDefinition(definition).status();
    });
    cluster_ = server_->state.FindComputeEnvironment("agents")->ecs_cluster_arn;
  }

  void Boot() {
    server_.reset();
    server_ = std::make_unique<Server>(clock_, store_);
    ASSERT_TRUE(server_->started.ok()) << server_->started.message();
  }

  // Turns of the engine until nothing is posted and every commit is durable.
  void Drive() {
    for (int i = 0; i < 20; ++i) {
      server_->engine.Step();
      if (store_.pending() == 0 && !server_->engine.HasPostedWork()) return;
      store_.Flush();
    }
    FAIL() << "the engine did not settle";
  }

  void Run(std::function<Status(BatchState&)> call) {
    std::optional<Status> result;
    server_->engine.Execute(
        [call](BatchState& state) -> Result<nlohmann::json> {
          GLEANER_RETURN_IF_ERROR(call(state));
          return nlohmann::json::object();
        },
        [&result](Result<nlohmann::json> reply) { result = reply.status(); });
    Drive();
    ASSERT_TRUE(result.has_value());
    ASSERT_TRUE(result->ok()) << result->message();
  }

  // An agent's request, answered once the engine settles.
  HttpResponse Send(std::string_view path, std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.path = std::string(path);
    request.body = std::move(body);
    if (!credential_.empty()) request.headers[std::string(kCredentialHeader)] = credential_;
    std::optional<HttpResponse> answer;
    server_->hub->Handle(std::move(request),
                         [&answer](HttpResponse response) { answer = std::move(response); });
    Drive();
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(HttpResponse{});
  }

  void Register(std::vector<AttemptKey> held) {
    HttpResponse answer =
        Send(kAgentRegisterPath, EncodeAgentRegistration({.cluster = cluster_,
                                                          .instance_id = instance_id_,
                                                          .hostname = "agent",
                                                          .private_ipv4_address = "",
                                                          .resources = Resources{4000, 8192, 0},
                                                          .attempts = std::move(held)}));
    ASSERT_EQ(answer.status, 200) << answer.body;
    Result<AgentRegistered> registered = DecodeAgentRegistered(answer.body);
    ASSERT_TRUE(registered.ok());
    instance_id_ = registered->instance_id;
    credential_ = registered->agent_credential;
  }

  // A job started on the agent, durably, before the server restarts.
  std::string StartAJobThenRestart() {
    std::string job_id;
    Run([&job_id](BatchState& state) -> Status {
      SubmitJobRequest request;
      request.job_name = "job";
      request.job_queue = "q";
      request.job_definition = "def";
      Result<const Job*> job = state.SubmitJob(request);
      if (job.ok()) job_id = (*job)->job_id;
      return job.status();
    });
    Drive();
    const Job* job = server_->state.FindJob(job_id);
    EXPECT_EQ(job->status, JobStatus::kStarting);
    EXPECT_EQ(job->placement->instance_id, instance_id_);
    Boot();
    return job_id;
  }

  const Job& JobOf(const std::string& id) { return *server_->state.FindJob(id); }

  FakeClock clock_;
  SimStore store_;
  std::unique_ptr<Server> server_;
  std::string cluster_;
  std::string instance_id_;
  std::string credential_;
};

TEST_F(AgentHubRestartTest, AStartingAttemptTheAgentHoldsRunsOnAfterTheRestart) {
  Register({});
  std::string job_id = StartAJobThenRestart();
  EXPECT_EQ(JobOf(job_id).status, JobStatus::kStarting);  // not lost: the agent may have it

  Register({{job_id, 1}});
  AgentReport report{instance_id_, {{{job_id, 1}, AttemptState::kRunning, 4242, 1, 0, 0, ""}}};
  HttpResponse answer = Send(kAgentReportPath, EncodeAgentReport(report));
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(JobOf(job_id).status, JobStatus::kRunning);
  EXPECT_TRUE(JobOf(job_id).attempts.empty());
  EXPECT_EQ(JobOf(job_id).placement->pid, 4242);
}

TEST_F(AgentHubRestartTest, AStartingAttemptTheAgentNeverGotEndsAndIsRetriedOnce) {
  Register({});
  std::string job_id = StartAJobThenRestart();
  EXPECT_EQ(JobOf(job_id).status, JobStatus::kStarting);

  Register({});  // it holds nothing: the previous server never sent it
  const Job& job = JobOf(job_id);
  ASSERT_EQ(job.attempts.size(), 1u);
  EXPECT_NE(job.attempts[0].container.reason.find("does not hold this attempt"), std::string::npos)
      << job.attempts[0].container.reason;
  // Retried (two attempts): the second is placed on the agent again, and sent this time.
  EXPECT_EQ(job.status, JobStatus::kStarting);
  EXPECT_EQ(job.AttemptNumber(), 2);
  HttpResponse work = Send(kAgentPollPath, EncodeAgentPoll({instance_id_, 0}));
  Result<AgentWork> assigned = DecodeAgentWork(work.body);
  ASSERT_TRUE(assigned.ok());
  ASSERT_EQ(assigned->assignments.size(), 1u);
  EXPECT_EQ(assigned->assignments[0].key, (AttemptKey{job_id, 2}));
}

}  // namespace
}  // namespace gleaner::sim
