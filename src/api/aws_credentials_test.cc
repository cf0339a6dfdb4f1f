#include "api/aws_credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gleaner {
namespace {

namespace fs = std::filesystem;

class CredentialsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::path(::testing::TempDir()) / ("credentials_" + std::to_string(getpid()))).string();
    fs::remove(path_);
  }
  void TearDown() override { fs::remove(path_); }
  std::string path_;
};

TEST_F(CredentialsFileTest, ReadsEveryCompletePairAsTheAwsCliWritesThem) {
  std::ofstream(path_) << "# a comment\n[default]\naws_access_key_id = AKIAONE\n"
                          "aws_secret_access_key=secret/one\n\n[ci]\n  aws_access_key_id=AKIATWO\n"
                          "aws_secret_access_key = two\naws_session_token = token\n"
                          "[half]\naws_access_key_id = AKIAHALF\n";
  Result<std::vector<CredentialsProfile>> profiles = ReadCredentialsFile(path_);
  ASSERT_TRUE(profiles.ok()) << profiles.status().message();
  ASSERT_EQ(profiles->size(), 2u);
  EXPECT_EQ((*profiles)[0].name, "default");
  EXPECT_EQ((*profiles)[0].credentials.access_key_id, "AKIAONE");
  EXPECT_EQ((*profiles)[0].credentials.secret_access_key, "secret/one");
  EXPECT_EQ((*profiles)[1].name, "ci");
  EXPECT_EQ((*profiles)[1].credentials.session_token, "token");
}

TEST_F(CredentialsFileTest, ANewPairIsPrivateAndReadsBack) {
  Result<SigV4Credentials> made = CreateCredentialsFile(path_);
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_EQ(made->access_key_id.size(), 20u);
  EXPECT_EQ(made->access_key_id.rfind("AKIA", 0), 0u);
  EXPECT_EQ(made->secret_access_key.size(), 40u);
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  Result<std::vector<CredentialsProfile>> read = ReadCredentialsFile(path_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->at(0).credentials.secret_access_key, made->secret_access_key);
  EXPECT_FALSE(CreateCredentialsFile(path_).ok());  // never overwrites
}

TEST_F(CredentialsFileTest, AFileWithoutPairsIsAnError) {
  std::ofstream(path_) << "[default]\nregion = us-east-1\n";
  EXPECT_FALSE(ReadCredentialsFile(path_).ok());
  EXPECT_FALSE(ReadCredentialsFile(path_ + ".missing").ok());
}

}  // namespace
}  // namespace gleaner
