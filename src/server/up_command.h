#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gleaner {

struct UpOptions {
  std::string listen = "127.0.0.1:8686";
  std::string data_dir;             // default: $HOME/.gleaner
  std::string log_level = "info";   // debug | info | warn | error
  std::string log_format = "text";  // text | json
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  double vcpus = 0;        // 0: what the machine has
  int64_t memory_mib = 0;  // 0: what the machine has
  int stop_grace_seconds = 30;
  double job_retention_days = 7;  // finished jobs stay visible this long
  int http_threads = 2;
  // Capacity: "simspot" (the simulated EC2 cloud behind MANAGED compute environments) or "local"
  // (this machine serves every compute environment).
  std::string capacity = "simspot";
  std::string interruption_profile = "aws";  // aws | gcp | gcp-spot | azure
  double boot_seconds = 0;                   // simulated instance launch to ready
  double scale_in_idle_seconds = 60;
  bool background_interruptions = true;
  // SIGTERM to jobs at the interruption notice (GCP profiles always); default, as on AWS: at the
  // instance's shutdown, stop_grace_seconds before the deadline.
  bool signal_at_notice = false;
  std::optional<uint64_t> seed;  // the simulated cloud's; default: random
  // "SUBNET=ZONE": the availability zone of a subnet the simulated cloud is told about.
  std::vector<std::string> subnet_zones;
  std::string agent_token;               // agents must present it; empty: any agent may join
  std::string agent_token_file;          // the token's file, instead of agent_token
  double agent_lost_after_seconds = 30;  // an agent silent this long is declared lost
  // What a vCPU-hour reserved on this machine (--capacity local) and on agents' machines costs,
  // in USD (`gleaner cost`); the simulated cloud's instances have their EC2 prices.
  double local_vcpu_hour_price = 0;
  // How interruptions count for jobs whose tags, definition and queue do not say (the
  // gleaner:preemption-retries tag's values): "attempts" (AWS Batch's way), "unlimited" or N.
  std::string preemption_retries = "attempts";
  double agent_vcpu_hour_price = 0;
  // Access keys every request must be signed with (SigV4), in the AWS CLI's credentials format;
  // empty: <data-dir>/credentials, made with a new key pair on first start.
  std::string credentials_file;
  // auto: a network namespace per local attempt when gleaner is root, else the host's network;
  // namespace: required (an error when not root); host: the host's network.
  std::string job_network = "auto";
  bool s3_auto_create_buckets = false;  // a write to a missing bucket creates it
  bool no_auth = false;  // accept unsigned requests (refused on a non-loopback listener)
  std::string tls_certificate_file;  // both set: HTTPS
  std::string tls_private_key_file;
  // The web dashboard's built files; empty: the `ui` directory beside the binary.
  std::string ui_directory;
  // Where local attempts run: "container" (their image, on podman or docker), "process" (their
  // command on this machine) or "auto" (container when a container engine works, else process).
  std::string runtime = "auto";
  std::string image_pull = "default";  // default | always | once | prefer-cached
  // Fault injection for crash tests: each store transaction waits this long before its COMMIT.
  int injected_commit_delay_millis = 0;
};

// `gleaner up`: the all-in-one control plane with embedded SQLite and this machine as capacity.
// Runs until SIGINT or SIGTERM; returns the process exit code.
int RunUpCommand(const UpOptions& options);

}  // namespace gleaner
