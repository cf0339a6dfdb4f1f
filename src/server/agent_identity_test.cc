#include "server/agent_identity.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(AgentIdentityTest, ACredentialProvesOneIdUnderOneKey) {
  AgentIdentity identity(std::string(32, 'k'));
  std::string credential = identity.CredentialFor("i-0123456789abcdef0");
  EXPECT_EQ(credential.size(), 64u);
  EXPECT_EQ(credential, identity.CredentialFor("i-0123456789abcdef0"));  // stable across restarts
  EXPECT_TRUE(identity.Verify("i-0123456789abcdef0", credential));
  EXPECT_FALSE(identity.Verify("i-0123456789abcdef1", credential));  // another agent's id
  EXPECT_FALSE(identity.Verify("i-0123456789abcdef0", ""));
  EXPECT_FALSE(identity.Verify("i-0123456789abcdef0", credential.substr(0, 63)));
  AgentIdentity other_server(std::string(32, 'x'));
  EXPECT_FALSE(other_server.Verify("i-0123456789abcdef0", credential));
}

}  // namespace
}  // namespace gleaner
