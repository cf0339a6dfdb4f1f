// EC2's query protocol: the form parameters botocore sends and the XML it reads back.
#include "api/ec2_query.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gleaner {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// What `aws ec2 request-spot-instances ... --launch-specification file://spec.json` sends
// (captured from awscli 2.9.19, see shared/spec/wire.md).
constexpr char kRequestSpotInstances[] =
    "Action=RequestSpotInstances&Version=2016-11-15&BlockDurationMinutes=60&InstanceCount=1"
    "&LaunchSpecification.ImageId=ami-a7a242da&LaunchSpecification.KeyName=jewart"
    "&LaunchSpecification.SecurityGroupId.1=sg-55964223&LaunchSpecification.InstanceType=t2.micro"
    "&LaunchSpecification.Placement.AvailabilityZone=us-east-1c"
    "&LaunchSpecification.IamInstanceProfile.Arn=arn%3Aaws%3Aiam%3A%3A332639962540%3Ainstance-"
    "profile%2FecsInstanceRole"
    "&LaunchSpecification.UserData=IyEvYmluL2Jhc2gK&LaunchSpecification.SubnetId=subnet-c8d30ae4"
    "&SpotPrice=0.03&Type=one-time";

TEST(Ec2QueryTest, ParsesTheCapturedRequestSpotInstances) {
  Ec2Params params = ParseEc2Params(kRequestSpotInstances, "");
  EXPECT_EQ(Ec2Param(params, "Action"), "RequestSpotInstances");
  EXPECT_EQ(Ec2Param(params, "Version"), "2016-11-15");
  EXPECT_EQ(Ec2Param(params, "LaunchSpecification.IamInstanceProfile.Arn"),
            "arn:aws:iam::332639962540:instance-profile/ecsInstanceRole");
  EXPECT_EQ(Ec2Param(params, "LaunchSpecification.UserData"), "IyEvYmluL2Jhc2gK");
  EXPECT_THAT(Ec2IndexedValues(params, "LaunchSpecification.SecurityGroupId"),
              ElementsAre("sg-55964223"));
  Result<std::optional<int>> minutes = Ec2IntegerParam(params, "BlockDurationMinutes");
  ASSERT_TRUE(minutes.ok());
  EXPECT_EQ(*minutes, 60);
  EXPECT_FALSE(Ec2Param(params, "Nope"));
}

TEST(Ec2QueryTest, IndexedValuesAreInNumericOrder) {
  Ec2Params params = ParseEc2Params(
      "InstanceId.10=i-j&InstanceId.2=i-b&InstanceId.1=i-a&InstanceIdX=no&InstanceId.x=no", "");
  EXPECT_THAT(Ec2IndexedValues(params, "InstanceId"), ElementsAre("i-a", "i-b", "i-j"));
  EXPECT_THAT(Ec2IndexedValues(params, "SpotInstanceRequestId"), IsEmpty());
}

TEST(Ec2QueryTest, ParsesFilters) {
  Ec2Params params = ParseEc2Params(
      "Action=DescribeSpotInstanceRequests&Version=2016-11-15&Filter.1.Name=state"
      "&Filter.1.Value.1=closed&Filter.2.Name=status-code"
      "&Filter.2.Value.1=instance-terminated-by-price&Filter.2.Value.2=instance-terminated-by-"
      "service&Filter.2.Value.3=instance-terminated-no-capacity",
      "");
  Result<std::vector<Ec2Filter>> filters = Ec2Filters(params);
  ASSERT_TRUE(filters.ok());
  ASSERT_EQ(filters->size(), 2u);
  EXPECT_EQ((*filters)[0].name, "state");
  EXPECT_THAT((*filters)[0].values, ElementsAre("closed"));
  EXPECT_THAT((*filters)[1].values,
              ElementsAre("instance-terminated-by-price", "instance-terminated-by-service",
                          "instance-terminated-no-capacity"));

  Result<std::vector<Ec2Filter>> nameless = Ec2Filters(ParseEc2Params("Filter.1.Value.1=x", ""));
  ASSERT_FALSE(nameless.ok());
  EXPECT_THAT(nameless.status().message(), HasSubstr("Filter.1.Name"));
}

TEST(Ec2QueryTest, TheQueryStringCountsWhenTheBodyLacksAName) {
  Ec2Params params = ParseEc2Params("Action=DescribeInstances", "Action=Other&Version=2016-11-15");
  EXPECT_EQ(Ec2Param(params, "Action"), "DescribeInstances");
  EXPECT_EQ(Ec2Param(params, "Version"), "2016-11-15");
}

TEST(Ec2QueryTest, ChecksNumbersBooleansAndTimes) {
  Ec2Params params = ParseEc2Params(
      "InstanceCount=two&DryRun=true&Flag=maybe&StartTime=2014-01-06T07%3A08%3A09Z"
      "&EndTime=2014-01-06T08%3A09%3A10.250%2B01%3A00&Epoch=1389000000&Bad=yesterday"
      "&Huge=170000000000000000",
      "");
  EXPECT_THAT(Ec2IntegerParam(params, "InstanceCount").status().message(),
              HasSubstr("InstanceCount"));
  EXPECT_TRUE(*Ec2BooleanParam(params, "DryRun"));
  EXPECT_FALSE(*Ec2BooleanParam(params, "Absent"));
  EXPECT_FALSE(Ec2BooleanParam(params, "Flag").ok());
  EXPECT_EQ(**Ec2TimeParam(params, "StartTime"), 1'388'992'089'000);
  EXPECT_EQ(**Ec2TimeParam(params, "EndTime"), 1'388'992'150'250);
  EXPECT_EQ(**Ec2TimeParam(params, "Epoch"), 1'389'000'000'000);
  EXPECT_FALSE(Ec2TimeParam(params, "Bad").ok());
  EXPECT_FALSE(Ec2TimeParam(params, "Huge").ok());  // past the year 9999
  EXPECT_FALSE(*Ec2TimeParam(params, "Absent"));
}

TEST(Ec2QueryTest, WritesTimesWithMilliseconds) {
  EXPECT_EQ(Ec2Time(1'388'992'089'007), "2014-01-06T07:08:09.007Z");
}

TEST(Ec2XmlTest, EscapesEveryValueAndClosesWhatIsOpen) {
  XmlWriter xml;
  xml.Open("spotInstanceRequestSet").Open("item");
  xml.Element("message", "a < b & \"c\" > 'd'");
  xml.ElementIfNotEmpty("instanceId", "");
  xml.Open("status").Element("code", "fulfilled");
  EXPECT_EQ(xml.Finish(),
            "<spotInstanceRequestSet><item><message>a &lt; b &amp; &quot;c&quot; &gt; "
            "'d'</message><status><code>fulfilled</code></status></item>"
            "</spotInstanceRequestSet>");
  EXPECT_EQ(XmlEscape(std::string("bell\x07")), "bell&#xFFFD;");
  // Bytes that are not UTF-8 (a percent-decoded parameter echoed in an error) are replaced.
  EXPECT_EQ(XmlEscape(std::string("caf\xc3\xa9 \xe2\x82 \xff\xf0\x9f\x98\x80")),
            "caf\xc3\xa9 &#xFFFD;&#xFFFD; &#xFFFD;\xf0\x9f\x98\x80");
}

TEST(Ec2XmlTest, WrapsResponsesAndErrorsAsEc2Does) {
  EXPECT_EQ(Ec2ResponseXml("TerminateInstances", "req-1", "<instancesSet/>"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<TerminateInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
            "<requestId>req-1</requestId><instancesSet/></TerminateInstancesResponse>");
  EXPECT_EQ(
      Ec2ErrorXml("InvalidInstanceID.NotFound", "The instance ID 'i-<x>' does not exist", "req-2"),
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"
      "<Message>The instance ID 'i-&lt;x&gt;' does not exist</Message></Error></Errors>"
      "<RequestID>req-2</RequestID></Response>");
}

}  // namespace
}  // namespace gleaner
