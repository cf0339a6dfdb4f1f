// gleaner: one binary, subcommands `up` (all-in-one server) and client tools.
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "cli/logs_command.h"
#include "server/up_command.h"

namespace {

std::string DefaultEndpoint() {
  const char* endpoint = std::getenv("GLEANER_ENDPOINT");
  return endpoint ? endpoint : "http://127.0.0.1:8686";
}

}  // namespace

int main(int argc, char** argv) {
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
      ->add_option("--job-retention-days", up.job_retention_days,
                   "Days finished jobs stay visible before they are purged")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 36500.0));
  up_command->add_option("--http-threads", up.http_threads, "HTTP threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));

  gleaner::LogsCommandOptions logs;
  logs.endpoint = DefaultEndpoint();
  CLI::App* logs_command = app.add_subcommand("logs", "Print a job's output (stdout and stderr)");
  logs_command->add_option("job_id", logs.job_id, "The job id")->required();
  logs_command->add_option("--attempt", logs.attempt, "Attempt number, 1-based (default: latest)")
      ->check(CLI::PositiveNumber);
  logs_command->add_flag("--follow,-f", logs.follow, "Keep printing until the attempt ends");
  logs_command->add_option("--endpoint", logs.endpoint, "gleaner's URL (env GLEANER_ENDPOINT)")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (up_command->parsed()) return gleaner::RunUpCommand(up);
  if (logs_command->parsed()) return gleaner::RunLogsCommand(logs);
  return 1;
}
