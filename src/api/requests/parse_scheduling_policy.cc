// CreateSchedulingPolicy, UpdateSchedulingPolicy, DescribeSchedulingPolicies,
// ListSchedulingPolicies and DeleteSchedulingPolicy.

#include "api/requests/batch_request_parser.h"
#include "api/requests/field_rules.h"
#include "api/requests/json_fields.h"

namespace gleaner {
namespace {

using fields::ObjectFields;
using nlohmann::json;

constexpr int kMaxShareDecaySeconds = 604800;  // a week
constexpr int kMaxComputeReservation = 99;
constexpr size_t kMaxShares = 500;
constexpr double kMinWeightFactor = 0.0001;
constexpr double kMaxWeightFactor = 999.9999;
constexpr size_t kMaxDescribeArns = 100;

// Whether two share identifiers claim a common job share: equal, or one a prefix ("UserA*")
// of the other. AWS refuses such overlaps in one policy.
bool Overlap(std::string_view a, std::string_view b) {
  auto covers = [](std::string_view prefix_entry, std::string_view other) {
    return prefix_entry.ends_with('*') &&
           other.starts_with(prefix_entry.substr(0, prefix_entry.size() - 1));
  };
  return a == b || covers(a, b) || covers(b, a);
}

Status ReadShare(const json& value, const std::string& path, ShareAttributes* out) {
  Result<ObjectFields> share = ObjectFields::Open(value, path);
  if (!share.ok()) return share.status();
  GLEANER_RETURN_IF_ERROR(share->Required("shareIdentifier", &out->share_identifier));
  GLEANER_RETURN_IF_ERROR(
      fields::CheckShareIdentifier(share->PathOf("shareIdentifier"), out->share_identifier));
  GLEANER_RETURN_IF_ERROR(share->Optional("weightFactor", &out->weight_factor));
  if (!out->weight_factor) return Status::Ok();
  return fields::CheckNumberRange(share->PathOf("weightFactor"), *out->weight_factor,
                                  kMinWeightFactor, kMaxWeightFactor);
}

Status CheckNoOverlap(const std::string& path, const std::vector<ShareAttributes>& shares) {
  for (size_t index = 0; index < shares.size(); ++index) {
    const std::string& identifier = shares[index].share_identifier;
    for (size_t earlier = 0; earlier < index; ++earlier) {
      const std::string& other = shares[earlier].share_identifier;
      if (!Overlap(identifier, other)) continue;
      return fields::Invalid(
          fields::MemberPath(fields::IndexPath(path, index), "shareIdentifier"), identifier,
          "overlaps " + fields::Quote(other) + " of " + fields::IndexPath(path, earlier));
    }
  }
  return Status::Ok();
}

Status ReadShareDistribution(const ObjectFields& policy, std::vector<ShareAttributes>* out) {
  const json* shares = nullptr;
  GLEANER_RETURN_IF_ERROR(policy.OptionalArray("shareDistribution", &shares));
  if (shares == nullptr) return Status::Ok();
  std::string path = policy.PathOf("shareDistribution");
  GLEANER_RETURN_IF_ERROR(fields::CheckCount(path, shares->size(), 0, kMaxShares));
  std::vector<ShareAttributes> distribution;
  GLEANER_RETURN_IF_ERROR(fields::ReadEach(*shares, path, &distribution, ReadShare));
  GLEANER_RETURN_IF_ERROR(CheckNoOverlap(path, distribution));
  *out = std::move(distribution);
  return Status::Ok();
}

Status ReadFairsharePolicy(const ObjectFields& body, std::optional<FairsharePolicy>* out) {
  std::optional<ObjectFields> policy_fields;
  GLEANER_RETURN_IF_ERROR(body.OptionalObject("fairsharePolicy", &policy_fields));
  if (!policy_fields) return Status::Ok();
  const ObjectFields& members = *policy_fields;
  FairsharePolicy policy;
  GLEANER_RETURN_IF_ERROR(members.Optional("shareDecaySeconds", &policy.share_decay_seconds));
  if (policy.share_decay_seconds) {
    GLEANER_RETURN_IF_ERROR(fields::CheckRange(members.PathOf("shareDecaySeconds"),
                                               *policy.share_decay_seconds, 0,
                                               kMaxShareDecaySeconds));
  }
  GLEANER_RETURN_IF_ERROR(members.Optional("computeReservation", &policy.compute_reservation));
  if (policy.compute_reservation) {
    GLEANER_RETURN_IF_ERROR(fields::CheckRange(members.PathOf("computeReservation"),
                                               *policy.compute_reservation, 0,
                                               kMaxComputeReservation));
  }
  GLEANER_RETURN_IF_ERROR(ReadShareDistribution(members, &policy.share_distribution));
  *out = std::move(policy);
  return Status::Ok();
}

Status ReadCreateSchedulingPolicy(const ObjectFields& body, SchedulingPolicy* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("name", &out->name));
  GLEANER_RETURN_IF_ERROR(fields::CheckResourceName(body.PathOf("name"), out->name));
  GLEANER_RETURN_IF_ERROR(ReadFairsharePolicy(body, &out->fairshare_policy));
  return fields::ReadTags(body, &out->tags);
}

Status ReadUpdateSchedulingPolicy(const ObjectFields& body, UpdateSchedulingPolicyRequest* out) {
  GLEANER_RETURN_IF_ERROR(fields::ReadIdentifier(body, "arn", &out->arn));
  return ReadFairsharePolicy(body, &out->fairshare_policy);
}

Status ReadDescribeSchedulingPolicies(const ObjectFields& body,
                                      DescribeSchedulingPoliciesRequest* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("arns", &out->arns));
  return fields::CheckCount(body.PathOf("arns"), out->arns.size(), 1, kMaxDescribeArns);
}

Status ReadListSchedulingPolicies(const ObjectFields& body, ListSchedulingPoliciesRequest* out) {
  return fields::ReadPage(body, &out->page);
}

Status ReadDeleteSchedulingPolicy(const ObjectFields& body, DeleteSchedulingPolicyRequest* out) {
  return fields::ReadIdentifier(body, "arn", &out->arn);
}

}  // namespace

Result<CreateSchedulingPolicyRequest> ParseCreateSchedulingPolicy(const json& body) {
  return fields::ParseBody<CreateSchedulingPolicyRequest>(body, ReadCreateSchedulingPolicy);
}

Result<UpdateSchedulingPolicyRequest> ParseUpdateSchedulingPolicy(const json& body) {
  return fields::ParseBody<UpdateSchedulingPolicyRequest>(body, ReadUpdateSchedulingPolicy);
}

Result<DescribeSchedulingPoliciesRequest> ParseDescribeSchedulingPolicies(const json& body) {
  return fields::ParseBody<DescribeSchedulingPoliciesRequest>(body, ReadDescribeSchedulingPolicies);
}

Result<ListSchedulingPoliciesRequest> ParseListSchedulingPolicies(const json& body) {
  return fields::ParseBody<ListSchedulingPoliciesRequest>(body, ReadListSchedulingPolicies);
}

Result<DeleteSchedulingPolicyRequest> ParseDeleteSchedulingPolicy(const json& body) {
  return fields::ParseBody<DeleteSchedulingPolicyRequest>(body, ReadDeleteSchedulingPolicy);
}

}  // namespace gleaner
