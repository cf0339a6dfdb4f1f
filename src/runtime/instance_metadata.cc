#include "runtime/instance_metadata.h"

#include "common/ascii.h"
#include "common/markup_escape.h"
#include "common/percent_encoding.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <string_view>

namespace gleaner {
namespace {

// Keeps the field order of the documents as the clouds write them.
using Json = nlohmann::ordered_json;

constexpr int64_t kMaxTokenTtlSeconds = 21'600;  // AWS's bound: six hours
// A job that asks for a token per request must not grow the table without bound: past this,
// the token nearest to expiry goes first. AWS throttles instead; no SDK holds more than one.
constexpr size_t kMaxLiveTokens = 1'000;
constexpr int64_t kAwsNoticeMillis = 120'000;
constexpr int64_t kGcpAzureNoticeMillis = 30'000;

constexpr std::string_view kAwsTextType = "text/plain";  // IMDS says text/plain even for JSON
constexpr std::string_view kGcpTextType = "application/text";
constexpr std::string_view kAzureJsonType = "application/json; charset=utf-8";

// ---- Small pure helpers -------------------------------------------------------------------

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

const std::string* FindHeader(const MetadataRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? nullptr : &it->second;
}

// "a=1&b=2" → {a: 1, b: 2}; the first of repeated names wins.
std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    size_t end = query.find('&');
    std::string_view pair = query.substr(0, end);
    size_t equals = pair.find('=');
    std::string name = PercentDecode(pair.substr(0, equals), true);
    std::string value =
        equals == std::string_view::npos ? "" : PercentDecode(pair.substr(equals + 1), true);
    if (!name.empty()) out.emplace(std::move(name), std::move(value));
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
  }
  return out;
}

// FNV-1a: stable derived ids (AMI, GCE numeric id, Azure vmId and EventId) without randomness.
uint64_t Fnv1a(std::string_view text, uint64_t hash = 14695981039346656037ull) {
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string Hex(uint64_t value, int digits, bool upper_case = false) {
  const char* alphabet = upper_case ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = alphabet[value & 0xF];
    value >>= 4;
  }
  return out;
}

// A version-4-shaped UUID derived from `seed_text`: the same text, the same UUID.
std::string StableUuid(std::string_view seed_text, bool upper_case) {
  uint64_t high = Fnv1a(seed_text);
  uint64_t low = Fnv1a(seed_text, high ^ 0x9E3779B97F4A7C15ull);
  high = (high & ~0xF000ull) | 0x4000ull;                       // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  std::string hex = Hex(high, 16, upper_case) + Hex(low, 16, upper_case);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string Dump(const Json& json, int indent = -1) {
  return json.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// ---- Time ---------------------------------------------------------------------------------

struct CivilTime {
  int year;
  unsigned month, day, hour, minute, second, weekday;  // weekday: 0 = Sunday
};

CivilTime ToCivil(EpochMillis millis) {
  namespace chrono = std::chrono;
  // Floor to the second, as the clouds print whole seconds: a deadline shown early errs on the
  // job's safe side.
  int64_t whole_seconds = millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
  const chrono::sys_seconds at{chrono::seconds{whole_seconds}};
  const chrono::sys_days day = chrono::floor<chrono::days>(at);
  const chrono::year_month_day date{day};
  const chrono::hh_mm_ss<chrono::seconds> clock_time{at - day};
  return {static_cast<int>(date.year()),
          static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()),
          static_cast<unsigned>(clock_time.hours().count()),
          static_cast<unsigned>(clock_time.minutes().count()),
          static_cast<unsigned>(clock_time.seconds().count()),
          chrono::weekday{day}.c_encoding()};
}

// "Tue, 24 Nov 2026 08:22:00 GMT", as Azure prints NotBefore.
std::string Rfc1123(EpochMillis millis) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  CivilTime t = ToCivil(millis);
  char out[40];
  std::snprintf(out, sizeof(out), "%s, %02u %s %04d %02u:%02u:%02u GMT", kDays[t.weekday % 7],
                t.day, kMonths[(t.month + 11) % 12], t.year, t.hour, t.minute, t.second);
  return out;
}

// ---- The instance's facts as each cloud words them ----------------------------------------

bool IsGcpProfile(const InstanceMetadata& instance) {
  return instance.profile == "gcp" || instance.profile == "gcp-spot";
}

bool IsAzureProfile(const InstanceMetadata& instance) { return instance.profile == "azure"; }

bool IsSpot(const InstanceMetadata& instance) { return instance.life_cycle == "spot"; }

bool NoticeVisible(const InstanceMetadata& instance, EpochMillis now) {
  return instance.notice_at.has_value() && now >= *instance.notice_at;
}

// When the instance is gone; only meaningful once there is a notice.
EpochMillis Deadline(const InstanceMetadata& instance) {
  if (instance.deadline_at.has_value()) return *instance.deadline_at;
  bool short_notice = IsGcpProfile(instance) || IsAzureProfile(instance);
  return instance.notice_at.value_or(0) + (short_notice ? kGcpAzureNoticeMillis : kAwsNoticeMillis);
}

std::optional<EpochMillis> RebalanceAt(const InstanceMetadata& instance) {
  return instance.rebalance_at.has_value() ? instance.rebalance_at : instance.notice_at;
}

// Graviton families carry a 'g' after the generation digit (m6g, c7gn, r6gd, t4g, g5g);
// a1 is the first Graviton. g4dn or p4de are x86.
std::string Architecture(std::string_view instance_type) {
  std::string_view family = instance_type.substr(0, instance_type.find('.'));
  if (family == "a1") return "arm64";
  size_t digit = family.find_first_of("0123456789");
  if (digit == std::string_view::npos) return "x86_64";
  size_t options = family.find_first_not_of("0123456789", digit);
  bool graviton = options != std::string_view::npos &&
                  family.substr(options).find('g') != std::string_view::npos;
  return graviton ? "arm64" : "x86_64";
}

std::string AwsHostname(const InstanceMetadata& instance) {
  std::string ip = instance.local_ipv4;
  for (char& c : ip) {
    if (c == '.') c = '-';
  }
  // us-east-1 keeps EC2's original domain.
  return "ip-" + ip +
         (instance.region == "us-east-1" ? ".ec2.internal"
                                         : "." + instance.region + ".compute.internal");
}

std::string AmiId(const InstanceMetadata& instance) {
  return "ami-" + Hex(Fnv1a("ami/" + instance.region), 17);
}

// Azure zones are "1", "2", "3": an AWS-style "us-east-1b" becomes "2", a trailing number stays.
std::string AzureZone(std::string_view availability_zone) {
  if (availability_zone.empty()) return "";
  char last = availability_zone.back();
  if (last >= 'a' && last <= 'z') return std::to_string(last - 'a' + 1);
  size_t digits = availability_zone.find_last_not_of("0123456789");
  return std::string(availability_zone.substr(digits == std::string_view::npos ? 0 : digits + 1));
}

// ---- Metadata trees: the AWS and GCE services are directories of text values --------------

// Path below the version root ("meta-data/instance-id") → value.
using MetadataTree = std::map<std::string, std::string>;

// The names directly under `directory` ("" or "meta-data/"), subdirectories with a trailing
// '/'; nothing when the directory has no entries.
std::optional<std::string> Listing(const MetadataTree& tree, const std::string& directory,
                                   bool mark_directories, bool newline_after_each) {
  std::vector<std::string> names;
  for (auto it = tree.lower_bound(directory); it != tree.end(); ++it) {
    std::string_view key = it->first;
    if (!StartsWith(key, directory)) break;
    std::string_view rest = key.substr(directory.size());
    size_t slash = rest.find('/');
    std::string name(rest.substr(0, slash));
    if (slash != std::string_view::npos && mark_directories) name += '/';
    if (names.empty() || names.back() != name) names.push_back(std::move(name));
  }
  if (names.empty()) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += names[i];
    if (newline_after_each || i + 1 < names.size()) out += '\n';
  }
  return out;
}

// A value, or a directory's listing, with or without a trailing '/': botocore asks for
// "placement/availability-zone/" and gets the value, as from EC2.
std::optional<std::string> Resolve(const MetadataTree& tree, const std::string& path,
                                   bool newline_after_each) {
  std::string leaf = path;
  if (!leaf.empty() && leaf.back() == '/') leaf.pop_back();
  if (!leaf.empty()) {
    auto it = tree.find(leaf);
    if (it != tree.end()) return it->second;
    leaf += '/';
  }
  return Listing(tree, leaf, /*mark_directories=*/true, newline_after_each);
}

// Everything below /latest/ on AWS at `now`.
MetadataTree AwsTree(const InstanceMetadata& instance, EpochMillis now) {
  MetadataTree tree;
  const std::string md = "meta-data/";
  tree[md + "ami-id"] = AmiId(instance);
  tree[md + "ami-launch-index"] = "0";
  tree[md + "events/maintenance/scheduled"] = "[]";
  tree[md + "hostname"] = AwsHostname(instance);
  tree[md + "instance-action"] = "none";  // scheduled-event actions, not Spot's: see spot/
  tree[md + "instance-id"] = instance.instance_id;
  tree[md + "instance-life-cycle"] = instance.life_cycle;
  tree[md + "instance-type"] = instance.instance_type;
  tree[md + "local-hostname"] = AwsHostname(instance);
  tree[md + "local-ipv4"] = instance.local_ipv4;
  tree[md + "placement/availability-zone"] = instance.availability_zone;
  tree[md + "placement/region"] = instance.region;
  tree[md + "services/domain"] = "amazonaws.com";
  tree[md + "services/partition"] = "aws";
  if (NoticeVisible(instance, now)) {
    std::string deadline = FormatIso8601Seconds(Deadline(instance));
    tree[md + "spot/instance-action"] =
        Dump(Json{{"action", instance.instance_action}, {"time", deadline}});
    tree[md + "spot/termination-time"] = deadline;
  }
  std::optional<EpochMillis> rebalance_at = RebalanceAt(instance);
  if (rebalance_at.has_value() && now >= *rebalance_at) {
    tree[md + "events/recommendations/rebalance"] =
        Dump(Json{{"noticeTime", FormatIso8601Seconds(*rebalance_at)}});
  }
  if (instance.role) {
    const InstanceMetadata::RoleCredentials& role = *instance.role;
    std::string updated = FormatIso8601Seconds(role.last_updated);
    tree[md + "iam/info"] = Dump(Json{{"Code", "Success"},
                                      {"LastUpdated", updated},
                                      {"InstanceProfileArn", role.instance_profile_arn},
                                      {"InstanceProfileId", "AIPA" + role.role_name}},
                                 2);
    tree[md + "iam/security-credentials/" + role.role_name] =
        Dump(Json{{"Code", "Success"},
                  {"LastUpdated", updated},
                  {"Type", "AWS-HMAC"},
                  {"AccessKeyId", role.access_key_id},
                  {"SecretAccessKey", role.secret_access_key},
                  {"Token", role.token},
                  {"Expiration", FormatIso8601Seconds(role.expiration)}},
             2);
  }
  Json identity = {{"accountId", "000000000000"},
                   {"architecture", Architecture(instance.instance_type)},
                   {"availabilityZone", instance.availability_zone},
                   {"billingProducts", nullptr},
                   {"devpayProductCodes", nullptr},
                   {"marketplaceProductCodes", nullptr},
                   {"imageId", AmiId(instance)},
                   {"instanceId", instance.instance_id},
                   {"instanceType", instance.instance_type},
                   {"kernelId", nullptr},
                   {"privateIp", instance.local_ipv4},
                   {"ramdiskId", nullptr},
                   {"region", instance.region},
                   {"version", "2017-09-30"}};
  tree["dynamic/instance-identity/document"] = Dump(identity, 2);
  return tree;
}

// Everything below /computeMetadata/v1/ on GCE at `now`.
MetadataTree GcpTree(const InstanceMetadata& instance, EpochMillis now) {
  MetadataTree tree;
  const bool spot = IsSpot(instance);
  const std::string zone = instance.availability_zone;
  tree["instance/hostname"] = instance.instance_id + "." + zone + ".c.gleaner.internal";
  tree["instance/id"] = std::to_string(Fnv1a("gce/" + instance.instance_id));  // numeric on GCE
  tree["instance/machine-type"] = "projects/0/machineTypes/" + instance.instance_type;
  tree["instance/maintenance-event"] = "NONE";
  tree["instance/name"] = instance.instance_id;
  tree["instance/network-interfaces/0/ip"] = instance.local_ipv4;
  tree["instance/preempted"] = NoticeVisible(instance, now) ? "TRUE" : "FALSE";
  tree["instance/scheduling/automatic-restart"] = spot ? "FALSE" : "TRUE";
  tree["instance/scheduling/on-host-maintenance"] = spot ? "TERMINATE" : "MIGRATE";
  // Spot VMs are preemptible too (scheduling.preemptible = true with provisioningModel SPOT).
  tree["instance/scheduling/preemptible"] = spot ? "TRUE" : "FALSE";
  if (!spot) {
    tree["instance/scheduling/provisioning-model"] = "STANDARD";
  } else if (instance.profile == "gcp-spot") {
    tree["instance/scheduling/provisioning-model"] = "SPOT";
  }  // Legacy preemptible VMs: not served, what GCE reports for them is not documented.
  tree["instance/zone"] = "projects/0/zones/" + zone;
  tree["project/numeric-project-id"] = "0";
  tree["project/project-id"] = "gleaner";
  return tree;
}

// ---- AWS ----------------------------------------------------------------------------------

MetadataResponse AwsResponse(int status, std::string_view content_type, std::string body) {
  MetadataResponse response;
  response.status = status;
  response.content_type = content_type;
  response.body = std::move(body);
  response.headers.emplace_back("Server", "EC2ws");
  return response;
}

// IMDS's error pages.
MetadataResponse AwsError(int status, std::string_view reason) {
  std::string title = std::to_string(status) + " - " + std::string(reason);
  std::string body =
      "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
      "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
      "\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
      "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
      " <head>\n  <title>" +
      title + "</title>\n </head>\n <body>\n  <h1>" + title + "</h1>\n </body>\n</html>\n";
  return AwsResponse(status, "text/html", std::move(body));
}

MetadataResponse AwsMethodNotAllowed(std::string_view allowed) {
  MetadataResponse response = AwsError(405, "Method Not Allowed");
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

// 1..21600, digits only.
std::optional<int64_t> ParseTokenTtl(std::string_view text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int64_t seconds = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  if (seconds < 1 || seconds > kMaxTokenTtlSeconds) return std::nullopt;
  return seconds;
}

// ---- GCP ----------------------------------------------------------------------------------

MetadataResponse GcpResponse(int status, std::string_view content_type, std::string body) {
  MetadataResponse response;
  response.status = status;
  response.content_type = content_type;
  response.body = std::move(body);
  response.headers.emplace_back("Metadata-Flavor", "Google");
  response.headers.emplace_back("Server", "Metadata Server for VM");
  return response;
}

MetadataResponse AnswerGcp(const MetadataRequest& request, const InstanceMetadata& instance,
                           EpochMillis now, const std::string& path) {
  if (request.method != "GET" && request.method != "HEAD") {
    MetadataResponse response =
        GcpResponse(405, "text/html; charset=UTF-8", "Method Not Allowed\n");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  // The root answers without the header: google-auth's ping checks only the response's
  // Metadata-Flavor.
  if (path == "/") return GcpResponse(200, kGcpTextType, "computeMetadata/\n");
  if (FindHeader(request, "x-forwarded-for") != nullptr) {
    return GcpResponse(403, "text/html; charset=UTF-8", "Forbidden\n");
  }
  const std::string* flavor = FindHeader(request, "metadata-flavor");
  if (flavor == nullptr || *flavor != "Google") {
    return GcpResponse(403, "text/html; charset=UTF-8",
                       "Your client does not have permission to get URL <code>" + XmlEscape(path) +
                           "</code> from this server. Missing Metadata-Flavor:Google header.\n");
  }
  if (path == "/computeMetadata" || path == "/computeMetadata/") {
    return GcpResponse(200, kGcpTextType, "v1/\n");
  }
  std::optional<std::string> value;
  const std::string root = "/computeMetadata/v1";
  if (path == root || StartsWith(path, root + "/")) {
    std::string below = path.size() > root.size() ? path.substr(root.size() + 1) : "";
    value = Resolve(GcpTree(instance, now), below, /*newline_after_each=*/true);
  }
  if (!value.has_value()) return GcpResponse(404, "text/html; charset=UTF-8", "Not Found\n");
  // wait_for_change=true is answered at once with the current value; its ETag lets the server
  // hold the request until the value (and so the ETag) changes, as GCE would.
  MetadataResponse response = GcpResponse(200, kGcpTextType, *value);
  response.headers.emplace_back("ETag", Hex(Fnv1a(*value), 16));
  return response;
}

// ---- Azure --------------------------------------------------------------------------------

MetadataResponse AzureResponse(int status, const Json& body) {
  MetadataResponse response;
  response.status = status;
  response.content_type = kAzureJsonType;
  response.body = Dump(body);
  return response;
}

MetadataResponse AzureError(int status, std::string_view message) {
  return AzureResponse(status, Json{{"error", message}});
}

Json ScheduledEvents(const InstanceMetadata& instance, EpochMillis now) {
  if (!NoticeVisible(instance, now)) {
    return Json{{"DocumentIncarnation", 0}, {"Events", Json::array()}};
  }
  EpochMillis deadline = Deadline(instance);
  Json event = {
      {"EventId", StableUuid(instance.instance_id + "/" + std::to_string(deadline), true)},
      {"EventStatus", "Scheduled"},
      {"EventType", "Preempt"},
      {"ResourceType", "VirtualMachine"},
      {"Resources", Json::array({instance.instance_id})},
      {"NotBefore", Rfc1123(deadline)},
      {"Description", ""},  // as in the event of a real (az vm simulate-eviction) Spot eviction
      {"EventSource", "Platform"},
      {"DurationInSeconds", -1}};
  return Json{{"DocumentIncarnation", 1}, {"Events", Json::array({event})}};
}

Json AzureInstance(const InstanceMetadata& instance) {
  const bool spot = IsSpot(instance);
  std::string eviction_policy;
  if (spot) eviction_policy = instance.instance_action == "terminate" ? "Delete" : "Deallocate";
  Json compute = {
      {"azEnvironment", "AzurePublicCloud"},
      {"evictionPolicy", eviction_policy},
      {"location", instance.region},
      {"name", instance.instance_id},
      {"osType", "Linux"},
      {"priority", spot ? "Spot" : "Regular"},
      {"provider", "Microsoft.Compute"},
      {"resourceId",
       "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/gleaner/providers/"
       "Microsoft.Compute/virtualMachines/" +
           instance.instance_id},
      {"vmId", StableUuid("azure/" + instance.instance_id, false)},
      {"vmSize", instance.instance_type},
      {"zone", AzureZone(instance.availability_zone)}};
  Json address = {{"privateIpAddress", instance.local_ipv4}, {"publicIpAddress", ""}};
  Json interface = {{"ipv4", {{"ipAddress", Json::array({address})}, {"subnet", Json::array()}}},
                    {"ipv6", {{"ipAddress", Json::array()}}},
                    {"macAddress", Hex(Fnv1a("mac/" + instance.instance_id), 12, true)}};
  return Json{{"compute", compute}, {"network", {{"interface", Json::array({interface})}}}};
}

// The node `below` ("compute/vmId") names in `document`, or nullptr.
const Json* FindNode(const Json& document, std::string_view below) {
  const Json* node = &document;
  while (!below.empty()) {
    size_t slash = below.find('/');
    std::string name(below.substr(0, slash));
    below = slash == std::string_view::npos ? std::string_view() : below.substr(slash + 1);
    if (name.empty()) continue;
    if (node->is_object()) {
      auto it = node->find(name);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array() && name.size() < 6 &&
               name.find_first_not_of("0123456789") == std::string::npos) {
      size_t index = 0;
      for (char c : name) index = index * 10 + static_cast<size_t>(c - '0');
      if (index >= node->size()) return nullptr;
      node = &(*node)[index];
    } else {
      return nullptr;
    }
  }
  return node;
}

bool IsAcknowledgement(std::string_view body) {
  Json parsed = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return false;
  auto requests = parsed.find("StartRequests");
  if (requests == parsed.end() || !requests->is_array()) return false;
  for (const Json& start : *requests) {
    if (!start.is_object()) return false;
    auto id = start.find("EventId");
    if (id == start.end() || !id->is_string()) return false;
  }
  return true;
}

MetadataResponse AnswerAzure(const MetadataRequest& request, const InstanceMetadata& instance,
                             EpochMillis now, std::string path) {
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  // Azure IMDS rejects what a proxy forwarded, and anything without the header.
  if (FindHeader(request, "x-forwarded-for") != nullptr) {
    return AzureError(400, "Bad request. Requests with an X-Forwarded-For header are rejected");
  }
  const std::string* metadata = FindHeader(request, "metadata");
  if (metadata == nullptr || !EqualsIgnoringAsciiCase(*metadata, "true")) {
    return AzureError(400, "Bad request. Required metadata header not specified");
  }
  const bool is_read = request.method == "GET" || request.method == "HEAD";
  const bool events = path == "/metadata/scheduledevents";
  const bool instance_data =
      path == "/metadata/instance" || StartsWith(path, "/metadata/instance/");
  if (path == "/metadata/versions") {
    if (!is_read) return AzureError(405, "Method not allowed");
    return AzureResponse(200, Json{{"apiVersions", {"2020-07-01", "2021-02-01", "2023-07-01"}}});
  }
  if (!events && !instance_data) return AzureError(404, "Not found");
  if (!is_read && !(events && request.method == "POST")) {
    MetadataResponse response = AzureError(405, "Method not allowed");
    response.headers.emplace_back("Allow", events ? "GET, POST" : "GET");
    return response;
  }
  std::map<std::string, std::string> query = ParseQuery(request.query);
  auto version = query.find("api-version");
  if (version == query.end() || version->second.empty()) {
    return AzureResponse(400,
                         Json{{"error",
                               "Bad request. api-version was not specified in the request. "
                               "For more information refer to aka.ms/azureimds"},
                              {"newest-versions", {"2023-07-01", "2021-12-13", "2021-11-15"}}});
  }
  if (events) {
    if (request.method == "POST") {
      // Acknowledged, but the deadline stays: the simulator, not the job, ends the instance.
      if (!IsAcknowledgement(request.body)) {
        return AzureError(400, "Bad request. Expected {\"StartRequests\":[{\"EventId\":...}]}");
      }
      MetadataResponse response;
      response.status = 200;
      return response;
    }
    return AzureResponse(200, ScheduledEvents(instance, now));
  }
  const Json document = AzureInstance(instance);
  const Json* node =
      FindNode(document, std::string_view(path).substr(sizeof("/metadata/instance") - 1));
  if (node == nullptr) return AzureError(404, "Not found");
  auto format = query.find("format");
  if (format != query.end() && format->second == "text") {
    if (node->is_structured()) {
      return AzureError(400, "Bad request. format=text is only allowed for leaf nodes");
    }
    MetadataResponse response;
    response.content_type = "text/plain; charset=utf-8";
    response.body = node->is_string() ? node->get<std::string>() : Dump(*node);
    return response;
  }
  return AzureResponse(200, *node);
}

}  // namespace

// ---- The service --------------------------------------------------------------------------

MetadataResponse InstanceMetadataService::Answer(const MetadataRequest& request,
                                                 const InstanceMetadata& instance,
                                                 EpochMillis now) {
  const std::string path = request.path.empty() ? "/" : request.path;
  if (IsGcpProfile(instance) && (path == "/" || StartsWith(path, "/computeMetadata"))) {
    return AnswerGcp(request, instance, now, path);
  }
  if (IsAzureProfile(instance) && StartsWith(path, "/metadata")) {
    return AnswerAzure(request, instance, now, path);
  }
  return AnswerAws(request, path, instance, now);
}

MetadataResponse InstanceMetadataService::AnswerAws(const MetadataRequest& request,
                                                    const std::string& path,
                                                    const InstanceMetadata& instance,
                                                    EpochMillis now) {
  if (path == "/latest/api/token") {
    if (request.method != "PUT") return AwsMethodNotAllowed("PUT");
    return IssueToken(request, now);
  }
  if (request.method != "GET" && request.method != "HEAD") return AwsMethodNotAllowed("GET, HEAD");
  // A token, when sent, must be valid even where none is required, as on EC2.
  if (const std::string* token = FindHeader(request, "x-aws-ec2-metadata-token")) {
    auto it = tokens_.find(*token);
    if (it == tokens_.end() || now >= it->second) return AwsError(401, "Unauthorized");
  } else if (instance.tokens_required) {
    return AwsError(401, "Unauthorized");
  }
  if (path == "/") return AwsResponse(200, kAwsTextType, "latest");
  std::optional<std::string> value;
  if (path == "/latest" || StartsWith(path, "/latest/")) {
    std::string below = path.size() > 7 ? path.substr(8) : "";
    // Tutorials poll spot/interruption-notice; EC2 has no such item, this one mirrors
    // spot/instance-action (and is not listed).
    if (below == "meta-data/spot/interruption-notice") below = "meta-data/spot/instance-action";
    MetadataTree tree = AwsTree(instance, now);
    if (below.empty()) {
      // The version's own listing names its categories without a trailing '/'.
      value = Listing(tree, "", /*mark_directories=*/false, /*newline_after_each=*/false);
    } else {
      value = Resolve(tree, below, /*newline_after_each=*/false);
    }
  }
  if (!value.has_value()) return AwsError(404, "Not Found");
  return AwsResponse(200, kAwsTextType, std::move(*value));
}

MetadataResponse InstanceMetadataService::IssueToken(const MetadataRequest& request,
                                                     EpochMillis now) {
  // IMDSv2 refuses token requests that went through a proxy.
  if (FindHeader(request, "x-forwarded-for") != nullptr) return AwsError(403, "Forbidden");
  const std::string* ttl_header = FindHeader(request, "x-aws-ec2-metadata-token-ttl-seconds");
  std::optional<int64_t> ttl = ttl_header ? ParseTokenTtl(*ttl_header) : std::nullopt;
  if (!ttl.has_value()) return AwsError(400, "Bad Request");

  std::erase_if(tokens_, [now](const auto& entry) { return now >= entry.second; });
  while (tokens_.size() >= kMaxLiveTokens) {
    auto soonest = tokens_.begin();
    for (auto it = tokens_.begin(); it != tokens_.end(); ++it) {
      if (it->second < soonest->second) soonest = it;
    }
    tokens_.erase(soonest);
  }
  std::string token = NewToken();
  while (tokens_.count(token) != 0) token = NewToken();
  tokens_[token] = now + *ttl * 1000;

  MetadataResponse response = AwsResponse(200, kAwsTextType, token);
  response.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", std::to_string(*ttl));
  return response;
}

// Shaped like EC2's (56 characters of URL-safe base64 starting "AQAE"); clients treat it as
// opaque.
std::string InstanceMetadataService::NewToken() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string token = "AQAEA";
  while (token.size() < 54) {
    uint64_t bits = random_();
    for (int i = 0; i < 10 && token.size() < 54; ++i, bits >>= 6) token += kAlphabet[bits & 63];
  }
  return token + "==";
}

std::vector<std::string> MetadataEnvironment(const InstanceMetadata& instance,
                                             const std::string& base_url) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  // botocore and the AWS SDKs append "/latest/api/token" and so on to this, path and all.
  std::vector<std::string> environment = {"GLEANER_METADATA_ENDPOINT=" + url,
                                          "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + url};
  if (IsGcpProfile(instance)) {
    // google-auth (Python, Java), cloud.google.com/go and gcloud build
    // "http://" + value + "/computeMetadata/v1/…", so a value with a path works; google-auth's
    // ping GETs "http://" + GCE_METADATA_IP, which is this instance's root.
    size_t scheme = url.find("://");
    std::string host = scheme == std::string::npos ? url : url.substr(scheme + 3);
    environment.push_back("GCE_METADATA_HOST=" + host);
    environment.push_back("GCE_METADATA_ROOT=" + host);
    environment.push_back("GCE_METADATA_IP=" + host);
  }
  if (IsAzureProfile(instance)) {
    // azure-identity's managed identity credential asks IMDS at this authority.
    environment.push_back("AZURE_POD_IDENTITY_AUTHORITY_HOST=" + url);
  }
  return environment;
}

}  // namespace gleaner
