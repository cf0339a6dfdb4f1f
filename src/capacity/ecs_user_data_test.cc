#include "capacity/ecs_user_data.h"

#include <gtest/gtest.h>

#include <string>

namespace gleaner {
namespace {

TEST(EncodeBase64Test, PadsAndRoundTripsEveryByte) {
  EXPECT_EQ(Base64Encode("#!/bin/bash\n"), "IyEvYmluL2Jhc2gK");
  EXPECT_EQ(Base64Encode("hi"), "aGk=");
  EXPECT_EQ(Base64Encode("h"), "aA==");
  EXPECT_EQ(Base64Encode(""), "");
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) every_byte.push_back(static_cast<char>(byte));
  EXPECT_EQ(Base64DecodeLenient(Base64Encode(every_byte)), every_byte);
}

TEST(DecodeBase64Test, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(Base64DecodeLenient("IyEvYmluL2Jhc2gK"), "#!/bin/bash\n");
  EXPECT_EQ(Base64DecodeLenient("aGk="), "hi");
  EXPECT_EQ(Base64DecodeLenient("aGk"), "hi");
  EXPECT_EQ(Base64DecodeLenient("aGVs\nbG8="), "hello") << "line breaks (base64 -w76) are ignored";
  EXPECT_EQ(Base64DecodeLenient(""), "");
}

TEST(DecodeBase64Test, RejectsWhatIsNotBase64) {
  EXPECT_FALSE(Base64DecodeLenient("#!/bin/bash"));
  EXPECT_FALSE(Base64DecodeLenient("aGk=aGk="));
  EXPECT_FALSE(Base64DecodeLenient("a"));
  EXPECT_FALSE(Base64DecodeLenient("aGk==="));
}

TEST(EcsClusterFromUserDataTest, FindsTheClusterHoweverItIsWritten) {
  EXPECT_EQ(EcsClusterFromUserData("#!/bin/bash\necho ECS_CLUSTER=ce_Batch_1 >> "
                                   "/etc/ecs/ecs.config\n"),
            "ce_Batch_1");
  EXPECT_EQ(EcsClusterFromUserData("ECS_CLUSTER=plain"), "plain");
  EXPECT_EQ(EcsClusterFromUserData("echo \"ECS_CLUSTER=quoted\" >> /etc/ecs/ecs.config"), "quoted");
  EXPECT_EQ(EcsClusterFromUserData("ECS_CLUSTER='single'\n"), "single");
  EXPECT_EQ(EcsClusterFromUserData("ECS_CLUSTER = \"spaced\""), "spaced");
  EXPECT_EQ(EcsClusterFromUserData(
                "ECS_CLUSTER=arn:aws:ecs:us-east-1:123456789012:cluster/by-arn_Batch_2"),
            "by-arn_Batch_2");
  EXPECT_EQ(EcsClusterFromUserData("cat <<'EOF' >> /etc/ecs/ecs.config\nECS_CLUSTER=heredoc\n"
                                   "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\nEOF\n"),
            "heredoc");
}

TEST(EcsClusterFromUserDataTest, TheLastSettingWinsAndLookalikesDoNotCount) {
  EXPECT_EQ(EcsClusterFromUserData("ECS_CLUSTER=first\nECS_CLUSTER=second\n"), "second");
  EXPECT_EQ(EcsClusterFromUserData("MY_ECS_CLUSTER=nope\n"), "");
  EXPECT_EQ(EcsClusterFromUserData("ECS_CLUSTER_NAME=nope\n"), "");
  EXPECT_EQ(EcsClusterFromUserData("ECS_CLUSTER=$CLUSTER\n"), "") << "unresolvable";
  EXPECT_EQ(EcsClusterFromUserData("#!/bin/bash\nyum update -y\n"), "");
}

}  // namespace
}  // namespace gleaner
