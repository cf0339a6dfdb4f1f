#include "model/arn.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(ArnScope, BuildsBatchArnsInItsRegionAndAccount) {
  ArnScope scope{"eu-west-1", "000011112222"};
  EXPECT_EQ(scope.ComputeEnvironment("ce1"),
            "arn:aws:batch:eu-west-1:000011112222:compute-environment/ce1");
  EXPECT_EQ(scope.JobQueue("q1"), "arn:aws:batch:eu-west-1:000011112222:job-queue/q1");
  EXPECT_EQ(scope.JobDefinition("def", 7),
            "arn:aws:batch:eu-west-1:000011112222:job-definition/def:7");
  EXPECT_EQ(scope.Job("0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c"),
            "arn:aws:batch:eu-west-1:000011112222:job/0190b6c2-8f3a-7c1e-9a4b-1d2e3f4a5b6c");
  EXPECT_EQ(scope.SchedulingPolicy("fair"),
            "arn:aws:batch:eu-west-1:000011112222:scheduling-policy/fair");
}

TEST(ArnScope, BuildsEcsArnsForClustersTasksAndContainerInstances) {
  ArnScope scope;  // defaults: us-east-1, 123456789012
  EXPECT_EQ(scope.EcsCluster("ce1_Batch_abc"),
            "arn:aws:ecs:us-east-1:123456789012:cluster/ce1_Batch_abc");
  EXPECT_EQ(scope.EcsTask("0123abcd"), "arn:aws:ecs:us-east-1:123456789012:task/0123abcd");
  EXPECT_EQ(scope.EcsContainerInstance("ci-1"),
            "arn:aws:ecs:us-east-1:123456789012:container-instance/ci-1");
  EXPECT_EQ(ArnResourceName(scope.EcsTask("t1"), "task"), "t1");
}

TEST(ArnScope, ChinaAndGovCloudRegionsHaveTheirOwnPartitions) {
  ArnScope china{"cn-north-1", "123456789012"};
  EXPECT_EQ(china.Partition(), "aws-cn");
  EXPECT_EQ(china.JobQueue("q"), "arn:aws-cn:batch:cn-north-1:123456789012:job-queue/q");
  EXPECT_EQ(china.Iam("role/batch"), "arn:aws-cn:iam::123456789012:role/batch");
  ArnScope gov{"us-gov-west-1", "123456789012"};
  EXPECT_EQ(gov.Partition(), "aws-us-gov");
  EXPECT_EQ(gov.EcsCluster("c"), "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/c");
  EXPECT_EQ(gov.Resource("ec2", "instance/i-1"),
            "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-1");
  EXPECT_EQ((ArnScope{"us-east-1", "1"}).Partition(), "aws");
  EXPECT_EQ((ArnScope{"us-iso-east-1", "1"}).Partition(), "aws-iso");
  EXPECT_EQ((ArnScope{"us-isob-east-1", "1"}).Partition(), "aws-iso-b");
  EXPECT_EQ(ArnResourceName(china.JobQueue("q"), "job-queue"), "q");
}

TEST(ArnResourceName, ReturnsTheNameAfterTheResourceType) {
  ArnScope scope;
  EXPECT_EQ(ArnResourceName(scope.JobQueue("q1"), "job-queue"), "q1");
  EXPECT_EQ(ArnResourceName(scope.ComputeEnvironment("ce-1"), "compute-environment"), "ce-1");
  EXPECT_EQ(ArnResourceName(scope.SchedulingPolicy("p"), "scheduling-policy"), "p");
  EXPECT_EQ(ArnResourceName(scope.Job("id:3"), "job"), "id:3");  // array child ids keep ':'
  EXPECT_EQ(ArnResourceName("arn:aws:batch:us-east-1:123:job-queue/q1", "job-queue"), "q1");
}

TEST(ArnResourceName, JobDefinitionKeepsTheRevision) {
  EXPECT_EQ(ArnResourceName(ArnScope{}.JobDefinition("def", 3), "job-definition"), "def:3");
}

TEST(ArnResourceName, EmptyForOtherTypesAndNonArns) {
  ArnScope scope;
  EXPECT_EQ(ArnResourceName(scope.JobQueue("q1"), "compute-environment"), "");
  EXPECT_EQ(ArnResourceName(scope.JobQueue("q1"), "job"), "");  // "job" is a prefix of "job-queue"
  EXPECT_EQ(ArnResourceName("q1", "job-queue"), "");
  EXPECT_EQ(ArnResourceName("def:3", "job-definition"), "");
  EXPECT_EQ(ArnResourceName("arn:aws:batch:us-east-1:123:job-queue/", "job-queue"), "");
  EXPECT_EQ(ArnResourceName("arn:aws:batch:job-queue/q1", "job-queue"), "");
}

TEST(LooksLikeArn, TellsArnsFromNames) {
  ArnScope scope;
  EXPECT_TRUE(LooksLikeArn(scope.JobQueue("q1")));
  EXPECT_TRUE(LooksLikeArn(scope.JobDefinition("def", 1)));
  EXPECT_TRUE(LooksLikeArn("arn:aws-cn:batch:cn-north-1:123:job-queue/q"));
  EXPECT_FALSE(LooksLikeArn("q1"));
  EXPECT_FALSE(LooksLikeArn("def:1"));
  EXPECT_FALSE(LooksLikeArn("arn:aws:batch"));
  EXPECT_FALSE(LooksLikeArn("arn:aws:batch:us-east-1:123:"));
  EXPECT_FALSE(LooksLikeArn(""));
}

}  // namespace
}  // namespace gleaner
