#include "fuzz/api_world.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/browser_sessions.h"
#include "api/sigv4.h"
#include "capacity/ecs_user_data.h"
#include "capacity/instance_catalog.h"
#include "common/utf8.h"
#include "model/arn.h"
#include "server/jobs_route.h"

namespace gleaner::fuzz {
namespace {

// A dozen rows of the built-in catalog (src/capacity/data/ec2-us-east-1.csv): the same code paths
// as its 900 types, at a fraction of the cost per input (spot price history, allocation and
// DescribeInstances all go over every type).
constexpr char kCatalogCsv[] =
    "instance_type,vcpu,memory_mib,gpu,on_demand_usd_per_hour,spot_savings_pct,"
    "interruption_bucket\n"
    "a1.large,2,4096,0,0.051,0,4\n"
    "c5.large,2,4096,0,0.085,59,0\n"
    "c5.xlarge,4,8192,0,0.17,56,0\n"
    "c6g.large,2,4096,0,0.068,59,1\n"
    "g4dn.xlarge,4,16384,1,0.526,64,3\n"
    "m5.2xlarge,8,32768,0,0.384,54,2\n"
    "m5.large,2,8192,0,0.096,66,3\n"
    "m5.xlarge,4,16384,0,0.192,66,4\n"
    "m6i.large,2,8192,0,0.096,63,2\n"
    "p3.2xlarge,8,62464,1,3.06,80,4\n"
    "r5.large,2,16384,0,0.126,60,0\n"
    "t3.micro,2,1024,0,0.0104,69,0\n";

const InstanceCatalog& Catalog() {
  static const InstanceCatalog catalog = [] {
    Result<InstanceCatalog> built = InstanceCatalog::FromCsv(kCatalogCsv);
    if (!built.ok())
      Finding("the fuzz instance catalog does not load: " + built.status().message());
    return std::move(built).value();
  }();
  return catalog;
}

SimulatedCloudOptions CloudOptions() {
  SimulatedCloudOptions options;
  options.boot_millis = 30'000;
  return options;
}

std::string Escaped(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

bool IsJsonContentType(const std::string& content_type) {
  return content_type.find("json") != std::string::npos;
}

}  // namespace

void InlineExecutor::Execute(BatchCommand command, BatchReply reply) {
  Result<nlohmann::json> result = command(state_);
  cloud_.Advance(state_);
  Decisions decisions = state_.Schedule();
  Launch(decisions);
  if (!decisions.capacity_requests.empty()) {
    cloud_.Provide(state_, decisions.capacity_requests);
    Launch(state_.Schedule());
  }
  (void)state_.TakeChanges();
  reply(std::move(result));
}

void InlineExecutor::Launch(const Decisions& decisions) {
  for (const StartAttempt& start : decisions.starts) {
    const Job* job = state_.FindJob(start.job_id);
    if (job == nullptr || job->status != JobStatus::kStarting) continue;
    state_.OnAttemptLaunched(start.job_id, next_pid_++, 1);
  }
}

ApiWorld::ApiWorld(const ApiWorldOptions& options)
    : options_(options),
      state_(clock_, BatchStateOptions{}),
      cloud_(clock_, Catalog(), CloudOptions()),
      executor_(state_, cloud_) {
  // This machine's own capacity, as `--capacity local` adds it: it serves every compute
  // environment, so small jobs run without waiting for the cloud.
  Host local;
  local.instance_id = "i-00123456789abcdef";
  local.container_instance_arn = state_.scope().EcsContainerInstance("local/" + local.instance_id);
  local.total = Resources{2000, 4096, 0};
  state_.AddHost(local);

  GleanerApiOptions api;
  api.log_directory = options.log_directory;
  api.cloud = &cloud_;
  api.authentication.enabled = false;
  // The dashboard's API: its jobs listing, and its sign-in (with a key of its own: the rest of
  // the world is unsigned, so the session's checks only guard the sign-in itself here).
  api.routes.emplace_back("/gleaner/v1/jobs", MakeJobsRoute(executor_));
  api.sessions = std::make_shared<BrowserSessions>(
      clock_, [](std::string_view key) -> std::optional<std::string> {
        if (key == "AKIDFUZZ") return std::string("fuzz-secret");
        return std::nullopt;
      });
  api.public_routes.emplace_back("/gleaner/v1/session", MakeSessionRoute(api.sessions.get()));
  handler_ = MakeGleanerHttpHandler(executor_, std::move(api));
  verbose_ = getenv("GLEANER_FUZZ_VERBOSE") != nullptr;
}

HttpResponse ApiWorld::Serve(HttpRequest request) {
  clock_.Advance(options_.advance_millis_per_request);
  const HttpRequest sent = request;  // for a finding's report (the handler takes the request)
  int answers = 0;
  std::optional<HttpResponse> answer;
  try {
    handler_(std::move(request), [&](HttpResponse response) {
      ++answers;
      answer = std::move(response);
    });
  } catch (const std::exception& e) {
    Finding("exception escaped the handler: " + std::string(e.what()) + "\n" + Describe(sent));
  } catch (...) {
    Finding("a non-std exception escaped the handler\n" + Describe(sent));
  }
  if (answers != 1) {
    Finding("the handler answered " + std::to_string(answers) + " times\n" + Describe(sent));
  }
  const HttpResponse& response = *answer;
  bool protocol_status = (response.status >= 200 && response.status < 300) ||
                         (response.status >= 400 && response.status < 500);
  if (!protocol_status) Finding("not a 2xx or 4xx answer\n" + Describe(sent) + Describe(response));
  // A body nlohmann::json accepts is UTF-8: its lexer refuses any byte over 0x7F outside strings
  // and, inside them, exactly what IsValidUtf8 refuses (overlong forms, surrogates, past
  // U+10FFFF). So an accepted JSON body skips the second scan (a tenth of Serve's time under
  // ASan); the verdicts and the messages are those of both checks.
  bool json_answer = IsJsonContentType(response.content_type) && !response.body.empty();
  bool accepted_json = json_answer && response.body.find('\0') == std::string::npos &&
                       nlohmann::json::accept(response.body);
  if (!accepted_json && !IsValidUtf8(response.body)) {
    Finding("the answer's body is not UTF-8\n" + Describe(sent) + Describe(response));
  }
  if (json_answer && !accepted_json) {
    Finding("the answer's body is not JSON\n" + Describe(sent) + Describe(response));
  }
  if (verbose_) fprintf(stderr, "%s%s\n", Describe(sent).c_str(), Describe(response).c_str());
  return std::move(*answer);
}

void ApiWorld::Populate() {
  auto must = [this](HttpRequest request) {
    std::string described = Describe(request);
    HttpResponse response = Serve(std::move(request));
    if (response.status != 200) Finding("setup failed\n" + described + Describe(response));
  };
  must(MakeRequest("POST", "/v1/createcomputeenvironment",
                   R"({"computeEnvironmentName": "unmanaged", "type": "UNMANAGED"})"));
  must(MakeRequest("POST", "/v1/createcomputeenvironment",
                   R"({"computeEnvironmentName": "managed", "type": "MANAGED",
                       "computeResources": {"type": "SPOT", "minvCpus": 0, "maxvCpus": 16,
                         "instanceTypes": ["m5.large"], "subnets": ["subnet-a"],
                         "instanceRole": "ecsInstanceRole",
                         "allocationStrategy": "SPOT_CAPACITY_OPTIMIZED"}})"));
  must(MakeRequest("POST", "/v1/createjobqueue",
                   R"({"jobQueueName": "q", "priority": 1, "computeEnvironmentOrder": [
                       {"order": 1, "computeEnvironment": "unmanaged"},
                       {"order": 2, "computeEnvironment": "managed"}]})"));
  must(MakeRequest("POST", "/v1/registerjobdefinition",
                   R"({"jobDefinitionName": "def", "type": "container",
                       "containerProperties": {"image": "busybox", "command": ["true"],
                         "resourceRequirements": [{"type": "VCPU", "value": "2"},
                                                  {"type": "MEMORY", "value": "6000"}]}})"));
  must(MakeRequest("POST", "/v1/submitjob",
                   R"({"jobName": "j", "jobQueue": "q", "jobDefinition": "def"})"));
  const ComputeEnvironment* unmanaged = state_.FindComputeEnvironment("unmanaged");
  std::string cluster = ArnResourceName(unmanaged->ecs_cluster_arn, "cluster");
  std::string user_data =
      Base64Encode("#!/bin/bash\necho ECS_CLUSTER=" + cluster + " >> /etc/ecs/ecs.config\n");
  must(MakeRequest("POST", "/",
                   "Action=RequestSpotInstances&Version=2016-11-15&SpotPrice=0.5&InstanceCount=1"
                   "&LaunchSpecification.ImageId=ami-12345678"
                   "&LaunchSpecification.InstanceType=m5.large&LaunchSpecification.UserData=" +
                       UriEncode(user_data, false),
                   {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}}));
  clock_.Advance(60'000);  // the instances boot
  must(MakeRequest("POST", "/v1/listjobs", R"({"jobQueue": "q"})"));
}

HttpRequest MakeRequest(std::string method, std::string path, std::string body,
                        std::map<std::string, std::string> headers) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.body = std::move(body);
  request.headers = std::move(headers);
  return request;
}

std::string Describe(const HttpRequest& request) {
  std::string out = "request: " + Escaped(request.method) + " " + Escaped(request.path);
  if (!request.query.empty()) out += "?" + Escaped(request.query);
  out += "\n";
  for (const auto& [name, value] : request.headers) {
    out += "  " + Escaped(name) + ": " + Escaped(value) + "\n";
  }
  if (request.body_too_large) out += "  (body too large)\n";
  out += "  body: " + Escaped(request.body) + "\n";
  return out;
}

std::string Describe(const HttpResponse& response) {
  std::string out =
      "answer: " + std::to_string(response.status) + " " + Escaped(response.content_type) + "\n";
  for (const auto& [name, value] : response.headers) {
    out += "  " + Escaped(name) + ": " + Escaped(value) + "\n";
  }
  out += "  body: " + Escaped(response.body.substr(0, 4096)) + "\n";
  return out;
}

void Finding(const std::string& what) {
  fprintf(stderr, "==gleaner-fuzz== FINDING: %s\n", what.c_str());
  fflush(stderr);
  abort();
}

std::string MakeTemporaryDirectory(const char* name) {
  static std::vector<std::string>* made = [] {
    auto* directories = new std::vector<std::string>;
    atexit([] {
      std::error_code ignored;
      for (const std::string& directory : *made) std::filesystem::remove_all(directory, ignored);
    });
    return directories;
  }();
  std::string pattern = std::string("/tmp/gleaner-fuzz-") + name + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) Finding("mkdtemp failed for " + pattern);
  made->push_back(pattern);
  return pattern;
}

std::string MakeLogDirectory() {
  std::string directory = MakeTemporaryDirectory("logs");
  std::filesystem::create_directories(directory + "/def/default");
  std::ofstream log(directory + "/def/default/0001");
  log << "hello from the job\nsecond line\n\xff\xfe not UTF-8\nno newline at the end";
  return directory;
}

}  // namespace gleaner::fuzz
