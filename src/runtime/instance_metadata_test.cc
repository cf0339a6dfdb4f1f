#include "runtime/instance_metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace gleaner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using Json = nlohmann::json;

constexpr EpochMillis kNotice = 1'795'508'400'000;    // 2026-11-24T08:20:00Z
constexpr EpochMillis kDeadline = 1'795'508'520'000;  // 2026-11-24T08:22:00Z
constexpr EpochMillis kBefore = kNotice - 60'000;

InstanceMetadata SpotInstance(std::string profile = "aws") {
  InstanceMetadata instance;
  instance.instance_id = "i-0123456789abcdef0";
  instance.instance_type = "m5.large";
  instance.availability_zone = "us-east-1b";
  instance.region = "us-east-1";
  instance.life_cycle = "spot";
  instance.profile = std::move(profile);
  instance.local_ipv4 = "10.1.2.3";
  instance.notice_at = kNotice;
  instance.deadline_at = kDeadline;
  return instance;
}

MetadataRequest Get(std::string path, std::map<std::string, std::string> headers = {}) {
  MetadataRequest request;
  request.method = "GET";
  request.path = std::move(path);
  request.headers = std::move(headers);
  return request;
}

MetadataRequest TokenRequest(std::string ttl) {
  MetadataRequest request;
  request.method = "PUT";
  request.path = "/latest/api/token";
  request.headers["x-aws-ec2-metadata-token-ttl-seconds"] = std::move(ttl);
  return request;
}

// The value of the response header `name`, or "" when absent.
std::string HeaderOf(const MetadataResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class InstanceMetadataTest : public ::testing::Test {
 protected:
  MetadataResponse Ask(const MetadataRequest& request, EpochMillis now = kBefore) {
    return service_.Answer(request, instance_, now);
  }
  std::string Token(int64_t ttl_seconds, EpochMillis now = kBefore) {
    MetadataResponse response = Ask(TokenRequest(std::to_string(ttl_seconds)), now);
    EXPECT_EQ(response.status, 200);
    return response.body;
  }

  InstanceMetadata instance_ = SpotInstance();
  InstanceMetadataService service_{42};
};

// ---- IMDSv2 tokens ----

TEST_F(InstanceMetadataTest, PutTokenReturnsATokenAndItsTtl) {
  MetadataResponse response = Ask(TokenRequest("21600"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain");
  EXPECT_THAT(response.body, MatchesRegex("AQAE[A-Za-z0-9_-]+=="));
  EXPECT_EQ(response.body.size(), 56u);
  EXPECT_EQ(HeaderOf(response, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(HeaderOf(response, "Server"), "EC2ws");
}

TEST_F(InstanceMetadataTest, TokenTtlMustBeOneToSixHours) {
  EXPECT_EQ(Ask(TokenRequest("1")).status, 200);
  EXPECT_EQ(Ask(TokenRequest("21600")).status, 200);
  for (const char* bad : {"0", "21601", "-5", "abc", "", " 60", "60s", "1e3", "99999999999"}) {
    MetadataResponse response = Ask(TokenRequest(bad));
    EXPECT_EQ(response.status, 400) << "ttl '" << bad << "'";
    EXPECT_THAT(response.body, HasSubstr("400 - Bad Request"));
  }
}

TEST_F(InstanceMetadataTest, TokenRequestWithoutTtlIsBadRequest) {
  MetadataRequest request = TokenRequest("60");
  request.headers.clear();
  EXPECT_EQ(Ask(request).status, 400);
}

TEST_F(InstanceMetadataTest, TokenRequestThroughAProxyIsForbidden) {
  MetadataRequest request = TokenRequest("60");
  request.headers["x-forwarded-for"] = "10.0.0.9";
  EXPECT_EQ(Ask(request).status, 403);
}

TEST_F(InstanceMetadataTest, TokenPathTakesOnlyPut) {
  MetadataResponse response = Ask(Get("/latest/api/token"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(HeaderOf(response, "Allow"), "PUT");
}

TEST_F(InstanceMetadataTest, TokenExpiresAfterItsTtl) {
  const EpochMillis issued = kBefore;
  std::string token = Token(10, issued);
  auto with_token = Get("/latest/meta-data/instance-id", {{"x-aws-ec2-metadata-token", token}});
  EXPECT_EQ(Ask(with_token, issued).status, 200);
  EXPECT_EQ(Ask(with_token, issued + 9'999).status, 200);
  EXPECT_EQ(Ask(with_token, issued + 10'000).status, 401);
  EXPECT_EQ(Ask(with_token, issued + 60'000).status, 401);
}

TEST_F(InstanceMetadataTest, UnknownTokenIsUnauthorizedEvenWhenTokensAreOptional) {
  MetadataResponse response =
      Ask(Get("/latest/meta-data/instance-id", {{"x-aws-ec2-metadata-token", "AQAEAnope=="}}));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.content_type, "text/html");
  EXPECT_THAT(response.body, HasSubstr("401 - Unauthorized"));
}

TEST_F(InstanceMetadataTest, TokensBelongToTheirInstance) {
  InstanceMetadataService other(42);
  std::string token = other.Answer(TokenRequest("60"), instance_, kBefore).body;
  EXPECT_EQ(Ask(Get("/latest/meta-data/", {{"x-aws-ec2-metadata-token", token}})).status, 401);
}

TEST_F(InstanceMetadataTest, TokensAreDeterministicPerSeed) {
  InstanceMetadataService same(42);
  InstanceMetadataService different(43);
  std::string first = Token(60);
  EXPECT_EQ(same.Answer(TokenRequest("60"), instance_, kBefore).body, first);
  EXPECT_NE(different.Answer(TokenRequest("60"), instance_, kBefore).body, first);
  EXPECT_NE(Token(60), first);  // the next token differs
}

TEST_F(InstanceMetadataTest, ManyTokensStayUsable) {
  std::string first = Token(21600);
  for (int i = 0; i < 50; ++i) Token(1);
  auto request = Get("/latest/meta-data/instance-id", {{"x-aws-ec2-metadata-token", first}});
  EXPECT_EQ(Ask(request, kBefore + 5'000).status, 200);  // the short ones expired meanwhile
}

TEST_F(InstanceMetadataTest, V1IsServedWithoutToken) {
  MetadataResponse response = Ask(Get("/latest/meta-data/instance-id"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "i-0123456789abcdef0");
}

TEST_F(InstanceMetadataTest, TokensRequiredRefusesV1) {
  instance_.tokens_required = true;
  EXPECT_EQ(Ask(Get("/latest/meta-data/instance-id")).status, 401);
  std::string token = Token(60);
  MetadataResponse response =
      Ask(Get("/latest/meta-data/instance-id", {{"x-aws-ec2-metadata-token", token}}));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "i-0123456789abcdef0");
}

TEST_F(InstanceMetadataTest, UnauthorizedComesBeforeNotFound) {
  instance_.tokens_required = true;
  EXPECT_EQ(Ask(Get("/latest/meta-data/no-such-thing")).status, 401);
}

TEST_F(InstanceMetadataTest, OtherMethodsAreNotAllowed) {
  for (const char* method : {"POST", "DELETE", "PATCH"}) {
    MetadataRequest request = Get("/latest/meta-data/instance-id");
    request.method = method;
    MetadataResponse response = Ask(request);
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(HeaderOf(response, "Allow"), "GET, HEAD");
  }
  MetadataRequest put = Get("/latest/meta-data/instance-id");
  put.method = "PUT";
  EXPECT_EQ(Ask(put).status, 405);
}

TEST_F(InstanceMetadataTest, HeadIsAnsweredAsGet) {
  MetadataRequest request = Get("/latest/meta-data/instance-type");
  request.method = "HEAD";
  EXPECT_EQ(Ask(request).status, 200);
}

// ---- AWS paths ----

TEST_F(InstanceMetadataTest, MetaDataListsItsNamesWithDirectoriesMarked) {
  MetadataResponse before = Ask(Get("/latest/meta-data/"));
  EXPECT_EQ(before.status, 200);
  EXPECT_EQ(before.body,
            "ami-id\nami-launch-index\nevents/\nhostname\ninstance-action\ninstance-id\n"
            "instance-life-cycle\ninstance-type\nlocal-hostname\nlocal-ipv4\nplacement/\n"
            "services/");
  EXPECT_THAT(Ask(Get("/latest/meta-data/"), kNotice).body, HasSubstr("services/\nspot/"));
  EXPECT_EQ(Ask(Get("/latest/meta-data/placement/")).body, "availability-zone\nregion");
  EXPECT_EQ(Ask(Get("/latest/meta-data/placement")).body, "availability-zone\nregion");
  EXPECT_EQ(Ask(Get("/latest/meta-data/events/")).body, "maintenance/");
}

TEST_F(InstanceMetadataTest, RootAndVersionListings) {
  EXPECT_EQ(Ask(Get("/")).body, "latest");
  EXPECT_EQ(Ask(Get("")).body, "latest");  // "/imds/<id>" with nothing after it
  EXPECT_EQ(Ask(Get("/latest/")).body, "dynamic\nmeta-data");
  EXPECT_EQ(Ask(Get("/latest")).body, "dynamic\nmeta-data");
  EXPECT_EQ(Ask(Get("/latest/dynamic/")).body, "instance-identity/");
}

TEST_F(InstanceMetadataTest, InstanceFacts) {
  EXPECT_EQ(Ask(Get("/latest/meta-data/instance-type")).body, "m5.large");
  EXPECT_EQ(Ask(Get("/latest/meta-data/placement/availability-zone")).body, "us-east-1b");
  EXPECT_EQ(Ask(Get("/latest/meta-data/placement/region")).body, "us-east-1");
  EXPECT_EQ(Ask(Get("/latest/meta-data/instance-life-cycle")).body, "spot");
  EXPECT_EQ(Ask(Get("/latest/meta-data/local-ipv4")).body, "10.1.2.3");
  EXPECT_EQ(Ask(Get("/latest/meta-data/hostname")).body, "ip-10-1-2-3.ec2.internal");
  EXPECT_EQ(Ask(Get("/latest/meta-data/local-hostname")).body, "ip-10-1-2-3.ec2.internal");
  EXPECT_EQ(Ask(Get("/latest/meta-data/instance-action")).body, "none");
  EXPECT_EQ(Ask(Get("/latest/meta-data/events/maintenance/scheduled")).body, "[]");
  EXPECT_EQ(Ask(Get("/latest/meta-data/services/partition")).body, "aws");
  MetadataResponse ami = Ask(Get("/latest/meta-data/ami-id"));
  EXPECT_EQ(ami.content_type, "text/plain");
  EXPECT_THAT(ami.body, MatchesRegex("ami-[0-9a-f]{17}"));
  EXPECT_EQ(Ask(Get("/latest/meta-data/ami-id"), kDeadline).body, ami.body);  // stable
}

TEST_F(InstanceMetadataTest, HostnameOutsideUsEast1) {
  instance_.region = "eu-west-1";
  EXPECT_EQ(Ask(Get("/latest/meta-data/hostname")).body, "ip-10-1-2-3.eu-west-1.compute.internal");
}

TEST_F(InstanceMetadataTest, LeafWithTrailingSlashIsTheValue) {
  // botocore's region lookup asks for exactly this.
  EXPECT_EQ(Ask(Get("/latest/meta-data/placement/availability-zone/")).body, "us-east-1b");
}

TEST_F(InstanceMetadataTest, UnknownPathIsAwsNotFound) {
  for (const char* path : {"/latest/meta-data/nope", "/latest/user-data", "/2009-04-04/meta-data/",
                           "/computeMetadata/v1/instance/preempted", "/metadata/scheduledevents"}) {
    MetadataResponse response = Ask(Get(path));
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.content_type, "text/html");
    EXPECT_THAT(response.body, HasSubstr("<title>404 - Not Found</title>"));
    EXPECT_EQ(HeaderOf(response, "Server"), "EC2ws");
  }
}

TEST_F(InstanceMetadataTest, InstanceActionIsNotFoundUntilTheNotice) {
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/instance-action"), kNotice - 1).status, 404);
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/"), kNotice - 1).status, 404);
  MetadataResponse response = Ask(Get("/latest/meta-data/spot/instance-action"), kNotice);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain");  // as EC2, though the body is JSON
  EXPECT_EQ(response.body, R"({"action":"terminate","time":"2026-11-24T08:22:00Z"})");
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/"), kNotice).body, "instance-action\ntermination-time");
}

TEST_F(InstanceMetadataTest, InstanceActionNamesStop) {
  instance_.instance_action = "stop";
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/instance-action"), kNotice + 5'000).body,
            R"({"action":"stop","time":"2026-11-24T08:22:00Z"})");
}

TEST_F(InstanceMetadataTest, TerminationTimeIsPlainUtc) {
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/termination-time")).status, 404);
  MetadataResponse response = Ask(Get("/latest/meta-data/spot/termination-time"), kNotice);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "2026-11-24T08:22:00Z");
}

TEST_F(InstanceMetadataTest, InterruptionNoticeMirrorsInstanceAction) {
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/interruption-notice")).status, 404);
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/interruption-notice"), kNotice).body,
            Ask(Get("/latest/meta-data/spot/instance-action"), kNotice).body);
}

TEST_F(InstanceMetadataTest, DeadlineDefaultsToTwoMinutesOnAws) {
  instance_.deadline_at.reset();
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/termination-time"), kNotice).body,
            "2026-11-24T08:22:00Z");
}

TEST_F(InstanceMetadataTest, TimesAreTruncatedToSeconds) {
  instance_.deadline_at = kDeadline + 999;
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/termination-time"), kNotice).body,
            "2026-11-24T08:22:00Z");
}

TEST_F(InstanceMetadataTest, RebalanceRecommendationFromItsOwnTime) {
  instance_.rebalance_at = kNotice - 600'000;  // 08:10:00
  const std::string path = "/latest/meta-data/events/recommendations/rebalance";
  EXPECT_EQ(Ask(Get(path), kNotice - 600'001).status, 404);
  MetadataResponse response = Ask(Get(path), kNotice - 600'000);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"noticeTime":"2026-11-24T08:10:00Z"})");
  EXPECT_EQ(Ask(Get("/latest/meta-data/events/recommendations/"), kNotice - 1).body, "rebalance");
  // Before the interruption notice itself.
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/instance-action"), kNotice - 1).status, 404);
}

TEST_F(InstanceMetadataTest, RebalanceRecommendationWithTheNoticeWhenNoneOfItsOwn) {
  const std::string path = "/latest/meta-data/events/recommendations/rebalance";
  EXPECT_EQ(Ask(Get(path), kNotice - 1).status, 404);
  EXPECT_EQ(Ask(Get(path), kNotice).body, R"({"noticeTime":"2026-11-24T08:20:00Z"})");
}

TEST_F(InstanceMetadataTest, NoNoticeNoSignals) {
  instance_.notice_at.reset();
  instance_.deadline_at.reset();
  const EpochMillis later = kDeadline + 3'600'000;
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/instance-action"), later).status, 404);
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/termination-time"), later).status, 404);
  EXPECT_EQ(Ask(Get("/latest/meta-data/events/recommendations/rebalance"), later).status, 404);
}

TEST_F(InstanceMetadataTest, InstanceIdentityDocument) {
  MetadataResponse response = Ask(Get("/latest/dynamic/instance-identity/document"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain");
  Json document = Json::parse(response.body);
  EXPECT_EQ(document["instanceId"], "i-0123456789abcdef0");
  EXPECT_EQ(document["instanceType"], "m5.large");
  EXPECT_EQ(document["availabilityZone"], "us-east-1b");
  EXPECT_EQ(document["region"], "us-east-1");
  EXPECT_EQ(document["privateIp"], "10.1.2.3");
  EXPECT_EQ(document["architecture"], "x86_64");
  EXPECT_EQ(document["version"], "2017-09-30");
  EXPECT_EQ(document["imageId"], Ask(Get("/latest/meta-data/ami-id")).body);
  EXPECT_TRUE(document["kernelId"].is_null());
}

TEST_F(InstanceMetadataTest, ArchitectureFollowsTheFamily) {
  for (const char* type : {"m6g.large", "c7gn.xlarge", "r6gd.2xlarge", "t4g.micro", "a1.large"}) {
    instance_.instance_type = type;
    EXPECT_EQ(
        Json::parse(Ask(Get("/latest/dynamic/instance-identity/document")).body)["architecture"],
        "arm64")
        << type;
  }
  for (const char* type : {"g4dn.xlarge", "p4de.24xlarge", "c5.large", "g5.xlarge"}) {
    instance_.instance_type = type;
    EXPECT_EQ(
        Json::parse(Ask(Get("/latest/dynamic/instance-identity/document")).body)["architecture"],
        "x86_64")
        << type;
  }
}

// ---- GCP ----

class GcpMetadataTest : public InstanceMetadataTest {
 protected:
  GcpMetadataTest() { instance_ = SpotInstance("gcp-spot"); }
  MetadataResponse AskGoogle(const std::string& path, EpochMillis now = kBefore) {
    return Ask(Get(path, {{"metadata-flavor", "Google"}}), now);
  }
};

TEST_F(GcpMetadataTest, PreemptedNeedsTheFlavorHeader) {
  MetadataResponse response = Ask(Get("/computeMetadata/v1/instance/preempted"));
  EXPECT_EQ(response.status, 403);
  EXPECT_THAT(response.body, HasSubstr("Missing Metadata-Flavor:Google header."));
  EXPECT_EQ(HeaderOf(response, "Metadata-Flavor"), "Google");
  EXPECT_EQ(
      Ask(Get("/computeMetadata/v1/instance/preempted", {{"metadata-flavor", "google"}})).status,
      403);
}

TEST_F(GcpMetadataTest, PreemptedTurnsTrueAtTheNotice) {
  MetadataResponse before = AskGoogle("/computeMetadata/v1/instance/preempted", kNotice - 1);
  EXPECT_EQ(before.status, 200);
  EXPECT_EQ(before.body, "FALSE");
  EXPECT_EQ(before.content_type, "application/text");
  EXPECT_EQ(HeaderOf(before, "Metadata-Flavor"), "Google");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/preempted", kNotice).body, "TRUE");
}

TEST_F(GcpMetadataTest, InstanceFacts) {
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/name").body, "i-0123456789abcdef0");
  EXPECT_THAT(AskGoogle("/computeMetadata/v1/instance/id").body, MatchesRegex("[0-9]+"));
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/machine-type").body,
            "projects/0/machineTypes/m5.large");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/zone").body, "projects/0/zones/us-east-1b");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/network-interfaces/0/ip").body, "10.1.2.3");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/project/project-id").body, "gleaner");
}

TEST_F(GcpMetadataTest, SpotAndPreemptibleVmsArePreemptible) {
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/scheduling/preemptible").body, "TRUE");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/scheduling/provisioning-model").body, "SPOT");
  instance_.profile = "gcp";
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/scheduling/preemptible").body, "TRUE");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/scheduling/provisioning-model").status, 404);
  instance_.life_cycle = "on-demand";
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/scheduling/preemptible").body, "FALSE");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/scheduling/provisioning-model").body,
            "STANDARD");
}

TEST_F(GcpMetadataTest, DirectoriesListOneNamePerLine) {
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/").body, "instance/\nproject/\n");
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/scheduling/").body,
            "automatic-restart\non-host-maintenance\npreemptible\nprovisioning-model\n");
  EXPECT_EQ(AskGoogle("/computeMetadata/").body, "v1/\n");
}

TEST_F(GcpMetadataTest, WaitForChangeIsAnsweredAtOnceWithAnETag) {
  MetadataRequest request =
      Get("/computeMetadata/v1/instance/preempted", {{"metadata-flavor", "Google"}});
  request.query = "wait_for_change=true&timeout_sec=30";
  MetadataResponse before = Ask(request, kNotice - 1);
  MetadataResponse after = Ask(request, kNotice);
  EXPECT_EQ(before.body, "FALSE");
  EXPECT_EQ(after.body, "TRUE");
  EXPECT_THAT(HeaderOf(before, "ETag"), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_NE(HeaderOf(before, "ETag"), HeaderOf(after, "ETag"));
  EXPECT_EQ(HeaderOf(before, "ETag"), HeaderOf(Ask(request, kBefore), "ETag"));
}

TEST_F(GcpMetadataTest, RootAnswersThePingWithoutTheHeader) {
  MetadataResponse response = Ask(Get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(HeaderOf(response, "Metadata-Flavor"), "Google");
  EXPECT_EQ(Ask(Get("")).status, 200);
}

TEST_F(GcpMetadataTest, UnknownPathsAndMethods) {
  EXPECT_EQ(AskGoogle("/computeMetadata/v1/instance/nope").status, 404);
  EXPECT_EQ(AskGoogle("/computeMetadata/v2/instance/preempted").status, 404);
  MetadataRequest post =
      Get("/computeMetadata/v1/instance/preempted", {{"metadata-flavor", "Google"}});
  post.method = "POST";
  EXPECT_EQ(Ask(post).status, 405);
}

TEST_F(GcpMetadataTest, AwsPathsStayServed) {
  EXPECT_EQ(Ask(Get("/latest/meta-data/spot/termination-time"), kNotice).body,
            "2026-11-24T08:22:00Z");
}

TEST_F(InstanceMetadataTest, GcpPathsOnlyForGcpProfiles) {
  for (const char* profile : {"aws", "azure", "something-else"}) {
    instance_.profile = profile;
    EXPECT_EQ(
        Ask(Get("/computeMetadata/v1/instance/preempted", {{"metadata-flavor", "Google"}})).status,
        404)
        << profile;
  }
}

// ---- Azure ----

class AzureMetadataTest : public InstanceMetadataTest {
 protected:
  AzureMetadataTest() { instance_ = SpotInstance("azure"); }
  static MetadataRequest AzureGet(std::string path, std::string query = "api-version=2020-07-01") {
    MetadataRequest request = Get(std::move(path), {{"metadata", "true"}});
    request.query = std::move(query);
    return request;
  }
};

TEST_F(AzureMetadataTest, ScheduledEventsNeedTheMetadataHeader) {
  MetadataRequest request = AzureGet("/metadata/scheduledevents");
  request.headers.clear();
  MetadataResponse response = Ask(request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(Json::parse(response.body)["error"],
            "Bad request. Required metadata header not specified");
  request.headers["metadata"] = "false";
  EXPECT_EQ(Ask(request).status, 400);
  request.headers["metadata"] = "True";
  EXPECT_EQ(Ask(request).status, 200);
}

TEST_F(AzureMetadataTest, ScheduledEventsNeedAnApiVersion) {
  for (const char* query : {"", "api-version=", "format=json"}) {
    MetadataResponse response = Ask(AzureGet("/metadata/scheduledevents", query));
    EXPECT_EQ(response.status, 400) << query;
    Json error = Json::parse(response.body);
    EXPECT_THAT(error["error"].get<std::string>(), HasSubstr("api-version was not specified"));
    EXPECT_TRUE(error["newest-versions"].is_array());
  }
}

TEST_F(AzureMetadataTest, RequestsThroughAProxyAreRejected) {
  MetadataRequest request = AzureGet("/metadata/scheduledevents");
  request.headers["x-forwarded-for"] = "10.0.0.9";
  EXPECT_EQ(Ask(request).status, 400);
}

TEST_F(AzureMetadataTest, NoEventsBeforeTheNotice) {
  MetadataResponse response = Ask(AzureGet("/metadata/scheduledevents"), kNotice - 1);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"DocumentIncarnation":0,"Events":[]})");
}

TEST_F(AzureMetadataTest, OnePreemptEventFromTheNotice) {
  MetadataResponse response = Ask(AzureGet("/metadata/scheduledevents"), kNotice);
  EXPECT_EQ(response.status, 200);
  Json document = Json::parse(response.body);
  EXPECT_EQ(document["DocumentIncarnation"], 1);
  ASSERT_EQ(document["Events"].size(), 1u);
  const Json& event = document["Events"][0];
  EXPECT_THAT(event["EventId"].get<std::string>(),
              MatchesRegex("[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}"));
  EXPECT_EQ(event["EventStatus"], "Scheduled");
  EXPECT_EQ(event["EventType"], "Preempt");
  EXPECT_EQ(event["ResourceType"], "VirtualMachine");
  EXPECT_EQ(event["Resources"], Json::array({"i-0123456789abcdef0"}));
  EXPECT_EQ(event["NotBefore"], "Tue, 24 Nov 2026 08:22:00 GMT");
  EXPECT_EQ(event["EventSource"], "Platform");
  EXPECT_EQ(event["DurationInSeconds"], -1);
  EXPECT_TRUE(event["Description"].is_string());
  // The same event on every poll.
  Json again = Json::parse(Ask(AzureGet("/metadata/scheduledevents"), kNotice + 10'000).body);
  EXPECT_EQ(again["Events"][0]["EventId"], event["EventId"]);
  EXPECT_EQ(again["DocumentIncarnation"], 1);
}

TEST_F(AzureMetadataTest, DeadlineDefaultsToThirtySeconds) {
  instance_.deadline_at.reset();
  Json document = Json::parse(Ask(AzureGet("/metadata/scheduledevents"), kNotice).body);
  EXPECT_EQ(document["Events"][0]["NotBefore"], "Tue, 24 Nov 2026 08:20:30 GMT");
}

TEST_F(AzureMetadataTest, AcknowledgingAnEvent) {
  Json document = Json::parse(Ask(AzureGet("/metadata/scheduledevents"), kNotice).body);
  MetadataRequest post = AzureGet("/metadata/scheduledevents");
  post.method = "POST";
  Json start = {{"EventId", document["Events"][0]["EventId"]}};
  post.body = Json{{"StartRequests", Json::array({start})}}.dump();
  EXPECT_EQ(Ask(post, kNotice + 1'000).status, 200);
  for (const char* bad :
       {"", "not json", "{}", R"({"StartRequests":{}})", R"({"StartRequests":[{"Id":"x"}]})"}) {
    post.body = bad;
    EXPECT_EQ(Ask(post, kNotice).status, 400) << bad;
  }
  MetadataRequest put = post;
  put.method = "PUT";
  EXPECT_EQ(Ask(put).status, 405);
}

TEST_F(AzureMetadataTest, InstanceDocument) {
  MetadataResponse response = Ask(AzureGet("/metadata/instance", "api-version=2021-02-01"));
  EXPECT_EQ(response.status, 200);
  Json document = Json::parse(response.body);
  const Json& compute = document["compute"];
  EXPECT_THAT(compute["vmId"].get<std::string>(),
              MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_EQ(compute["vmSize"], "m5.large");
  EXPECT_EQ(compute["location"], "us-east-1");
  EXPECT_EQ(compute["zone"], "2");
  EXPECT_EQ(compute["priority"], "Spot");
  EXPECT_EQ(compute["evictionPolicy"], "Delete");
  EXPECT_EQ(compute["name"], "i-0123456789abcdef0");
  EXPECT_EQ(document["network"]["interface"][0]["ipv4"]["ipAddress"][0]["privateIpAddress"],
            "10.1.2.3");
  instance_.life_cycle = "on-demand";
  Json regular = Json::parse(Ask(AzureGet("/metadata/instance/compute")).body);
  EXPECT_EQ(regular["priority"], "Regular");
  EXPECT_EQ(regular["evictionPolicy"], "");
}

TEST_F(AzureMetadataTest, InstanceLeavesAsText) {
  MetadataResponse vm_size =
      Ask(AzureGet("/metadata/instance/compute/vmSize", "api-version=2021-02-01&format=text"));
  EXPECT_EQ(vm_size.status, 200);
  EXPECT_EQ(vm_size.body, "m5.large");
  EXPECT_EQ(Ask(AzureGet("/metadata/instance/network/interface/0/ipv4/ipAddress/0/"
                         "privateIpAddress",
                         "api-version=2021-02-01&format=text"))
                .body,
            "10.1.2.3");
  EXPECT_EQ(Ask(AzureGet("/metadata/instance/compute/vmSize")).body, R"("m5.large")");
  EXPECT_EQ(
      Ask(AzureGet("/metadata/instance/compute", "api-version=2021-02-01&format=text")).status,
      400);
  EXPECT_EQ(Ask(AzureGet("/metadata/instance/compute/nope")).status, 404);
  EXPECT_EQ(Ask(AzureGet("/metadata/instance/network/interface/7")).status, 404);
}

TEST_F(AzureMetadataTest, UnknownPathIsNotFound) {
  MetadataResponse response = Ask(AzureGet("/metadata/identity/oauth2/token"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
}

TEST_F(InstanceMetadataTest, AzurePathsOnlyForTheAzureProfile) {
  MetadataRequest request = Get("/metadata/scheduledevents", {{"metadata", "true"}});
  request.query = "api-version=2020-07-01";
  instance_.profile = "gcp";
  EXPECT_EQ(Ask(request, kNotice).status, 404);
}

// ---- Environment ----

TEST(MetadataEnvironmentTest, AwsGetsTheAwsEndpoint) {
  EXPECT_THAT(MetadataEnvironment(SpotInstance("aws"), "http://127.0.0.1:8686/imds/i-1/"),
              ElementsAre("GLEANER_METADATA_ENDPOINT=http://127.0.0.1:8686/imds/i-1",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:8686/imds/i-1"));
}

TEST(MetadataEnvironmentTest, GcpProfilesGetHostAndPathWithoutScheme) {
  for (const char* profile : {"gcp", "gcp-spot"}) {
    EXPECT_THAT(MetadataEnvironment(SpotInstance(profile), "http://127.0.0.1:8686/imds/i-1"),
                ElementsAre("GLEANER_METADATA_ENDPOINT=http://127.0.0.1:8686/imds/i-1",
                            "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:8686/imds/i-1",
                            "GCE_METADATA_HOST=127.0.0.1:8686/imds/i-1",
                            "GCE_METADATA_ROOT=127.0.0.1:8686/imds/i-1",
                            "GCE_METADATA_IP=127.0.0.1:8686/imds/i-1"))
        << profile;
  }
}

TEST(MetadataEnvironmentTest, AzureGetsTheIdentityAuthority) {
  EXPECT_THAT(MetadataEnvironment(SpotInstance("azure"), "http://127.0.0.1:8686/imds/i-1"),
              ElementsAre("GLEANER_METADATA_ENDPOINT=http://127.0.0.1:8686/imds/i-1",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:8686/imds/i-1",
                          "AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:8686/imds/i-1"));
}

}  // namespace
}  // namespace gleaner
