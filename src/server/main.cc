// gleaner: one binary, subcommands `up` (all-in-one server), `agent` and client tools.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent_command.h"
#include "cli/cost_command.h"
#include "cli/interrupt_command.h"
#include "cli/job_commands.h"
#include "cli/listing_commands.h"
#include "cli/logs_command.h"
#include "runtime/attempt_shim.h"
#include "runtime/run_as.h"
#include "server/up_command.h"

namespace {

std::string DefaultEndpoint() {
  const char* endpoint = std::getenv("GLEANER_ENDPOINT");
  return endpoint ? endpoint : "http://127.0.0.1:8686";
}

// The options every client command shares: where gleaner is, and (for listings) the output form.
void AddEndpointOption(CLI::App& command, std::string& endpoint) {
  command.add_option("--endpoint", endpoint, "gleaner's URL (env GLEANER_ENDPOINT)")
      ->capture_default_str();
}
void AddOutputOption(CLI::App& command, std::string& output, const std::string& forms) {
  command.add_option("--output,-o", output, forms)->capture_default_str();
}

// How attempts run: the same words for `gleaner up` and `gleaner agent` (runtime_choice.h).
void AddRuntimeOptions(CLI::App& command, std::string& runtime, std::string& image_pull) {
  command
      .add_option("--runtime", runtime,
                  "container: each job runs in its image (podman, or docker); process: its "
                  "command runs on this machine; auto: container when podman or docker works")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "container", "process"}));
  command
      .add_option("--image-pull", image_pull,
                  "When images are pulled (ECS_IMAGE_PULL_BEHAVIOR): default (pull, fall back "
                  "to the cached image), always, once, prefer-cached")
      ->capture_default_str()
      ->check(CLI::IsMember({"default", "always", "once", "prefer-cached"}));
}

}  // namespace

int main(int argc, char** argv) {
  // `gleaner attempt-shim --exit-file PATH -- COMMAND...`, what `gleaner agent` runs each attempt
  // under: parsed by hand (CLI11 would rewrite the command's words) and not listed in --help.
  if (argc >= 2 && std::string_view(argv[1]) == "attempt-shim") {
    return gleaner::RunAttemptShimCommand(std::vector<std::string>(argv + 2, argv + argc));
  }
  // `gleaner run-as USER -- COMMAND...`: how a job becomes its definition's user (run_as.h).
  if (argc >= 2 && std::string_view(argv[1]) == "run-as") {
    return gleaner::RunAsCommand(std::vector<std::string>(argv + 2, argv + argc));
  }
  CLI::App app{"gleaner: a self-hosted batch scheduler that speaks the AWS Batch API"};
  app.require_subcommand(1);

  gleaner::UpOptions up;
  CLI::App* up_command = app.add_subcommand(
      "up", "Start the all-in-one server: API, scheduler, SQLite, local capacity");
  up_command->add_option("--listen", up.listen, "HOST:PORT to serve on (port 0: any free port)")
      ->capture_default_str();
  up_command->add_option("--data-dir", up.data_dir,
                         "Where the database and job logs live (default ~/.gleaner)");
  up_command->add_option("--region", up.region, "Region in ARNs")->capture_default_str();
  up_command->add_option("--account-id", up.account_id, "Account id in ARNs")
      ->capture_default_str();
  up_command->add_option("--vcpus", up.vcpus, "vCPUs to offer (default: the machine's)")
      ->check(CLI::NonNegativeNumber);
  up_command
      ->add_option("--memory", up.memory_mib, "Memory to offer in MiB (default: the machine's)")
      ->check(CLI::NonNegativeNumber);
  up_command
      ->add_option("--stop-grace-seconds", up.stop_grace_seconds,
                   "Seconds between SIGTERM and SIGKILL when a job is terminated")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  up_command
      ->add_option(
          "--local-vcpu-hour-price", up.local_vcpu_hour_price,
          "USD per vCPU-hour reserved on this machine (--capacity local), for gleaner cost")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1000.0));
  up_command
      ->add_option("--agent-vcpu-hour-price", up.agent_vcpu_hour_price,
                   "USD per vCPU-hour reserved on agents' machines, for gleaner cost")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1000.0));
  up_command
      ->add_option("--preemption-retries", up.preemption_retries,
                   "How interruptions count unless a job's, definition's or queue's "
                   "gleaner:preemption-retries tag says: attempts (as on AWS Batch), unlimited, "
                   "or N retries apart from the job's attempts")
      ->capture_default_str();
  up_command
      ->add_option("--job-retention-days", up.job_retention_days,
                   "Days finished jobs stay visible before they are purged")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 36500.0));
  up_command->add_option("--http-threads", up.http_threads, "HTTP threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  up_command
      ->add_option("--capacity", up.capacity,
                   "simspot: MANAGED compute environments launch simulated EC2 instances; local: "
                   "this machine serves every compute environment")
      ->capture_default_str()
      ->check(CLI::IsMember({"simspot", "local"}));
  AddRuntimeOptions(*up_command, up.runtime, up.image_pull);
  up_command
      ->add_option("--interruption-profile", up.interruption_profile,
                   "How the simulated cloud interrupts: aws (120 s notice), gcp (30 s, 24 h "
                   "limit), gcp-spot, azure (30 s)")
      ->capture_default_str()
      ->check(CLI::IsMember({"aws", "gcp", "gcp-spot", "azure"}));
  up_command
      ->add_option("--boot-seconds", up.boot_seconds,
                   "Seconds a simulated instance takes from launch to ready")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  up_command
      ->add_option("--scale-in-idle-seconds", up.scale_in_idle_seconds,
                   "Seconds an idle simulated instance lives before scale-in")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  up_command->add_flag("!--no-background-interruptions", up.background_interruptions,
                       "Spot instances are interrupted only on request (gleaner interrupt)");
  up_command->add_flag("--signal-at-notice,!--no-signal-at-notice", up.signal_at_notice,
                       "SIGTERM to jobs at the interruption notice. Default, as on AWS: the "
                       "notice is in instance metadata and events only, and jobs get SIGTERM "
                       "--stop-grace-seconds before the deadline, SIGKILL at it (the gcp "
                       "profiles always signal at the notice: GCP's ACPI shutdown)");
  up_command->add_option("--seed", up.seed, "Seed of the simulated cloud (default: random)");
  up_command->add_option("--log-level", up.log_level, "debug, info, warn or error")
      ->capture_default_str();
  up_command
      ->add_option("--log-format", up.log_format,
                   "text, or json: one object per line with time, level and message")
      ->capture_default_str();
  up_command->add_option("--subnet-zone", up.subnet_zones,
                         "SUBNET=ZONE: the simulated cloud's subnet SUBNET is in availability "
                         "zone ZONE (repeatable). Otherwise a subnet is in the zone the first "
                         "request naming both gave it, else in one derived from its id");
  up_command->add_option("--agent-token-file", up.agent_token_file,
                         "A file holding the token agents must present to join");
  up_command
      ->add_option("--agent-token", up.agent_token,
                   "Agents must present this token to join (env GLEANER_AGENT_TOKEN; default: "
                   "any agent may join)")
      ->envname("GLEANER_AGENT_TOKEN");
  up_command
      ->add_option("--agent-lost-after", up.agent_lost_after_seconds,
                   "Seconds without a report or poll after which an agent is declared lost")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
  up_command->add_option("--credentials", up.credentials_file,
                         "Access keys requests must be signed with (SigV4), in the AWS CLI's "
                         "credentials file format (default: <data-dir>/credentials, made on "
                         "first start)");
  up_command->add_option("--tls-cert", up.tls_certificate_file,
                         "Serve HTTPS with this certificate chain (PEM; with --tls-key)");
  up_command->add_option("--tls-key", up.tls_private_key_file,
                         "The private key (PEM) of --tls-cert");
  up_command->add_option("--ui-dir", up.ui_directory,
                         "The web dashboard's built files, served at /ui (default: the ui "
                         "directory beside the gleaner binary, where scripts/build.sh builds it)");
  up_command
      ->add_option("--job-network", up.job_network,
                   "Local attempts' network: namespace (one per attempt, with the instance "
                   "metadata service at 169.254.169.254; needs root), host (this machine's), or "
                   "auto (namespace when root; the default)")
      ->check(CLI::IsMember({"auto", "namespace", "host"}));
  up_command->add_flag("--s3-auto-create-buckets", up.s3_auto_create_buckets,
                       "S3: a PutObject, CopyObject or multipart upload to a bucket that does not "
                       "exist creates it (default: NoSuchBucket, as on AWS)");
  up_command->add_flag("--no-auth", up.no_auth,
                       "Accept unsigned requests (only on a loopback --listen address)");
  up_command
      ->add_option("--inject-commit-delay-ms", up.injected_commit_delay_millis,
                   "Testing only: every store commit waits this long before it is durable, as "
                   "on a slow disk")
      ->check(CLI::Range(0, 60'000))
      ->group("");  // hidden: fault injection, not a setting

  gleaner::LogsCommandOptions logs;
  logs.endpoint = DefaultEndpoint();
  CLI::App* logs_command = app.add_subcommand("logs", "Print a job's output (stdout and stderr)");
  logs_command->add_option("job_id", logs.job_id, "The job id")->required();
  logs_command->add_option("--attempt", logs.attempt, "Attempt number, 1-based (default: latest)")
      ->check(CLI::PositiveNumber);
  logs_command->add_flag("--follow,-f", logs.follow, "Keep printing until the attempt ends");
  logs_command->add_option("--endpoint", logs.endpoint, "gleaner's URL (env GLEANER_ENDPOINT)")
      ->capture_default_str();

  gleaner::JobsCommandOptions jobs;
  jobs.endpoint = DefaultEndpoint();
  CLI::App* jobs_command = app.add_subcommand("jobs", "List jobs as a table (or JSON)");
  jobs_command->add_option("--queue", jobs.queues,
                           "Only this job queue (repeatable; default: all)");
  jobs_command->add_option("--status", jobs.statuses,
                           "Only jobs in this status (repeatable; default: all)");
  jobs_command->add_option("--name", jobs.name, "Only jobs whose name matches this glob ('*')");
  jobs_command->add_option("--array-job-id", jobs.array_job_id, "The children of this array job");
  jobs_command
      ->add_option("--max-items", jobs.max_items,
                   "Show the newest this many matching jobs (array children: all)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  AddOutputOption(*jobs_command, jobs.output, "table or json");
  AddEndpointOption(*jobs_command, jobs.endpoint);

  gleaner::QueuesCommandOptions queues;
  queues.endpoint = DefaultEndpoint();
  CLI::App* queues_command = app.add_subcommand(
      "queues", "Per job queue: jobs by status, running vCPUs, the job waiting longest");
  AddOutputOption(*queues_command, queues.output, "table or json");
  AddEndpointOption(*queues_command, queues.endpoint);

  gleaner::QueuesCommandOptions instances;
  instances.endpoint = DefaultEndpoint();
  CLI::App* instances_command = app.add_subcommand(
      "instances", "The simulated cloud's instances: type, zone, lifecycle, price, jobs, notices");
  AddOutputOption(*instances_command, instances.output, "table or json");
  AddEndpointOption(*instances_command, instances.endpoint);

  gleaner::CostCommandOptions cost;
  cost.endpoint = DefaultEndpoint();
  CLI::App* cost_command = app.add_subcommand(
      "cost", "What jobs cost and saved: per queue, compute environment, definition, tag, or job");
  cost_command
      ->add_option("--by", cost.by,
                   "queue, compute-environment, job-definition, lifecycle, job or tag:KEY")
      ->capture_default_str();
  cost_command->add_option("--since", cost.since,
                           "Attempts that ended since: a time (2026-12-07T10:00:00Z) or an age "
                           "(90m, 24h, 7d)");
  cost_command->add_option("--job", cost.job_id, "One job's attempts, each with its cost");
  AddOutputOption(*cost_command, cost.output, "table or json");
  AddEndpointOption(*cost_command, cost.endpoint);

  gleaner::DescribeCommandOptions describe;
  describe.endpoint = DefaultEndpoint();
  CLI::App* describe_command = app.add_subcommand(
      "describe", "One job: its status and why, its times and its attempts on a timeline");
  describe_command->add_option("job_id", describe.job_id, "The job id")->required();
  AddOutputOption(*describe_command, describe.output, "text or json");
  AddEndpointOption(*describe_command, describe.endpoint);

  gleaner::WatchCommandOptions watch;
  watch.endpoint = DefaultEndpoint();
  CLI::App* watch_command = app.add_subcommand(
      "watch",
      "Follow jobs until they end (a line per change; arrays with a progress bar); "
      "exits 0 when all succeeded, else the job's exit code");
  watch_command->add_option("job_ids", watch.job_ids, "Job ids");
  watch_command->add_option("--queue", watch.queues,
                            "Follow whole job queues instead (counts by status and a progress "
                            "bar), until none of their jobs is unfinished");
  watch_command->add_option("--interval-ms", watch.interval_millis, "How often to look")
      ->capture_default_str()
      ->check(CLI::Range(50, 60'000));
  AddEndpointOption(*watch_command, watch.endpoint);

  gleaner::InterruptCommandOptions interrupt;
  interrupt.endpoint = DefaultEndpoint();
  CLI::App* interrupt_command = app.add_subcommand(
      "interrupt",
      "Give simulated spot instances an interruption notice now: the job gets SIGTERM, and at "
      "the deadline SIGKILL and the instance is gone");
  auto* job_target =
      interrupt_command->add_option("--job-id", interrupt.job_id, "The instance this job runs on");
  auto* instance_target =
      interrupt_command->add_option("--instance-id", interrupt.instance_id, "One instance");
  auto* environment_target = interrupt_command->add_option(
      "--compute-environment", interrupt.compute_environment,
      "Instances of this compute environment (all, or --count / --percent of them)");
  job_target->excludes(instance_target, environment_target);
  instance_target->excludes(environment_target);
  interrupt_command->add_option("--count", interrupt.count, "How many instances")
      ->needs(environment_target)
      ->check(CLI::PositiveNumber);
  interrupt_command->add_option("--percent", interrupt.percent, "Which share of the instances")
      ->needs(environment_target)
      ->check(CLI::Range(0.0, 100.0));
  interrupt_command->add_option("--notice", interrupt.notice,
                                "Notice before the instance is gone, e.g. 5s, 2m (default: the "
                                "interruption profile's, 120 s on aws)");
  interrupt_command->add_option("--rebalance-lead", interrupt.rebalance_lead,
                                "Send a rebalance recommendation this long before the notice");
  interrupt_command
      ->add_option("--endpoint", interrupt.endpoint, "gleaner's URL (env GLEANER_ENDPOINT)")
      ->capture_default_str();

  gleaner::AgentCommandOptions agent;
  CLI::App* agent_command = app.add_subcommand(
      "agent", "Join a compute environment of a gleaner server and run its jobs on this machine");
  agent_command->add_option("--server", agent.server, "The server's URL, http://HOST:PORT")
      ->required();
  agent_command
      ->add_option("--cluster", agent.cluster,
                   "ECS cluster name or ARN of the compute environment to join")
      ->required();
  agent_command->add_option("--token", agent.token,
                            "The server's agent token (env GLEANER_AGENT_TOKEN; a command line "
                            "is visible to every user: prefer --token-file)");
  agent_command->add_option("--token-file", agent.token_file,
                            "A file holding the server's agent token");
  agent_command->add_option("--ca", agent.ca_file,
                            "CA certificates (PEM) to verify an https --server with (default: the "
                            "system's)");
  agent_command->add_option("--vcpus", agent.vcpus, "vCPUs to offer (default: the machine's)")
      ->check(CLI::NonNegativeNumber);
  agent_command
      ->add_option("--memory", agent.memory_mib, "Memory to offer in MiB (default: the machine's)")
      ->check(CLI::NonNegativeNumber);
  agent_command
      ->add_option("--gpus", agent.gpus, "GPUs to offer (default: the machine's /dev/nvidiaN)")
      ->check(CLI::NonNegativeNumber);
  agent_command->add_option("--work-dir", agent.work_dir,
                            "Where attempts, their logs and the agent's state live (default "
                            "~/.gleaner/agent)");
  AddRuntimeOptions(*agent_command, agent.runtime, agent.image_pull);
  agent_command->add_option(
      "--advertise-address", agent.advertise_address,
      "The IPv4 address other machines reach this one's attempts at (multi-node jobs' main node; "
      "default: this machine's address towards --server)");

  CLI11_PARSE(app, argc, argv);
  if (agent_command->parsed()) return gleaner::RunAgentCommand(agent);
  if (interrupt_command->parsed()) {
    if (interrupt.job_id.empty() && interrupt.instance_id.empty() &&
        interrupt.compute_environment.empty()) {
      std::cerr << "gleaner interrupt: give --job-id, --instance-id or --compute-environment\n";
      return 2;
    }
    return gleaner::RunInterruptCommand(interrupt);
  }
  if (up_command->parsed()) return gleaner::RunUpCommand(up);
  // The client commands read JSON from the server: an answer of a shape they do not expect (an
  // older or newer server) is one line and exit 1, never an abort.
  try {
    if (logs_command->parsed()) return gleaner::RunLogsCommand(logs);
    if (jobs_command->parsed()) return gleaner::RunJobsCommand(jobs);
    if (queues_command->parsed()) return gleaner::RunQueuesCommand(queues);
    if (instances_command->parsed()) return gleaner::RunInstancesCommand(instances);
    if (cost_command->parsed()) return gleaner::RunCostCommand(cost);
    if (describe_command->parsed()) return gleaner::RunDescribeCommand(describe);
    if (watch_command->parsed()) return gleaner::RunWatchCommand(watch);
  } catch (const std::exception& error) {
    std::cerr << "gleaner: the server's answer was not what this client expects: " << error.what()
              << "\n";
    return 1;
  }
  return 1;
}
