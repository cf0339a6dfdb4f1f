#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace gleaner {

// What one simulated instance tells its jobs about itself through its metadata service.
struct InstanceMetadata {
  std::string instance_id;               // "i-0abc…"
  std::string instance_type;             // "m5.large"
  std::string availability_zone;         // "us-east-1a"
  std::string region;                    // "us-east-1"
  std::string life_cycle = "on-demand";  // "spot" | "on-demand", AWS's instance-life-cycle
  // The cloud whose own endpoints are served besides AWS's (always served): "aws", "gcp"
  // (preemptible VMs), "gcp-spot" (Spot VMs) or "azure", the InterruptionProfile names.
  // Anything else serves AWS's endpoints only.
  std::string profile = "aws";
  std::string local_ipv4 = "127.0.0.1";
  // The interruption notice: announced from notice_at; the instance is gone at deadline_at
  // (when unset: notice_at + 120 s for "aws", + 30 s for the GCP and Azure profiles).
  std::optional<EpochMillis> notice_at;
  std::optional<EpochMillis> deadline_at;
  std::string instance_action = "terminate";  // "terminate" | "stop" | "hibernate"
  // The AWS rebalance recommendation, announced from rebalance_at; without one, from notice_at.
  std::optional<EpochMillis> rebalance_at;
  bool tokens_required = false;  // IMDSv2 only (HttpTokens=required)
  // Its instance profile's role (the compute environment's instanceRole) and temporary
  // credentials for it: iam/info and iam/security-credentials/<role>. Unset: no profile.
  struct RoleCredentials {
    std::string role_name;             // "ecsInstanceRole"
    std::string instance_profile_arn;  // "arn:aws:iam::123456789012:instance-profile/..."
    std::string access_key_id;
    std::string secret_access_key;
    std::string token;
    EpochMillis expiration = 0;
    EpochMillis last_updated = 0;
  };
  std::optional<RoleCredentials> role;
};

// One HTTP request as the server hands it over: `<endpoint>/imds/<instance-id><path>?<query>`.
struct MetadataRequest {
  std::string method;                          // "GET", "PUT", …
  std::string path;                            // with its leading '/'; "" counts as "/"
  std::string query;                           // without the '?'
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct MetadataResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// The metadata service of one instance, answering as AWS IMDS (v1 and v2), the GCE metadata
// server (profiles "gcp", "gcp-spot") and Azure IMDS (profile "azure") do. Pure: no I/O, no
// clock; the instance's facts and the time come with each request, so a notice appears exactly
// when `now` reaches it. Holds the instance's IMDSv2 tokens, so one per instance, and not
// thread-safe: the server serialises the calls for one instance. HEAD is answered as GET; the
// server sends no body for it.
class InstanceMetadataService {
 public:
  // Tokens come from a generator seeded with `seed`: one seed, one sequence of tokens.
  explicit InstanceMetadataService(uint64_t seed) : random_(seed) {}

  MetadataResponse Answer(const MetadataRequest& request, const InstanceMetadata& instance,
                          EpochMillis now);

 private:
  MetadataResponse AnswerAws(const MetadataRequest& request, const std::string& path,
                             const InstanceMetadata& instance, EpochMillis now);
  MetadataResponse IssueToken(const MetadataRequest& request, EpochMillis now);
  std::string NewToken();

  std::mt19937_64 random_;
  std::map<std::string, EpochMillis> tokens_;  // IMDSv2 token → when it expires
};

// The environment variables ("NAME=value") that point a job's SDKs at its instance's metadata
// service at `base_url` ("http://127.0.0.1:8686/imds/i-0abc…"): GLEANER_METADATA_ENDPOINT and
// AWS_EC2_METADATA_SERVICE_ENDPOINT always; GCE_METADATA_HOST, GCE_METADATA_ROOT and
// GCE_METADATA_IP (host:port/path, no scheme) for the GCP profiles;
// AZURE_POD_IDENTITY_AUTHORITY_HOST for "azure".
std::vector<std::string> MetadataEnvironment(const InstanceMetadata& instance,
                                             const std::string& base_url);

}  // namespace gleaner
