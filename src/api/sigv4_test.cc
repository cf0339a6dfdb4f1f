#include "api/sigv4.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace gleaner {
namespace {

constexpr char kKeyId[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr EpochMillis kSignedAt = 1'440'938'160'000;  // 2015-08-30T12:36:00Z

std::optional<std::string> Lookup(std::string_view key_id) {
  if (key_id == kKeyId) return std::string(kSecret);
  return std::nullopt;
}

SigV4Failure FailureOf(const std::variant<SigV4Verified, SigV4Error>& result) {
  return std::get<SigV4Error>(result).failure;
}

// AWS's own examples (the Signature Version 4 documentation and its test suite).
TEST(SigV4Test, DerivesTheDocumentedSigningKey) {
  std::string key = SigningKey(kSecret, {"20150830", "us-east-1", "iam"});
  std::string hex;
  for (unsigned char c : key) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xF];
  }
  EXPECT_EQ(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigV4Test, VerifiesTheTestSuitesGetVanilla) {
  std::map<std::string, std::string> headers{
      {"host", "example.amazonaws.com"},
      {"x-amz-date", "20150830T123600Z"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
       "SignedHeaders=host;x-amz-date, "
       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}};
  SigV4Request request{"GET", "/", "", &headers, ""};
  auto result = VerifySigV4(request, Lookup, kSignedAt + 60'000);
  ASSERT_TRUE(std::holds_alternative<SigV4Verified>(result))
      << std::get<SigV4Error>(result).message;
  EXPECT_EQ(std::get<SigV4Verified>(result).access_key_id, kKeyId);
  EXPECT_EQ(std::get<SigV4Verified>(result).scope.service, "service");
}

TEST(SigV4Test, VerifiesTheDocumentedIamListUsers) {
  std::map<std::string, std::string> headers{
      {"host", "iam.amazonaws.com"},
      {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
      {"x-amz-date", "20150830T123600Z"},
      {"authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date, "
       "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"}};
  SigV4Request request{"GET", "/", "Action=ListUsers&Version=2010-05-08", &headers, ""};
  auto result = VerifySigV4(request, Lookup, kSignedAt);
  EXPECT_TRUE(std::holds_alternative<SigV4Verified>(result))
      << std::get<SigV4Error>(result).message;
}

class SignedRequestTest : public ::testing::Test {
 protected:
  void Sign(const std::string& secret = kSecret, EpochMillis at = kSignedAt) {
    headers_ = {{"Host", "127.0.0.1:8686"}, {"Content-Type", "application/json"}};
    SignSigV4("POST", path_, query_, headers_, body_, {kKeyId, secret, ""}, "us-east-1", "batch",
              at);
    lower_.clear();
    for (const auto& [name, value] : headers_) {
      std::string key = name;
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      lower_[key] = value;
    }
  }
  std::variant<SigV4Verified, SigV4Error> Verify(EpochMillis now = kSignedAt) {
    return VerifySigV4({"POST", path_, query_, &lower_, body_}, Lookup, now);
  }

  std::string path_ = "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A123456789012%3Ajob%2Fabc";
  std::string query_ = "tagKeys=b&tagKeys=a%20b";
  std::string body_ = R"({"jobs":["a"]})";
  std::map<std::string, std::string> headers_;
  std::map<std::string, std::string> lower_;
};

TEST_F(SignedRequestTest, WhatGleanerSignsItVerifies) {
  Sign();
  auto result = Verify();
  EXPECT_TRUE(std::holds_alternative<SigV4Verified>(result))
      << std::get<SigV4Error>(result).message;
}

TEST_F(SignedRequestTest, AnyChangeBreaksTheSignature) {
  Sign();
  body_ = R"({"jobs":["b"]})";
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kMismatch);
  Sign();
  path_ = "/v1/describejobs";
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kMismatch);
  Sign();
  query_ = "tagKeys=b";
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kMismatch);
  Sign();
  lower_["content-type"] = "text/plain";
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kMismatch);
  Sign("another secret");
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kMismatch);
}

TEST_F(SignedRequestTest, SaysWhatIsWrong) {
  Sign();
  lower_.erase("authorization");
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kMissing);
  Sign();
  lower_["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/batch/"
      "aws4_request";
  auto incomplete = Verify();
  EXPECT_EQ(FailureOf(incomplete), SigV4Failure::kIncomplete);
  EXPECT_NE(std::get<SigV4Error>(incomplete).message.find("'Signature'"), std::string::npos);
  Sign();
  std::string& authorization = lower_["authorization"];
  authorization.replace(authorization.find(kKeyId), 11, "AKIDUNKNOWN");
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kUnknownKey);
}

TEST_F(SignedRequestTest, FiveMinutesOfClockSkewAndNoMore) {
  Sign();
  EXPECT_TRUE(std::holds_alternative<SigV4Verified>(Verify(kSignedAt + 5 * 60'000)));
  EXPECT_TRUE(std::holds_alternative<SigV4Verified>(Verify(kSignedAt - 5 * 60'000)));
  auto late = Verify(kSignedAt + 5 * 60'000 + 1'000);
  EXPECT_EQ(FailureOf(late), SigV4Failure::kExpired);
  EXPECT_EQ(std::get<SigV4Error>(late).message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
            "(20150830T124101Z - 5 min.)");
  EXPECT_EQ(FailureOf(Verify(kSignedAt - 6 * 60'000)), SigV4Failure::kExpired);
}

TEST_F(SignedRequestTest, AClaimedPayloadHashMustBeTheBodys) {
  Sign();
  lower_["x-amz-content-sha256"] = Sha256Hex("something else");
  EXPECT_EQ(FailureOf(Verify()), SigV4Failure::kMismatch);
}

TEST(SigV4PresignedTest, AQueryStringSignatureIsVerifiedAndExpires) {
  // Sign as a presigned GET: the signature covers the query without X-Amz-Signature.
  std::string credential = "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fbatch%2Faws4_request";
  std::string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + credential +
                      "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
  std::map<std::string, std::string> headers{{"host", "127.0.0.1:8686"}};
  std::string canonical = "GET\n/gleaner/v1/events\n" + CanonicalQueryString(query, true) +
                          "\nhost:127.0.0.1:8686\n\nhost\n" + Sha256Hex("");
  SigV4Scope scope{"20150830", "us-east-1", "batch"};
  std::string to_sign =
      "AWS4-HMAC-SHA256\n20150830T123600Z\n" + scope.ToString() + "\n" + Sha256Hex(canonical);
  std::string signature = HmacSha256Hex(SigningKey(kSecret, scope), to_sign);
  std::string signed_query = query + "&X-Amz-Signature=" + signature;
  SigV4Request request{"GET", "/gleaner/v1/events", signed_query, &headers, ""};
  EXPECT_TRUE(std::holds_alternative<SigV4Verified>(VerifySigV4(request, Lookup, kSignedAt)));
  EXPECT_EQ(FailureOf(VerifySigV4(request, Lookup, kSignedAt + 61'000)), SigV4Failure::kExpired);
  SigV4Request tampered{"GET", "/gleaner/v1/events", signed_query + "&after=3", &headers, ""};
  EXPECT_EQ(FailureOf(VerifySigV4(tampered, Lookup, kSignedAt)), SigV4Failure::kMismatch);
}

TEST(SigV4ChunkedTest, DecodesSignedChunksAndRefusesATamperedOne) {
  SigV4Scope scope{"20150830", "us-east-1", "s3"};
  std::string key = SigningKey(kSecret, scope);
  std::string seed = "seedsignature";
  auto chunk = [&](const std::string& data, std::string& previous) {
    std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n20150830T123600Z\n" + scope.ToString() + "\n" +
                          previous + "\n" + Sha256Hex("") + "\n" + Sha256Hex(data);
    previous = HmacSha256Hex(key, to_sign);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", data.size());
    return std::string(size) + ";chunk-signature=" + previous + "\r\n" + data +
           (data.empty() ? "\r\n" : "\r\n");
  };
  std::string previous = seed;
  std::string body = chunk("hello ", previous);  // one at a time: each signs the previous
  body += chunk("world", previous);
  body += chunk("", previous);
  auto decoded = DecodeAwsChunked(body, key, "20150830T123600Z", scope, seed);
  ASSERT_TRUE(std::holds_alternative<std::string>(decoded))
      << std::get<SigV4Error>(decoded).message;
  EXPECT_EQ(std::get<std::string>(decoded), "hello world");
  std::string tampered = body;
  tampered[tampered.find("world")] = 'W';
  EXPECT_TRUE(std::holds_alternative<SigV4Error>(
      DecodeAwsChunked(tampered, key, "20150830T123600Z", scope, seed)));
  EXPECT_TRUE(std::holds_alternative<SigV4Error>(
      DecodeAwsChunked(body.substr(0, 20), key, "20150830T123600Z", scope, seed)));
  // Unsigned chunks (STREAMING-UNSIGNED-PAYLOAD-TRAILER) only decode.
  std::map<std::string, std::string> trailers;
  auto unsigned_body = DecodeAwsChunked("5\r\nhello\r\n0\r\nX-Amz-Checksum-Crc32: abc=\r\n\r\n", "",
                                        "20150830T123600Z", scope, "", &trailers);
  ASSERT_TRUE(std::holds_alternative<std::string>(unsigned_body));
  EXPECT_EQ(std::get<std::string>(unsigned_body), "hello");
  EXPECT_EQ(trailers, (std::map<std::string, std::string>{{"x-amz-checksum-crc32", "abc="}}));
}

TEST(SigV4Test, SecretsEqualComparesWholeValues) {
  EXPECT_TRUE(SecretsEqual("token", "token"));
  EXPECT_FALSE(SecretsEqual("token", "tokem"));
  EXPECT_FALSE(SecretsEqual("token", "token2"));
  EXPECT_TRUE(SecretsEqual("", ""));
}

}  // namespace
}  // namespace gleaner
