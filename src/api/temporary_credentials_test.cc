#include "api/temporary_credentials.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

const std::string kKey(32, 'k');
constexpr EpochMillis kNow = 1'765'000'000'000;

TEST(TemporaryCredentialsTest, IssuedCredentialsLookLikeStssAndVerify) {
  TemporaryCredentialIssuer issuer(kKey);
  TemporaryCredentials issued = issuer.Issue("job-1#1", kNow);
  EXPECT_TRUE(issued.access_key_id.starts_with("ASIA"));
  EXPECT_EQ(issued.access_key_id.size(), 20u);
  EXPECT_EQ(issued.secret_access_key.size(), 40u);
  EXPECT_GE(issued.expiration, kNow + TemporaryCredentialIssuer::kLifetimeMillis - 60'000);
  EXPECT_EQ(issuer.SecretFor(issued.access_key_id, kNow), issued.secret_access_key);
  EXPECT_TRUE(issuer.TokenMatches(issued.access_key_id, issued.session_token));
  EXPECT_FALSE(issuer.TokenMatches(issued.access_key_id, issued.session_token + "x"));
  // Another subject, or the same one later: other credentials.
  EXPECT_NE(issuer.Issue("job-1#2", kNow).access_key_id, issued.access_key_id);
  EXPECT_NE(issuer.Issue("job-1#1", kNow + 1).access_key_id, issued.access_key_id);
}

TEST(TemporaryCredentialsTest, ExpiredForgedOrForeignKeysHaveNoSecret) {
  TemporaryCredentialIssuer issuer(kKey);
  TemporaryCredentials issued = issuer.Issue("job", kNow, 60'000);
  EXPECT_GE(issued.expiration, kNow + 60'000);
  EXPECT_TRUE(issuer.SecretFor(issued.access_key_id, issued.expiration - 1).has_value());
  EXPECT_FALSE(issuer.SecretFor(issued.access_key_id, issued.expiration).has_value());
  std::string forged = issued.access_key_id;
  forged[5] = forged[5] == 'A' ? 'B' : 'A';  // another expiry, same tag
  EXPECT_FALSE(issuer.SecretFor(forged, kNow).has_value());
  EXPECT_FALSE(issuer.SecretFor("AKIAIOSFODNN7EXAMPLE", kNow).has_value());
  EXPECT_FALSE(issuer.SecretFor("ASIA", kNow).has_value());
  EXPECT_FALSE(issuer.SecretFor("ASIA0000000000000000", kNow).has_value());
  // Another key (another data directory) knows none of them.
  TemporaryCredentialIssuer other(std::string(32, 'o'));
  EXPECT_FALSE(other.SecretFor(issued.access_key_id, kNow).has_value());
  EXPECT_FALSE(other.TokenMatches(issued.access_key_id, issued.session_token));
}

TEST(TemporaryCredentialsTest, TagsAreStableUrlSafeAndKeyed) {
  TemporaryCredentialIssuer issuer(kKey);
  std::string tag = issuer.Tag("job-1/1");
  EXPECT_EQ(tag, issuer.Tag("job-1/1"));
  EXPECT_NE(tag, issuer.Tag("job-1/2"));
  EXPECT_NE(tag, TemporaryCredentialIssuer(std::string(32, 'o')).Tag("job-1/1"));
  EXPECT_EQ(tag.find_first_of("+/="), std::string::npos);
}

}  // namespace
}  // namespace gleaner
