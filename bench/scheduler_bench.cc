// gleaner_scheduler_bench: the scheduler core's figures (issue 3, item 13), measured on BatchState
// directly in virtual time -- no HTTP, no engine thread, no processes -- so they are the core's own
// cost. Every repetition runs in a fresh child process (fork), so one figure's heap never flatters
// or burdens the next. Results go to stdout as JSON lines and, with --markdown, into the "Scheduler
// core" section of BENCHMARKS.md (between markers; the rest of the file is kept).
//
//   gleaner_scheduler_bench [--figures schedule,starvation,memory,array,restore] [--reps 3]
//       [--jobs 1000000] [--starvation-backlog 100000]
//       [--queues 100] [--environments 10] [--hosts 10000] [--rounds 100] [--exits 1000]
//       [--array-size 10000] [--restore-jobs 1000000] [--tmp /tmp] [--markdown BENCHMARKS.md]
//   gleaner_scheduler_bench --render results.jsonl BENCHMARKS.md   (markdown from an earlier run)
//
// Figures are reported, never asserted: a missed goal is a finding, not a failure.
#include <fcntl.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench/scheduler_bench.h"
#include "model/json_codec.h"
#include "scheduler/batch_state.h"
#include "server/state_records.h"
#include "store/store.h"

namespace gleaner::bench {
namespace {

using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// ---- the world: compute environments, queues, definitions, hosts ----

struct World {
  explicit World(BatchStateOptions options = {}) : state(clock, std::move(options)) {}
  FakeClock clock;
  BatchState state;
  std::vector<std::string> queue_names;
};

// Figures run in a child that _exits when done: its world is never destroyed, because taking apart
// millions of jobs takes seconds that measure nothing.
World& LeakedWorld(BatchStateOptions options = {}) { return *new World(std::move(options)); }

ContainerProperties Container(const std::string& vcpus, const std::string& memory_mib) {
  ContainerProperties container;
  container.image = "public.ecr.aws/docker/library/busybox:latest";
  container.command = {"sh", "-c", "sleep 30"};
  container.resource_requirements = {{"VCPU", vcpus}, {"MEMORY", memory_mib}};
  return container;
}

void RegisterDefinition(World& world, const std::string& name, const std::string& vcpus,
                        const std::string& memory_mib, int retry_attempts = 0) {
  JobDefinition definition;
  definition.name = name;
  definition.type = "container";
  definition.container_properties = Container(vcpus, memory_mib);
  if (retry_attempts > 0) definition.retry_strategy = RetryStrategy{retry_attempts, {}};
  Must(world.state.RegisterJobDefinition(std::move(definition)), "RegisterJobDefinition");
}

// `environments` EC2 compute environments whose maxvCpus never binds (the hosts do), `queues` FIFO
// queues with priorities 1-500 (ties happen), each on 1-3 distinct environments, and job
// definitions small (1 vCPU, 1 GiB), medium (2 vCPU, 4 GiB), large (4 vCPU, 16 GiB), flaky (small,
// 3 attempts).
void BuildCatalog(World& world, const Options& options, std::mt19937_64& random) {
  char name[32];
  std::vector<std::string> environment_names;
  for (int i = 0; i < options.environments; ++i) {
    std::snprintf(name, sizeof name, "ce-%02d", i);
    ComputeEnvironment environment;
    environment.name = name;
    environment.type = "MANAGED";
    ComputeResources resources;
    resources.type = "EC2";
    resources.maxv_cpus = 10'000'000;
    resources.instance_types = {"optimal"};
    environment.compute_resources = resources;
    Must(world.state.CreateComputeEnvironment(std::move(environment)), "CreateComputeEnvironment");
    environment_names.push_back(name);
  }
  for (int i = 0; i < options.queues; ++i) {
    std::snprintf(name, sizeof name, "q-%03d", i);
    JobQueue queue;
    queue.name = name;
    queue.priority = static_cast<int>(random() % 500) + 1;
    std::vector<std::string> pool = environment_names;
    std::shuffle(pool.begin(), pool.end(), random);
    int count = static_cast<int>(random() % 3) + 1;
    for (int k = 0; k < count && k < static_cast<int>(pool.size()); ++k) {
      queue.compute_environment_order.push_back({k + 1, pool[static_cast<size_t>(k)]});
    }
    Must(world.state.CreateJobQueue(std::move(queue)), "CreateJobQueue");
    world.queue_names.push_back(name);
  }
  RegisterDefinition(world, "small", "1", "1024");
  RegisterDefinition(world, "medium", "2", "4096");
  RegisterDefinition(world, "large", "4", "16384");
  RegisterDefinition(world, "flaky", "1", "1024", /*retry_attempts=*/3);
}

// `count` hosts of 2-96 vCPUs with 2, 4 or 8 GiB per vCPU (c5/m5/r5-like), in a seeded mix.
Resources AddHosts(World& world, int count, std::mt19937_64& random) {
  static constexpr int64_t kVcpus[] = {2, 4, 8, 16, 32, 48, 64, 96};
  static constexpr int64_t kGibPerVcpu[] = {2, 4, 8};
  Resources total;
  char id[32];
  for (int i = 0; i < count; ++i) {
    std::snprintf(id, sizeof id, "i-%017x", i + 1);
    Host host;
    host.instance_id = id;
    host.container_instance_arn = world.state.scope().EcsContainerInstance(id);
    int64_t vcpus = kVcpus[random() % std::size(kVcpus)];
    host.total = Resources{vcpus * 1000, vcpus * kGibPerVcpu[random() % 3] * 1024, 0};
    total += host.total;
    world.state.AddHost(std::move(host));
  }
  return total;
}

enum class JobMix { kSmallOnly, kVaried };

// A typical SubmitJob: a name, a queue and a definition, no overrides (or, with `environment`,
// three containerOverrides.environment entries).
SubmitJobRequest TypicalRequest(const World& world, int64_t i, JobMix mix, bool environment) {
  SubmitJobRequest request;
  request.job_name = "process-chunk-" + std::to_string(i % 100'000);
  request.job_queue = world.queue_names[static_cast<size_t>(i) % world.queue_names.size()];
  request.job_definition = "small";
  if (mix == JobMix::kVaried) {  // 80% small, 15% medium, 5% large, by a fixed pattern
    int64_t slot = (i * 7919) % 100;
    if (slot >= 95) {
      request.job_definition = "large";
    } else if (slot >= 80) {
      request.job_definition = "medium";
    }
  }
  if (environment) {
    ContainerOverrides overrides;
    overrides.environment = {
        {"INPUT_URI", "s3://example-bucket/input/part-" + std::to_string(i % 100'000) + ".parquet"},
        {"OUTPUT_PREFIX", "s3://example-bucket/output/"},
        {"LOG_LEVEL", "info"}};
    request.container_overrides = std::move(overrides);
  }
  return request;
}

std::string Submit(World& world, const SubmitJobRequest& request) {
  return Must(world.state.SubmitJob(request), "SubmitJob")->job_id;
}

// What the engine persists for a set of changed jobs before it answers: one JSON record each.
size_t SerializeChangedJobs(const World& world, const StateChanges& changes) {
  size_t bytes = 0;
  for (const std::string& id : changes.jobs) {
    if (const Job* job = world.state.FindJob(id)) bytes += ToRecord(*job).dump().size();
  }
  return bytes;
}

// ---- figure 1: scheduling decisions per second ----

// Submits `jobs` RUNNABLE jobs, fills the hosts, tops the backlog up to `jobs` again, then runs
// `rounds` rounds of: `exits` random attempts end, as many new jobs arrive, and a Schedule() pass
// (the engine runs one per batch of events) places what fits.
json RunScheduleFigure(const Options& options) {
  std::mt19937_64 random(options.seed);
  World& world = LeakedWorld();
  BuildCatalog(world, options, random);
  double submit_seconds = 0;
  for (int64_t i = 0; i < options.jobs; ++i) {
    SubmitJobRequest request = TypicalRequest(world, i, JobMix::kVaried, false);
    Timed(submit_seconds, [&] { Submit(world, request); });
  }
  (void)world.state.TakeChanges();
  // The first pass also runs the once-a-minute housekeeping (retention scan over every job); with
  // no hosts yet it places nothing, so its time is the housekeeping's.
  double housekeeping_seconds = 0;
  Timed(housekeeping_seconds, [&] { (void)world.state.Schedule(); });
  Resources capacity = AddHosts(world, options.hosts, random);

  std::vector<std::string> running;
  int64_t pid = 1000;
  auto launch_all = [&](const Decisions& decisions) {
    for (const StartAttempt& start : decisions.starts) {
      ++pid;
      world.state.OnAttemptLaunched(start.job_id, pid, pid * 10);
      running.push_back(start.job_id);
    }
  };
  double fill_seconds = 0;
  int64_t fill_placements = 0;
  int fill_passes = 0;
  for (;;) {
    Decisions decisions = Timed(fill_seconds, [&] { return world.state.Schedule(); });
    ++fill_passes;
    if (decisions.starts.empty()) break;
    fill_placements += static_cast<int64_t>(decisions.starts.size());
    launch_all(decisions);
    (void)world.state.TakeChanges();
    world.clock.Advance(1);
  }
  int64_t next_job = options.jobs;
  for (int64_t i = 0; i < fill_placements; ++i) {
    Submit(world, TypicalRequest(world, next_job++, JobMix::kVaried, false));
  }
  (void)world.state.TakeChanges();
  Log("schedule: " + std::to_string(fill_placements) + " running after the fill, " +
      std::to_string(options.jobs) + " queued");

  double schedule_seconds = 0;
  double schedule_cpu_seconds = 0;
  double event_seconds = 0;
  double persist_seconds = 0;
  int64_t placements = 0;
  int64_t passes = 0;
  size_t persisted_bytes = 0;
  std::vector<double> pass_millis;
  std::vector<double> round_rates;  // decisions/s of each round, to see a trend
  for (int round = 0; round < options.rounds; ++round) {
    double round_seconds = schedule_seconds;
    int64_t round_placements = placements;
    Timed(event_seconds, [&] {
      for (int e = 0; e < options.exits_per_round && !running.empty(); ++e) {
        size_t pick = random() % running.size();
        std::swap(running[pick], running.back());
        world.state.OnAttemptExited(running.back(), 0, 0);
        running.pop_back();
      }
    });
    world.clock.Advance(10);
    for (int e = 0; e < options.exits_per_round; ++e) {
      Submit(world, TypicalRequest(world, next_job++, JobMix::kVaried, false));
    }
    (void)world.state.TakeChanges();  // exits and submissions: not decisions
    {                                 // one pass per batch of events, as the engine runs it
      auto start = SteadyClock::now();
      double cpu_start = CpuSeconds();
      Decisions decisions = world.state.Schedule();
      schedule_cpu_seconds += CpuSeconds() - cpu_start;
      double seconds = SecondsSince(start);
      schedule_seconds += seconds;
      pass_millis.push_back(seconds * 1000);
      ++passes;
      placements += static_cast<int64_t>(decisions.starts.size());
      Timed(event_seconds, [&] { launch_all(decisions); });
    }
    round_rates.push_back((placements - round_placements) / (schedule_seconds - round_seconds));
    StateChanges changes = world.state.TakeChanges();
    Timed(persist_seconds, [&] { persisted_bytes += SerializeChangedJobs(world, changes); });
  }
  // Once a minute of clock time a pass also does housekeeping over every job.
  world.clock.Advance(60'000);
  double minute_pass_seconds = 0;
  Timed(minute_pass_seconds, [&] { (void)world.state.Schedule(); });

  double per_second = placements / schedule_seconds;
  size_t tenth = std::max<size_t>(1, round_rates.size() / 10);
  std::vector<double> first(round_rates.begin(), round_rates.begin() + tenth);
  std::vector<double> last(round_rates.end() - tenth, round_rates.end());
  return json{
      {"decisions_per_second", per_second},
      {"decisions_per_cpu_second", placements / schedule_cpu_seconds},
      {"first_rounds_decisions_per_second", Median(first)},
      {"last_rounds_decisions_per_second", Median(last)},
      {"loop_decisions_per_second", placements / (schedule_seconds + event_seconds)},
      {"placements", placements},
      {"passes", passes},
      {"pass_ms_median", Median(pass_millis)},
      {"pass_ms_max", *std::max_element(pass_millis.begin(), pass_millis.end())},
      {"persist_us_per_decision", persist_seconds * 1e6 / static_cast<double>(placements)},
      {"persist_bytes_per_decision", static_cast<double>(persisted_bytes) / placements},
      {"fill_decisions_per_second", fill_placements / fill_seconds},
      {"fill_placements", fill_placements},
      {"fill_passes", fill_passes},
      {"submit_per_second", options.jobs / submit_seconds},
      {"housekeeping_pass_ms", housekeeping_seconds * 1000},
      {"minute_pass_ms", minute_pass_seconds * 1000},
      {"host_vcpus", capacity.millivcpus / 1000},
      {"host_memory_gib", capacity.memory_mib / 1024},
      {"jobs_in_memory", world.state.job_count()},
  };
}

SubmitJobRequest Request(const std::string& name, const std::string& queue,
                         const std::string& definition) {
  SubmitJobRequest request;
  request.job_name = name;
  request.job_queue = queue;
  request.job_definition = definition;
  return request;
}

// ---- figure 1b: an unplaceable backlog beside a placeable job (issue 10, item 4) ----

// `backlog` RUNNABLE jobs in a high-priority queue whose only host is full, of 3 shapes, and one
// job in a low-priority queue whose host is free, with the server's own per-pass budget (20,000
// jobs examined). Reports how many passes the placeable job waits (goal: it starts in the first),
// and the pass time against a baseline pass without the backlog, measured in the same run.
json RunStarvationFigure(const Options& options) {
  World& world = LeakedWorld();  // BatchStateOptions' defaults: the production budget
  for (const char* name : {"full", "free"}) {
    ComputeEnvironment environment;
    environment.name = name;
    environment.type = "MANAGED";
    environment.compute_resources = ComputeResources{};
    environment.compute_resources->type = "EC2";
    environment.compute_resources->maxv_cpus = 10'000'000;
    Must(world.state.CreateComputeEnvironment(std::move(environment)), "CreateComputeEnvironment");
  }
  for (auto [name, priority, environment] :
       {std::tuple{"backlog", 100, "full"}, std::tuple{"other", 1, "free"}}) {
    JobQueue queue;
    queue.name = name;
    queue.priority = priority;
    queue.compute_environment_order.push_back({1, environment});
    Must(world.state.CreateJobQueue(std::move(queue)), "CreateJobQueue");
  }
  RegisterDefinition(world, "small", "1", "1024");
  RegisterDefinition(world, "medium", "2", "4096");
  RegisterDefinition(world, "large", "4", "16384");
  RegisterDefinition(world, "filler", "8", "32768");
  for (const char* environment : {"full", "free"}) {
    Host host;
    host.instance_id = std::string("i-") + environment;
    host.compute_environment_arn = world.state.FindComputeEnvironment(environment)->arn;
    host.total = Resources{8000, 32768, 0};
    world.state.AddHost(std::move(host));
  }
  Submit(world, Request("filler", "backlog", "filler"));
  Decisions filled = world.state.Schedule();
  if (filled.starts.size() != 1) throw std::runtime_error("the filler did not start");
  world.state.OnAttemptLaunched(filled.starts[0].job_id, 1000, 10000);

  auto timed_pass = [&world] {
    auto start = SteadyClock::now();
    Decisions decisions = world.state.Schedule();
    return std::pair{decisions, SecondsSince(start) * 1000};
  };
  // Baseline: the same world without the backlog, one idle pass.
  std::vector<double> baseline_ms;
  for (int i = 0; i < 5; ++i) {
    world.clock.Advance(1);
    baseline_ms.push_back(timed_pass().second);
  }
  static constexpr const char* kShapes[] = {"small", "medium", "large"};
  for (int64_t i = 0; i < options.starvation_backlog; ++i) {
    Submit(world, Request("waiting", "backlog", kShapes[i % 3]));
  }
  std::string placeable = Submit(world, Request("placeable", "other", "small"));
  (void)world.state.TakeChanges();
  int passes = 0;
  std::vector<double> pass_ms;
  bool started = false;
  while (!started && passes < 100) {
    world.clock.Advance(1);
    auto [decisions, millis] = timed_pass();
    ++passes;
    pass_ms.push_back(millis);
    for (const StartAttempt& start : decisions.starts) started |= start.job_id == placeable;
  }
  // Passes once it has started: the backlog alone.
  for (int i = 0; i < 5; ++i) {
    world.clock.Advance(1);
    pass_ms.push_back(timed_pass().second);
  }
  return json{{"passes_until_started", started ? passes : -1},
              {"backlog", options.starvation_backlog},
              {"pass_ms_median", Median(pass_ms)},
              {"baseline_pass_ms_median", Median(baseline_ms)},
              {"pass_ms_ratio_to_baseline", Median(pass_ms) / std::max(Median(baseline_ms), 1e-6)}};
}

// ---- figure 2: memory per queued job ----

json RunMemoryFigure(const Options& options, bool environment) {
  std::mt19937_64 random(options.seed);
  World& world = LeakedWorld();
  BuildCatalog(world, options, random);
  malloc_trim(0);
  int64_t rss_before = ResidentBytes();
  int64_t heap_before = HeapInUse();
  std::string sample;
  for (int64_t i = 0; i < options.jobs; ++i) {
    std::string id = Submit(world, TypicalRequest(world, i, JobMix::kSmallOnly, environment));
    if (i == options.jobs / 2) sample = id;
    // The engine persists and takes the changes after every batch of requests.
    if (i % 1'000 == 999) (void)world.state.TakeChanges();
  }
  int64_t rss_submitted = ResidentBytes();
  int64_t heap_submitted = HeapInUse();
  (void)world.state.TakeChanges();  // the engine takes these after every batch
  int64_t heap_settled = HeapInUse();
  malloc_trim(0);
  int64_t rss_settled = ResidentBytes();
  auto per_job = [&](int64_t bytes) { return static_cast<double>(bytes) / options.jobs; };
  return json{
      {"rss_bytes_per_job", per_job(rss_submitted - rss_before)},
      {"rss_bytes_per_job_after_take_changes", per_job(rss_settled - rss_before)},
      {"heap_bytes_per_job", per_job(heap_submitted - heap_before)},
      {"heap_bytes_per_job_after_take_changes", per_job(heap_settled - heap_before)},
      {"breakdown", JobBreakdown(*world.state.FindJob(sample))},
  };
}

// ---- figure 3: SubmitJob of a large array ----

json RunArrayFigure(const Options& options, int array_size) {
  std::mt19937_64 random(options.seed);
  World& world = LeakedWorld();
  BuildCatalog(world, options, random);
  for (int i = 0; i < 1000; ++i) Submit(world, TypicalRequest(world, i, JobMix::kVaried, false));
  (void)world.state.TakeChanges();
  std::vector<double> submit_ms;
  std::vector<double> total_ms;
  size_t records = 0;
  size_t bytes = 0;
  for (int sample = 0; sample < 7; ++sample) {
    SubmitJobRequest request = TypicalRequest(world, sample, JobMix::kSmallOnly, false);
    request.array_size = array_size;
    double submit = 0;
    double persist = 0;
    Timed(submit, [&] { Submit(world, request); });
    Timed(persist, [&] {
      StateChanges changes = world.state.TakeChanges();
      records = changes.jobs.size();
      bytes = SerializeChangedJobs(world, changes);
    });
    submit_ms.push_back(submit * 1000);
    total_ms.push_back((submit + persist) * 1000);
    world.clock.Advance(1);
  }
  json result{{"submit_ms", Median(submit_ms)},
              {"submit_and_serialize_ms", Median(total_ms)},
              {"records", records},
              {"record_bytes", bytes}};
  if (array_size <= 100'000) {
    // What starting it costs: a fresh world with room for every child, one Schedule() pass.
    World& fresh = LeakedWorld();
    BuildCatalog(fresh, options, random);
    SubmitJobRequest request = TypicalRequest(fresh, 0, JobMix::kSmallOnly, false);
    request.array_size = array_size;
    Submit(fresh, request);
    for (int i = 0; i * 96 < array_size; ++i) {
      Host host;
      host.instance_id = "i-array" + std::to_string(i);
      host.total = Resources{96'000, 96 * 8 * 1024, 0};
      fresh.state.AddHost(std::move(host));
    }
    (void)fresh.state.TakeChanges();
    double dispatch = 0;
    double persist = 0;
    Decisions decisions = Timed(dispatch, [&] { return fresh.state.Schedule(); });
    size_t dispatch_bytes =
        Timed(persist, [&] { return SerializeChangedJobs(fresh, fresh.state.TakeChanges()); });
    result["dispatch_ms"] = dispatch * 1000;
    result["dispatch_children_started"] = decisions.starts.size();
    result["dispatch_serialize_ms"] = persist * 1000;
    result["dispatch_record_bytes"] = dispatch_bytes;
  }
  return result;
}

// ---- figure 4: restart recovery ----

std::string DatabasePath(const Options& options) { return options.tmp + "/gleaner.db"; }

int64_t FileBytes(const std::string& path) {
  std::error_code error;
  auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<int64_t>(size);
}

// Writes `restore_jobs` job records, as the server would have persisted them: 60% SUCCEEDED after
// one attempt, 10% FAILED after three (a retry strategy of 3 attempts), 30% still RUNNABLE; plus
// the catalog they refer to. Commits in batches of 5,000 mutations.
json WriteStore(const Options& options) {
  std::mt19937_64 random(options.seed);
  BatchStateOptions state_options;
  state_options.max_jobs_examined_per_pass = 1'000'000;
  World& world = LeakedWorld(state_options);
  BuildCatalog(world, options, random);
  for (int i = 0; i < 8; ++i) {  // room for every attempt at once
    Host host;
    host.instance_id = "i-generator" + std::to_string(i);
    host.total = Resources{1'000'000'000, 1'000'000'000, 0};
    world.state.AddHost(std::move(host));
  }
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(options.restore_jobs));
  const int64_t finished = options.restore_jobs * 7 / 10;
  const int64_t chunk = 50'000;
  for (int64_t begin = 0; begin < finished; begin += chunk) {
    for (int64_t i = begin; i < std::min(finished, begin + chunk); ++i) {
      SubmitJobRequest request = TypicalRequest(world, i, JobMix::kVaried, i % 5 == 0);
      if (i % 7 == 0) request.job_definition = "flaky";
      ids.push_back(Submit(world, request));
    }
    for (Decisions decisions = world.state.Schedule(); !decisions.starts.empty();
         decisions = world.state.Schedule()) {
      world.clock.Advance(1000);
      for (const StartAttempt& start : decisions.starts) {
        world.state.OnAttemptLaunched(start.job_id, 4242, 42420);
      }
      world.clock.Advance(30'000);
      for (const StartAttempt& start : decisions.starts) {
        bool flaky = world.state.FindJob(start.job_id)->job_definition.str().find("flaky") !=
                     std::string::npos;
        world.state.OnAttemptExited(start.job_id, flaky ? 1 : 0, 0);
      }
    }
    (void)world.state.TakeChanges();
  }
  for (int64_t i = finished; i < options.restore_jobs; ++i) {
    ids.push_back(Submit(world, TypicalRequest(world, i, JobMix::kVaried, i % 5 == 0)));
  }
  (void)world.state.TakeChanges();

  std::filesystem::remove(DatabasePath(options));
  SqliteStoreOptions store_options;
  store_options.path = DatabasePath(options);
  std::unique_ptr<Store> store = Must(OpenSqliteStore(store_options), "OpenSqliteStore");
  auto start = SteadyClock::now();
  std::vector<Mutation> batch;
  auto put = [&](RecordKind kind, const std::string& key, std::string document) {
    batch.push_back(Mutation::Put(kind, key, std::move(document)));
    if (batch.size() >= 5'000) {
      store->Commit(std::move(batch), [](const Status& status) {
        if (!status.ok()) std::cerr << "commit failed: " << status.message() << std::endl;
      });
      batch = {};
    }
  };
  for (int i = 0; i < options.environments; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "ce-%02d", i);
    put(RecordKind::kComputeEnvironment, name,
        ToRecord(*world.state.FindComputeEnvironment(name)).dump());
  }
  for (const std::string& name : world.queue_names) {
    put(RecordKind::kJobQueue, name, ToRecord(*world.state.FindJobQueue(name)).dump());
  }
  for (const char* name : {"small:1", "medium:1", "large:1", "flaky:1"}) {
    put(RecordKind::kJobDefinition, name, ToRecord(*world.state.FindJobDefinition(name)).dump());
  }
  size_t document_bytes = 0;
  for (const std::string& id : ids) {
    std::string document = ToRecord(*world.state.FindJob(id)).dump();
    document_bytes += document.size();
    put(RecordKind::kJob, id, std::move(document));
  }
  store->Commit(std::move(batch), [](const Status&) {});
  store->Flush();
  store.reset();
  double write_seconds = SecondsSince(start);
  return json{{"jobs", ids.size()},
              {"write_seconds", write_seconds},
              {"document_bytes", document_bytes},
              {"db_bytes", FileBytes(DatabasePath(options))},
              {"wal_bytes", FileBytes(DatabasePath(options) + "-wal")}};
}

void EvictFromPageCache(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  fdatasync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

// What `gleaner up` does at start (Engine::Start): Load(), RestoreFromRecords(), FinishRestore().
json RunRestore(const Options& options, bool cold) {
  if (cold) {
    EvictFromPageCache(DatabasePath(options));
    EvictFromPageCache(DatabasePath(options) + "-wal");
  }
  World& world = LeakedWorld();
  world.clock.Set(1'800'000'000'000);
  BatchState& state = world.state;
  auto start = SteadyClock::now();
  double cpu_start = CpuSeconds();
  SqliteStoreOptions store_options;
  store_options.path = DatabasePath(options);
  double load_seconds = 0;
  double decode_and_restore_seconds = 0;
  double finish_seconds = 0;
  ParallelDecodeStats stats;
  std::unique_ptr<Store> store = Must(OpenSqliteStore(store_options), "OpenSqliteStore");
  StoreSnapshot snapshot = Timed(load_seconds, [&] { return Must(store->Load(), "Load"); });
  Status restored_status = Timed(decode_and_restore_seconds,
                                 [&] { return RestoreFromRecords(snapshot, state, &stats); });
  if (!restored_status.ok()) throw std::runtime_error(restored_status.message());
  Timed(finish_seconds, [&] { (void)state.FinishRestore(); });
  double total_seconds = SecondsSince(start);
  double cpu_seconds = CpuSeconds() - cpu_start;
  size_t restored = state.job_count();
  // The snapshot's documents are dead weight once restored; how long freeing them takes counts too.
  double release_seconds = 0;
  Timed(release_seconds, [&] { snapshot = {}; });
  return json{{"seconds", total_seconds},
              {"cpu_seconds", cpu_seconds},
              {"load_seconds", load_seconds},
              {"decode_and_restore_seconds", decode_and_restore_seconds},
              {"decode_threads", stats.threads},
              {"decode_cpu_seconds", stats.decode_cpu_seconds},
              {"restore_job_seconds", stats.consume_seconds},
              {"restore_wait_seconds", stats.wait_seconds},
              {"finish_restore_seconds", finish_seconds},
              {"release_snapshot_seconds", release_seconds},
              {"jobs_restored", restored},
              {"peak_rss_bytes", PeakResidentBytes()}};
}

// ---- main ----

std::vector<json> Repeat(int reps, const std::string& what, const std::function<json()>& body) {
  std::vector<json> runs;
  for (int rep = 0; rep < reps; ++rep) {
    Log(what + ": run " + std::to_string(rep + 1) + "/" + std::to_string(reps));
    runs.push_back(InChild(body));
  }
  return runs;
}

bool Wants(const Options& options, const std::string& figure) {
  return std::find(options.figures.begin(), options.figures.end(), figure) != options.figures.end();
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) throw std::runtime_error("missing value for " + flag);
    std::string value = argv[++i];
    if (flag == "--figures") {
      options.figures.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) options.figures.push_back(item);
    } else if (flag == "--reps") {
      options.reps = std::max(1, std::stoi(value));
    } else if (flag == "--jobs") {
      options.jobs = std::stoll(value);
    } else if (flag == "--queues") {
      options.queues = std::stoi(value);
    } else if (flag == "--environments") {
      options.environments = std::stoi(value);
    } else if (flag == "--hosts") {
      options.hosts = std::stoi(value);
    } else if (flag == "--rounds") {
      options.rounds = std::stoi(value);
    } else if (flag == "--exits") {
      options.exits_per_round = std::stoi(value);
    } else if (flag == "--array-size") {
      options.array_size = std::stoi(value);
    } else if (flag == "--starvation-backlog") {
      options.starvation_backlog = std::stoll(value);
    } else if (flag == "--restore-jobs") {
      options.restore_jobs = std::stoll(value);
    } else if (flag == "--tmp") {
      options.tmp = value;
    } else if (flag == "--markdown") {
      options.markdown = value;
    } else if (flag == "--seed") {
      options.seed = std::stoull(value);
    } else {
      throw std::runtime_error("unknown flag " + flag);
    }
  }
  return options;
}

int Main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--render") return Render(argv[2], argv[3]);
  Options options = ParseOptions(argc, argv);
  std::cout << json{{"params", ParamsOf(options)}}.dump() << std::endl;
  std::vector<Figure> figures;
  json store_info = json::object();
  auto add = [&](Figure figure) {
    Print(figure);
    figures.push_back(std::move(figure));
  };
  if (Wants(options, "schedule")) {
    add(MakeFigure("schedule_decisions_per_second",
                   "Scheduling decisions with " + Format(options.jobs) + " queued jobs", "/s",
                   100'000, true,
                   Repeat(options.reps, "schedule", [&] { return RunScheduleFigure(options); }),
                   "decisions_per_second"));
  }
  if (Wants(options, "starvation")) {
    add(MakeFigure("starvation_passes",
                   "Passes a placeable job waits behind " + Format(options.starvation_backlog) +
                       " unplaceable ones",
                   "passes", 1, false,
                   Repeat(options.reps, "starvation", [&] { return RunStarvationFigure(options); }),
                   "passes_until_started"));
  }
  if (Wants(options, "memory")) {
    add(MakeFigure("memory_bytes_per_queued_job", "Memory per queued job (RSS)", "B", 1024, false,
                   Repeat(options.reps, "memory",
                          [&] { return RunMemoryFigure(options, /*environment=*/false); }),
                   "rss_bytes_per_job"));
    add(MakeFigure("memory_bytes_per_queued_job_with_environment",
                   "Memory per queued job, 3 env overrides (RSS)", "B", 1024, false,
                   Repeat(options.reps, "memory with environment",
                          [&] { return RunMemoryFigure(options, /*environment=*/true); }),
                   "rss_bytes_per_job"));
  }
  if (Wants(options, "array")) {
    add(MakeFigure(
        "array_submit_ms",
        "SubmitJob of a " + Format(options.array_size) + "-child array (+ its record)", "ms", 50,
        false,
        Repeat(options.reps, "array", [&] { return RunArrayFigure(options, options.array_size); }),
        "submit_and_serialize_ms"));
    add(MakeFigure(
        "array_1m_submit_ms", "SubmitJob of a 1,000,000-child array (+ its record)", "ms", 50,
        false, Repeat(options.reps, "array 1M", [&] { return RunArrayFigure(options, 1'000'000); }),
        "submit_and_serialize_ms"));
  }
  if (Wants(options, "restore")) {
    options.tmp =
        std::filesystem::path(options.tmp) / ("gleaner-schedbench-" + std::to_string(getpid()));
    std::filesystem::create_directories(options.tmp);
    Log("restore: writing " + std::to_string(options.restore_jobs) + " job records");
    store_info = InChild([&] { return WriteStore(options); });
    std::cout << json{{"figure", "restore_store"}, {"details", store_info}}.dump() << std::endl;
    add(MakeFigure(
        "restore_seconds",
        "Restart recovery, " + Format(options.restore_jobs) + " jobs in the store", "s", 10, false,
        Repeat(options.reps, "restore", [&] { return RunRestore(options, false); }), "seconds"));
    add(MakeFigure(
        "restore_seconds_cold",
        "Restart recovery, " + Format(options.restore_jobs) + " jobs, cold page cache", "s", 10,
        false, Repeat(1, "restore cold", [&] { return RunRestore(options, true); }), "seconds"));
    std::filesystem::remove_all(options.tmp);
  }
  if (!options.markdown.empty()) {
    WriteMarkdown(options.markdown, options, figures, store_info);
    Log("wrote " + options.markdown);
  }
  return 0;
}

}  // namespace
}  // namespace gleaner::bench

int main(int argc, char** argv) {
  try {
    return gleaner::bench::Main(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "gleaner_scheduler_bench: " << error.what() << std::endl;
    return 1;
  }
}
