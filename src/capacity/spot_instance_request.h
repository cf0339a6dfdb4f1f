#pragma once

// The EC2 side of the simulated cloud, in EC2's words: spot instance requests
// (RequestSpotInstances), the instance state changes of TerminateInstances, filters and the spot
// price history. The api module turns these into EC2's query-protocol XML.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capacity/instance_catalog.h"
#include "common/clock.h"

namespace gleaner {

// RequestSpotInstances' LaunchSpecification, as given.
struct SpotLaunchSpecification {
  std::string image_id;
  std::string instance_type;
  std::string key_name;
  std::vector<std::string> security_group_ids;  // SecurityGroupId.N
  std::vector<std::string> security_groups;     // SecurityGroup.N (names)
  std::string availability_zone;                // Placement.AvailabilityZone
  std::string subnet_id;
  std::string iam_instance_profile_arn;
  std::string iam_instance_profile_name;
  std::string user_data;  // base64, as sent
  bool operator==(const SpotLaunchSpecification&) const = default;
};

struct RequestSpotInstancesSpec {
  std::optional<std::string> spot_price;  // the maximum price; default: the on-demand price
  int instance_count = 1;
  std::string type = "one-time";  // one-time | persistent
  std::optional<int> block_duration_minutes;
  SpotLaunchSpecification launch_specification;
};

// EC2's SpotInstanceState: open, active, closed, cancelled, failed.
enum class SpotRequestState { kOpen, kActive, kClosed, kCancelled, kFailed };
const char* SpotRequestStateName(SpotRequestState state);

struct SpotInstanceRequest {
  std::string spot_instance_request_id;  // "sir-" + 8 characters
  int64_t sequence = 0;                  // creation order
  MicroUsdPerHour spot_price = 0;        // the maximum price
  std::string type;                      // one-time | persistent
  SpotRequestState state = SpotRequestState::kOpen;
  std::string status_code;  // fulfilled, price-too-low, instance-terminated-by-user, ...
  std::string status_message;
  EpochMillis status_update_time = 0;
  EpochMillis create_time = 0;
  SpotLaunchSpecification launch_specification;
  std::optional<int> block_duration_minutes;
  std::optional<MicroUsdPerHour> actual_block_hourly_price;
  std::string instance_id;  // the latest instance it launched
  std::string launched_availability_zone;
  std::string ecs_cluster;  // the cluster its user data joins ("" for none)
  // Made for an instance of this compute environment (as Spot Fleet makes them), not by
  // RequestSpotInstances.
  std::string compute_environment_arn;
  // While open: when it is evaluated again (the pool's recovery gap ends, the next price period).
  std::optional<EpochMillis> next_evaluation_at;
  bool operator==(const SpotInstanceRequest&) const = default;
};

// The status code of a request whose instance its owner terminated (for a compute environment's:
// AWS Batch scaling in).
inline constexpr char kInstanceTerminatedByUser[] = "instance-terminated-by-user";

// One entry of CancelSpotInstanceRequests' answer.
struct CancelledSpotInstanceRequest {
  std::string spot_instance_request_id;
  SpotRequestState state = SpotRequestState::kCancelled;
};

// Filter.N of the Describe* actions: a resource matches when the named field matches any value;
// values may hold the wildcards * and ?.
struct Ec2Filter {
  std::string name;
  std::vector<std::string> values;
};

struct SpotPriceHistoryQuery {
  std::vector<std::string> instance_types;        // InstanceType.N; empty: every spot type
  std::vector<std::string> product_descriptions;  // ProductDescription.N; empty: Linux/UNIX
  std::string availability_zone;                  // empty: every zone
  std::optional<EpochMillis> start_time;          // default: end_time − 3 hours
  std::optional<EpochMillis> end_time;            // default: now
  std::vector<Ec2Filter> filters;
  // Stop after this many entries (a page and one more): a long window over every type is large.
  std::optional<size_t> max_entries;
};

struct SpotPriceHistoryEntry {
  std::string instance_type;
  std::string availability_zone;
  std::string product_description;
  MicroUsdPerHour spot_price = 0;
  EpochMillis timestamp = 0;  // when this price took effect (the start of its UTC hour)
};

// "0.034500": dollars with six decimals, as EC2 writes prices.
std::string FormatUsd(MicroUsdPerHour price);

// Whether `value` matches an EC2 filter value, where * matches any run of characters and ? one.
bool MatchesFilterValue(const std::string& pattern, const std::string& value);

}  // namespace gleaner
