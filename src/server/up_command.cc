#include "server/up_command.h"
#include "common/entropy.h"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>

#include "api/aws_credentials.h"
#include "api/batch_api.h"
#include "api/events_api.h"
#include "api/http_server.h"
#include "api/temporary_credentials.h"
#include "capacity/capacity_prices.h"
#include "capacity/instance_type_resolution.h"
#include "capacity/simulated_cloud.h"
#include "common/environment_variables.h"
#include "common/secret_file.h"
#include "events/event_rules.h"
#include "model/preemption.h"
#include "objects/object_store.h"
#include "runtime/container_engine.h"
#include "runtime/container_launcher.h"
#include "runtime/daemon_setup.h"
#include "runtime/runtime_choice.h"
#include "server/activity_log.h"
#include "server/agent_hub.h"
#include "server/attempt_network_host.h"
#include "server/cost_route.h"
#include "server/dashboard_routes.h"
#include "server/data_directory.h"
#include "server/engine.h"
#include "server/event_log.h"
#include "server/event_rule_delivery.h"
#include "server/file_janitor.h"
#include "server/instance_metadata_route.h"
#include "server/instances_route.h"
#include "server/interrupt_route.h"
#include "server/job_aws_endpoints.h"
#include "server/local_host.h"
#include "server/queues_route.h"
#include "server/server_metrics.h"
#include "server/task_credentials_route.h"
#include "server/task_metadata_route.h"

namespace gleaner {
namespace {

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status::InvalidArgument("--listen \"" + listen + "\" must be HOST:PORT");
  }
  std::string port_text = listen.substr(colon + 1);
  if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return Status::InvalidArgument("--listen port \"" + port_text + "\" must be 0-65535");
  }
  return std::make_pair(listen.substr(0, colon), static_cast<uint16_t>(std::stoi(port_text)));
}

std::vector<std::string> BaseEnvironment() {
  const char* path = std::getenv("PATH");
  const char* home = std::getenv("HOME");
  std::vector<std::string> environment{
      std::string("PATH=") + (path ? path : "/usr/local/bin:/usr/bin:/bin"),
      std::string("HOME=") + (home ? home : "/"), "LANG=C.UTF-8"};
  return environment;
}

int Fail(const std::string& message) {
  std::cerr << "gleaner up: " << message << "\n";
  return 1;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" || host == "[::1]";
}

// The access keys requests must be signed with: --credentials, or the data directory's own file
// (made on first start). `how_to_use` tells the user how to point their clients at them.
Result<std::map<std::string, std::string>> LoadAccessKeys(const UpOptions& options,
                                                          const DataDirectory& directory,
                                                          std::string& how_to_use) {
  std::string path = options.credentials_file;
  if (path.empty()) {
    path = directory.path() + "/credentials";
    if (!std::filesystem::exists(path)) {
      Result<SigV4Credentials> made = CreateCredentialsFile(path);
      if (!made.ok()) return made.status();
    }
  }
  Result<std::vector<CredentialsProfile>> profiles = ReadCredentialsFile(path);
  if (!profiles.ok()) return profiles.status();
  std::map<std::string, std::string> keys;
  for (const CredentialsProfile& profile : *profiles) {
    keys[profile.credentials.access_key_id] = profile.credentials.secret_access_key;
  }
  how_to_use = "  requests must be signed with a key from " + path +
               ":\n    export AWS_SHARED_CREDENTIALS_FILE=" + path;
  if (options.credentials_file.empty()) {
    const SigV4Credentials& own = profiles->front().credentials;
    how_to_use += "\n    or: export AWS_ACCESS_KEY_ID=" + own.access_key_id +
                  " AWS_SECRET_ACCESS_KEY=" + own.secret_access_key;
  }
  return keys;
}

// What ECS gives every task (its region) and what points a current SDK at gleaner
// (AWS_ENDPOINT_URL), unless the job definition set them itself.
void AddAwsEnvironment(const std::string& endpoint, const std::string& region,
                       std::vector<std::string>& environment) {
  AddVariableUnlessSet(environment, "AWS_ENDPOINT_URL", endpoint);
  AddVariableUnlessSet(environment, "AWS_REGION", region);
  AddVariableUnlessSet(environment, "AWS_DEFAULT_REGION", region);
}

}  // namespace

int RunUpCommand(const UpOptions& options) {
  if (Status configured = ConfigureServerLog(options.log_level, options.log_format);
      !configured.ok()) {
    return Fail(configured.message());
  }
  auto listen = ParseListen(options.listen);
  if (!listen.ok()) return Fail(listen.status().message());
  std::string data_dir = options.data_dir;
  if (data_dir.empty()) {
    const char* home = std::getenv("HOME");
    data_dir = std::string(home ? home : ".") + "/.gleaner";
  }
  auto directory = DataDirectory::Open(data_dir);  // held until the server has stopped
  if (!directory.ok()) return Fail(directory.status().message());
  if (options.no_auth && !IsLoopback(listen->first)) {
    return Fail("--no-auth is refused on " + listen->first +
                ": unsigned requests are accepted only on a loopback address");
  }
  std::string how_to_use = "  --no-auth: requests need no signature (loopback only)";
  auto access_keys = std::make_shared<std::map<std::string, std::string>>();
  if (!options.no_auth) {
    auto keys = LoadAccessKeys(options, **directory, how_to_use);
    if (!keys.ok()) return Fail(keys.status().message());
    *access_keys = std::move(*keys);
  }

  sigset_t stop_signals = PrepareDaemonProcess();  // before any thread starts

  SystemClock clock;
  auto metrics = std::make_shared<ServerMetrics>(clock);
  SqliteStoreOptions store_options{(*directory)->database()};
  store_options.injected_commit_delay_millis = options.injected_commit_delay_millis;
  store_options.on_group_written = [metrics](size_t batches, double seconds) {
    metrics->OnGroupWritten(batches, seconds);
  };
  auto store = OpenSqliteStore(store_options);
  if (!store.ok()) return Fail(store.status().message());

  auto catalog = InstanceCatalog::BuiltIn();
  if (!catalog.ok()) return Fail(catalog.status().message());
  BatchStateOptions state_options;
  state_options.check_compute_resources = [&catalog](const ComputeResources& resources) {
    return CheckComputeResourcesInstanceTypes(*catalog, resources);
  };
  state_options.scope = {options.region, options.account_id};
  state_options.seed = RandomSeed();
  state_options.stop_grace_millis = static_cast<int64_t>(options.stop_grace_seconds) * 1000;
  state_options.job_retention_millis = std::llround(options.job_retention_days * 86'400'000.0);
  std::string capacity_summary;
  std::unique_ptr<SimulatedCloud> cloud;
  if (options.capacity == "simspot") {
    auto profile = InterruptionProfileNamed(options.interruption_profile);
    if (!profile.ok()) return Fail(profile.status().message());
    SimulatedCloudOptions cloud_options;
    cloud_options.profile = *profile;
    cloud_options.seed = options.seed.value_or(RandomSeed());
    cloud_options.boot_millis = std::llround(options.boot_seconds * 1000);
    cloud_options.scale_in_idle_millis = std::llround(options.scale_in_idle_seconds * 1000);
    cloud_options.background_interruptions = options.background_interruptions;
    cloud_options.signal_at_notice = options.signal_at_notice;
    cloud_options.shutdown_grace_millis = state_options.stop_grace_millis;
    cloud_options.retired_kept_millis = state_options.job_retention_millis;
    std::map<std::string, std::string> declared;
    for (const std::string& entry : options.subnet_zones) {
      size_t equals = entry.find('=');
      if (equals == std::string::npos) {
        return Fail("--subnet-zone " + entry +
                    ": expected SUBNET=ZONE, like subnet-c8d30ae4=us-east-1c");
      }
      declared[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    auto subnet_zones = SubnetZones::Declared(std::move(declared));
    if (!subnet_zones.ok()) return Fail("--subnet-zone: " + subnet_zones.status().message());
    cloud_options.subnet_zones = std::move(*subnet_zones);
    cloud = std::make_unique<SimulatedCloud>(clock, *catalog, cloud_options);
    capacity_summary = "capacity: simulated EC2 cloud (" + profile->name + " interruptions, seed " +
                       std::to_string(cloud_options.seed) + ")";
  }

  std::optional<PreemptionBudget> preemption = ParsePreemptionBudget(options.preemption_retries);
  if (!preemption) {
    return Fail("--preemption-retries " + options.preemption_retries + " " + kPreemptionBudgetRule);
  }
  state_options.default_preemption = *preemption;
  CapacityPriceOptions price_options;
  price_options.local_vcpu_hour_usd = options.local_vcpu_hour_price;
  price_options.agent_vcpu_hour_usd = options.agent_vcpu_hour_price;
  CapacityPrices prices(cloud.get(), price_options);
  state_options.pricing = &prices;
  BatchState state(clock, state_options);
  if (options.capacity == "local") {
    auto host = DescribeLocalHost(state_options.scope, options.vcpus, options.memory_mib);
    if (!host.ok()) return Fail(host.status().message());
    capacity_summary = "local capacity: " + host->total.ToString();
    state.AddHost(*host);
  }
  // Attempts learn their instance's metadata endpoint, which exists once the server listens.
  auto endpoint_url = std::make_shared<std::string>();
  auto metadata = std::make_shared<InstanceMetadataRoute>(clock, cloud.get());
  EngineOptions engine_options;
  engine_options.log_directory = (*directory)->logs();
  engine_options.working_directory = (*directory)->work();
  engine_options.attempt_directory = (*directory)->attempts();
  engine_options.base_environment = BaseEnvironment();
  auto events = std::make_shared<EventLog>(clock, state_options.scope, (*directory)->events(),
                                           state_options.seed, state_options.job_retention_millis);
  auto janitor = std::make_shared<FileJanitor>();
  engine_options.on_pass = [metrics](double seconds, const Decisions& decisions) {
    metrics->OnPass(seconds, decisions);
  };
  auto activity = std::make_shared<ActivityLog>();
  engine_options.observe_changes = [events, janitor, metrics, activity,
                                    logs = engine_options.log_directory,
                                    work = engine_options.working_directory, cloud = cloud.get()](
                                       const BatchState& observed, const StateChanges& changes) {
    metrics->OnChanges(observed, changes);
    activity->Observe(observed, changes, cloud);
    std::function<void()> publish = events->Observe(observed, changes, cloud);
    if (changes.purged_log_streams.empty() && changes.deleted_jobs.empty()) return publish;
    // Purged jobs' output and working directories go with them, once their deletion is durable.
    std::vector<std::string> paths;
    for (const std::string& stream : changes.purged_log_streams) {
      if (stream.find("..") == std::string::npos) paths.push_back(logs + "/" + stream);
    }
    for (const auto& [job_id, attempts] : changes.deleted_jobs) {
      if (job_id.find('/') != std::string::npos || job_id.find("..") != std::string::npos) continue;
      paths.push_back(work + "/" + job_id);  // the layout before 2026-12: <job id>/<attempt>
      // One past the attempts made: an attempt cancelled while it started has no record yet.
      for (int attempt = 1; attempt <= attempts + 1; ++attempt) {
        paths.push_back(work + "/" + job_id + "." + std::to_string(attempt));
      }
    }
    return std::function<void()>(
        [publish = std::move(publish), janitor, paths = std::move(paths)]() mutable {
          if (publish) publish();
          janitor->Remove(std::move(paths));
        });
  };
  engine_options.has_instance_metadata = [metadata](const Job& job) {
    return metadata->Serves(job);
  };
  Result<std::string> credentials_key = (*directory)->ReadOrCreateSecret("credentials-key");
  if (!credentials_key.ok()) return Fail(credentials_key.status().message());
  auto issuer = std::make_shared<TemporaryCredentialIssuer>(*credentials_key);
  metadata->SetRoleCredentials(issuer.get());
  auto task_credentials = std::make_shared<TaskCredentialsRoute>(clock, *issuer);
  auto task_metadata = std::make_shared<TaskMetadataRoute>(*issuer);
  auto runtime = ChooseRuntime(options.runtime, options.image_pull, (*directory)->path());
  if (!runtime.ok()) return Fail(runtime.status().message());
  bool namespaces = options.job_network != "host" && NetworkNamespace::Available().ok();
  std::shared_ptr<JobAwsEndpoints> aws_endpoints;
  if (namespaces) {
    auto opened = JobAwsEndpoints::Open((*directory)->path() + "/aws-endpoints",
                                        options.tls_certificate_file);
    if (!opened.ok())
      return Fail("cannot set up AWS's names for jobs: " + opened.status().message());
    aws_endpoints = std::move(*opened);
  }
  engine_options.attempt_environment =
      [metadata, task_credentials, task_metadata, endpoint_url, region = options.region,
       aws_endpoints, containers = runtime->engine.has_value()](
          const Job& job, bool own_network, std::vector<std::string>& environment) {
        metadata->AddAttemptEnvironment(job, *endpoint_url, environment);
        task_credentials->AddAttemptEnvironment(job, own_network, *endpoint_url, environment);
        task_metadata->AddAttemptEnvironment(job, own_network, *endpoint_url, environment);
        AddAwsEnvironment(*endpoint_url, region, environment);
        // A command run as another user cannot read the data directory, where the files are.
        bool readable = containers || JobUserOf(*job.container.properties).empty();
        if (own_network && aws_endpoints && readable) {
          aws_endpoints->AddTrustEnvironment(environment);
        }
      };
  engine_options.run_in_containers = runtime->engine.has_value();
  Engine engine(clock, state, **store, engine_options);
  auto on_exit = [&engine](const ProcessExit& exit) { engine.OnProcessExit(exit); };
  std::unique_ptr<Launcher> launcher;
  if (runtime->engine) {
    ContainerLauncherOptions container_options;
    container_options.engine = *runtime->engine;
    container_options.pull_policy = runtime->pull_policy;
    container_options.scratch_directory = engine_options.attempt_directory;
    launcher = MakeContainerLauncher(on_exit, std::move(container_options));
  } else {
    launcher = MakeProcessLauncher(on_exit);
  }
  // A pull can take minutes, and an attempt's network tens of milliseconds: other attempts
  // launch meanwhile.
  engine.SetLauncher(launcher.get(), runtime->engine || namespaces ? 4 : 1);
  engine.AddCapacityProvider(cloud.get());
  AgentHubOptions agent_options;
  agent_options.token = options.agent_token;
  if (!options.agent_token_file.empty()) {
    if (!options.agent_token.empty()) {
      return Fail("give the agent token with --agent-token or --agent-token-file, not both");
    }
    Result<std::string> token = ReadSecretFile(options.agent_token_file);
    if (!token.ok()) return Fail(token.status().message());
    agent_options.token = *token;
  }
  Result<std::string> identity_key = (*directory)->ReadOrCreateSecret("agent-key");
  if (!identity_key.ok()) return Fail(identity_key.status().message());
  agent_options.identity_key = *identity_key;
  agent_options.lost_after_millis = std::llround(options.agent_lost_after_seconds * 1000);
  agent_options.report_interval_millis =
      std::clamp<int64_t>(agent_options.lost_after_millis / 5, 100, 2'000);
  agent_options.log_directory = engine_options.log_directory;
  AgentHub agents(clock, engine, agent_options);
  engine.AddCapacityProvider(&agents);
  engine.SetRemoteAttempts(&agents);

  HttpServerOptions http_options;
  http_options.host = listen->first;
  http_options.port = listen->second;
  http_options.threads = options.http_threads;
  http_options.tls_certificate_file = options.tls_certificate_file;
  http_options.tls_private_key_file = options.tls_private_key_file;
  http_options.max_put_body_bytes = kS3MaxRequestBodyBytes;
  auto objects = ObjectStore::Open((*directory)->objects(), clock, state_options.seed);
  if (!objects.ok()) return Fail("cannot open the S3 store: " + objects.status().message());
  GleanerApiOptions api_options;
  api_options.objects = objects->get();
  api_options.s3.auto_create_buckets = options.s3_auto_create_buckets;
  api_options.s3.region = options.region;
  api_options.log_directory = engine_options.log_directory;
  api_options.cloud = cloud.get();
  api_options.authentication.enabled = !options.no_auth;
  api_options.authentication.clock = &clock;
  api_options.authentication.temporary = issuer.get();
  api_options.authentication.secrets =
      [access_keys, issuer, &clock](std::string_view key_id) -> std::optional<std::string> {
    auto found = access_keys->find(std::string(key_id));
    if (found != access_keys->end()) return found->second;
    return issuer->SecretFor(key_id, clock.NowMillis());  // a job's temporary credentials
  };
  api_options.routes.emplace_back("/gleaner/v1/interrupt", MakeInterruptRoute(engine, cloud.get()));
  api_options.routes.emplace_back("/imds/", metadata->Handler(engine));
  api_options.routes.emplace_back(
      TaskCredentialsRoute::kEndpointPrefix,
      task_credentials->Handler(engine, TaskCredentialsRoute::kEndpointPrefix));
  api_options.routes.emplace_back(
      std::string(TaskMetadataRoute::kEndpointPrefix) + "/",
      task_metadata->Handler(engine, TaskMetadataRoute::kEndpointPrefix));
  api_options.routes.emplace_back("/gleaner/v1/events", MakeEventsRoute(*events));
  auto rules = EventRules::Open((*directory)->event_rules());
  if (!rules.ok()) return Fail("cannot read the event rules: " + rules.status().message());
  EventRuleDelivery delivery(clock, **rules, engine, (*directory)->event_dead_letters(), 1'000,
                             (*directory)->event_deliveries());
  events->SetSubscriber([&delivery, metrics](const std::vector<nlohmann::json>& published) {
    metrics->OnEvents(published);
    delivery.Enqueue(published);
  });
  api_options.routes.emplace_back("/metrics", metrics->Route(engine, cloud.get()));
  api_options.routes.emplace_back("/gleaner/v1/queues", MakeQueuesRoute(engine));
  api_options.routes.emplace_back("/gleaner/v1/instances", MakeInstancesRoute(engine, cloud.get()));
  api_options.routes.emplace_back("/gleaner/v1/cost", MakeCostRoute(engine, clock, prices));
  std::string dashboard_summary = AddDashboardRoutes(api_options, engine, options.ui_directory,
                                                     !options.tls_certificate_file.empty());
  api_options.observe_request = [metrics](const RequestKind& kind, int status, double seconds) {
    metrics->OnRequest(kind, status, seconds);
  };
  Result<std::string> metrics_token = (*directory)->ReadOrCreateSecret("metrics-token");
  if (!metrics_token.ok()) return Fail(metrics_token.status().message());
  api_options.metrics_token = *metrics_token;
  EventsApiOptions events_options;
  events_options.scope = state_options.scope;
  events_options.rules = rules->get();
  events_options.publish = [&delivery](std::vector<nlohmann::json> put) { delivery.Enqueue(put); };
  api_options.events =
      std::make_shared<EventsApi>(clock, state_options.seed + 1, std::move(events_options));
  api_options.routes.emplace_back("/gleaner/v1/agent/",
                                  [&agents](HttpRequest&& request, Responder respond) {
                                    agents.Handle(std::move(request), std::move(respond));
                                  });
  // The server listens before the engine starts: requests wait in the engine's queue until the
  // state is restored, and attempts relaunched at start already know the endpoint.
  HttpHandler handler = MakeGleanerHttpHandler(engine, api_options);
  auto server = StartHttpServer(http_options, handler);
  if (!server.ok()) return Fail(server.status().message());
  std::string scheme = options.tls_certificate_file.empty() ? "http://" : "https://";
  std::string endpoint = scheme + listen->first + ":" + std::to_string((*server)->port());
  *endpoint_url = endpoint;
  std::unique_ptr<AttemptNetworkHost> networks;
  std::string network_summary = "job network: this machine's (--job-network host)";
  if (options.job_network != "host") {
    if (Status available = NetworkNamespace::Available(); !available.ok()) {
      if (options.job_network == "namespace") {
        (*server)->Stop();
        return Fail("--job-network namespace: " + available.message());
      }
      network_summary = "job network: this machine's (" + available.message() +
                        "; jobs find instance metadata through AWS_EC2_METADATA_SERVICE_ENDPOINT)";
    } else {
      AttemptNetworkServices services;
      services.endpoint = handler;
      if (listen->first.starts_with("127.")) services.endpoint_host = listen->first;
      services.endpoint_port = (*server)->port();
      services.endpoint_tls = !options.tls_certificate_file.empty();
      services.every_attempt = options.job_network == "namespace";
      HttpHandler imds = metadata->Handler(engine);
      services.instance_metadata = [imds](const std::string& instance_id) -> HttpHandler {
        return [imds, instance_id](HttpRequest&& request, Responder respond) {
          request.path = "/imds/" + instance_id + request.path;
          imds(std::move(request), std::move(respond));
        };
      };
      bool services_every_attempt = services.every_attempt;
      services.task_metadata = [credentials = task_credentials->Handler(
                                    engine, TaskCredentialsRoute::kTaskMetadataPrefix),
                                metadata = task_metadata->Handler(engine, "")](
                                   HttpRequest&& request, Responder respond) {
        bool wants_credentials =
            request.path.starts_with(TaskCredentialsRoute::kTaskMetadataPrefix);
        (wants_credentials ? credentials : metadata)(std::move(request), std::move(respond));
      };
      services.resolver = &aws_endpoints->resolver();
      services.resolv_conf = aws_endpoints->resolv_conf();
      services.aws_certificates = (*server)->AddTlsCertificates(aws_endpoints->Certificates());
      services.shared_paths = aws_endpoints->SharedFiles();
      networks = std::make_unique<AttemptNetworkHost>(**server, std::move(services));
      engine.SetAttemptNetworks(networks.get());
      network_summary = std::string("job network: a namespace per attempt") +
                        (services_every_attempt ? "" : " on a simulated instance") +
                        " (instance metadata at 169.254.169.254, gleaner at " + endpoint +
                        " and at AWS's own names (*.amazonaws.com, trusted through "
                        "AWS_CA_BUNDLE and the like), outbound through slirp4netns)";
    }
  }
  Status started = engine.Start();
  if (!started.ok()) {
    (*server)->Stop();
    return Fail(started.message());
  }

  std::cout << "gleaner listening on " << endpoint << std::endl;
  std::cout << "  runtime: " << runtime->summary << "\n"
            << "  " << network_summary << "\n"
            << "  " << capacity_summary << ", data in " << data_dir << "\n"
            << "  dashboard: "
            << (dashboard_summary.starts_with("/ui") ? endpoint + dashboard_summary
                                                     : dashboard_summary)
            << "\n"
            << how_to_use << "\n"
            << "  try: aws batch describe-job-queues --endpoint-url " << endpoint << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received signal {}, shutting down", signal_number);
  (*server)->Stop();
  engine.Stop();
  // The engine's thread has ended: the state is this thread's to read.
  size_t local = 0;
  size_t remote = 0;
  for (const auto& [id, host] : state.hosts()) {
    (host.remote ? remote : local) += state.JobsOnHost(id).size();
  }
  if (local > 0) {
    spdlog::warn(
        "{} attempt(s) running on this machine are left running; when gleaner starts again on {} "
        "it re-attaches the ones still running on hosts it has again and records how the others "
        "ended",
        local, data_dir);
  }
  if (remote > 0) {
    spdlog::info("{} attempt(s) on agents run on; the agents report them when gleaner is back",
                 remote);
  }
  return 0;
}

}  // namespace gleaner
