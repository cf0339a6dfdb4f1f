#include "server/instance_metadata_route.h"

#include <cctype>

#include "api/aws_errors.h"
#include "capacity/ec2_cloud.h"
#include "capacity/seeded_random.h"
#include "scheduler/batch_state.h"

namespace gleaner {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "/imds/";

std::string RegionOf(const std::string& availability_zone) {
  // "us-east-1a" -> "us-east-1"
  if (!availability_zone.empty() &&
      std::isalpha(static_cast<unsigned char>(availability_zone.back()))) {
    return availability_zone.substr(0, availability_zone.size() - 1);
  }
  return availability_zone;
}

}  // namespace

std::optional<InstanceMetadata> InstanceMetadataRoute::FactsOf(
    const std::string& instance_id) const {
  if (cloud_ == nullptr) return std::nullopt;
  const SimulatedInstance* instance = cloud_->FindInstance(instance_id);
  if (instance == nullptr || instance->state == InstanceState::kTerminated) return std::nullopt;
  InstanceMetadata facts;
  facts.instance_id = instance->instance_id;
  facts.instance_type = instance->pool.instance_type;
  facts.availability_zone = instance->pool.availability_zone;
  facts.region = RegionOf(facts.availability_zone);
  facts.life_cycle = instance->purchase == PurchaseOption::kSpot ? "spot" : "on-demand";
  facts.profile = cloud_->profile().name;
  facts.notice_at = instance->notice_at;
  facts.deadline_at = instance->deadline_at;
  facts.rebalance_at = instance->rebalance_at;
  return facts;
}

std::optional<InstanceMetadata::RoleCredentials> InstanceMetadataRoute::RoleOf(
    const BatchState& state, const std::string& instance_id) const {
  const SimulatedInstance* instance =
      cloud_ == nullptr ? nullptr : cloud_->FindInstance(instance_id);
  if (issuer_ == nullptr || instance == nullptr) return std::nullopt;
  const ComputeEnvironment* environment =
      state.FindComputeEnvironment(instance->compute_environment_arn);
  if (environment == nullptr || !environment->compute_resources) return std::nullopt;
  const nlohmann::json& passthrough = environment->compute_resources->passthrough;
  auto role = passthrough.find("instanceRole");
  if (role == passthrough.end() || !role->is_string() || role->get<std::string>().empty()) {
    return std::nullopt;
  }
  // "ecsInstanceRole" or "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole".
  std::string name = role->get<std::string>();
  name = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  EpochMillis now = clock_.NowMillis();
  TemporaryCredentials issued = issuer_->Issue("instance/" + instance_id, now);
  InstanceMetadata::RoleCredentials credentials;
  credentials.role_name = name;
  credentials.instance_profile_arn = state.scope().Iam("instance-profile/" + name);
  credentials.access_key_id = issued.access_key_id;
  credentials.secret_access_key = issued.secret_access_key;
  credentials.token = issued.session_token;
  credentials.expiration = issued.expiration;
  credentials.last_updated = now;
  return credentials;
}

MetadataResponse InstanceMetadataRoute::Answer(const BatchState& state,
                                               const std::string& instance_id,
                                               const MetadataRequest& request) {
  std::optional<InstanceMetadata> facts = FactsOf(instance_id);
  if (!facts) {
    MetadataResponse gone;
    gone.status = 404;
    gone.content_type = "text/plain";
    gone.body = "No running simulated instance " + instance_id + "\n";
    return gone;
  }
  // Forget the tokens of instances that are gone.
  std::erase_if(services_, [this](const auto& entry) { return !FactsOf(entry.first); });
  auto service = services_.find(instance_id);
  if (service == services_.end()) {
    service =
        services_.emplace(instance_id, InstanceMetadataService(StableHash(instance_id))).first;
  }
  facts->role = RoleOf(state, instance_id);
  return service->second.Answer(request, *facts, clock_.NowMillis());
}

HttpHandler InstanceMetadataRoute::Handler(BatchExecutor& executor) {
  return [this, &executor](HttpRequest&& request, Responder respond) {
    std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
    size_t slash = rest.find('/');
    std::string instance_id(rest.substr(0, slash));
    MetadataRequest metadata;
    metadata.method = request.method;
    metadata.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    metadata.query = request.query;
    metadata.headers = request.headers;
    metadata.body = request.body;
    executor.Execute(
        [this, instance_id, metadata = std::move(metadata)](BatchState& state) -> Result<json> {
          MetadataResponse answer = Answer(state, instance_id, metadata);
          json headers = json::array();
          for (const auto& [name, value] : answer.headers) headers.push_back({name, value});
          return json{{"status", answer.status},
                      {"contentType", answer.content_type},
                      {"body", answer.body},
                      {"headers", headers}};
        },
        [respond](Result<json> result) {
          if (!result.ok()) return respond(BatchErrorResponse(result.status()));
          HttpResponse response;
          response.status = (*result)["status"].get<int>();
          response.content_type = (*result)["contentType"].get<std::string>();
          response.body = (*result)["body"].get<std::string>();
          for (const auto& header : (*result)["headers"]) {
            response.headers.emplace_back(header[0].get<std::string>(),
                                          header[1].get<std::string>());
          }
          respond(std::move(response));
        });
  };
}

void InstanceMetadataRoute::AddAttemptEnvironment(const Job& job, const std::string& endpoint,
                                                  std::vector<std::string>& environment) {
  if (!job.placement) return;
  std::optional<InstanceMetadata> facts = FactsOf(job.placement->instance_id);
  if (!facts) return;
  for (std::string& variable :
       MetadataEnvironment(*facts, endpoint + std::string(kPrefix) + facts->instance_id)) {
    environment.push_back(std::move(variable));
  }
}

}  // namespace gleaner
