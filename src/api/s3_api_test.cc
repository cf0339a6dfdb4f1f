#include "api/s3_api.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "objects/object_store.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

// S3Api over a real ObjectStore in a temporary directory, unsigned (authentication is tested
// through real clients in tests/integration/test_s3.py).
class S3ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("s3-api-test-" + std::to_string(getpid()));
    fs::remove_all(root_);
    auto opened = ObjectStore::Open(root_.string(), clock_, 1);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
    RequestAuthentication unsigned_requests;
    unsigned_requests.enabled = false;
    unsigned_requests.clock = &clock_;
    S3ApiOptions options;
    options.max_object_bytes_in_memory = 1024;
    api_ = std::make_unique<S3Api>(*store_, unsigned_requests, options);
    ASSERT_EQ(Send("PUT", "/big-objects").status, 200);
  }
  void TearDown() override {
    api_.reset();
    store_.reset();
    fs::remove_all(root_);
  }
  HttpResponse Send(const std::string& method, const std::string& path,
                    std::map<std::string, std::string> headers = {}, std::string body = "") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.headers = std::move(headers);
    request.headers["host"] = "127.0.0.1";
    request.body = std::move(body);
    std::promise<HttpResponse> answered;
    api_->Handle(std::move(request), "request-1",
                 [&answered](HttpResponse response) { answered.set_value(std::move(response)); });
    return answered.get_future().get();
  }

  fs::path root_;
  FakeClock clock_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<S3Api> api_;
};

TEST_F(S3ApiTest, AnObjectLargerThanAnAnswerMayHoldIsReadInRanges) {
  std::string data(2048, 'x');
  data[1500] = 'y';
  ASSERT_EQ(Send("PUT", "/big-objects/k", {}, data).status, 200);
  HttpResponse whole = Send("GET", "/big-objects/k");
  EXPECT_EQ(whole.status, 501);
  EXPECT_NE(whole.body.find("Range: bytes="), std::string::npos) << whole.body;
  HttpResponse head = Send("HEAD", "/big-objects/k");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.head_content_length, 2048u);
  HttpResponse range = Send("GET", "/big-objects/k", {{"range", "bytes=1000-1999"}});
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body, data.substr(1000, 1000));
  HttpResponse copy = Send("PUT", "/big-objects/copy", {{"x-amz-copy-source", "/big-objects/k"}});
  EXPECT_EQ(copy.status, 501);
  EXPECT_EQ(Send("GET", "/big-objects/copy").status, 404);
}

TEST_F(S3ApiTest, AnObjectWithinTheLimitIsAnsweredWholeAndCopied) {
  ASSERT_EQ(Send("PUT", "/big-objects/small", {}, "hello").status, 200);
  EXPECT_EQ(Send("GET", "/big-objects/small").body, "hello");
  EXPECT_EQ(Send("PUT", "/big-objects/copy", {{"x-amz-copy-source", "/big-objects/small"}}).status,
            200);
  EXPECT_EQ(Send("GET", "/big-objects/copy").body, "hello");
}

// The JavaScript SDK v3 streams uploads as aws-chunked with a CRC32 trailer. With authentication
// off nothing verifies the signature, but the body is still framed: what is stored is the content.
TEST_F(S3ApiTest, AnUnsignedAwsChunkedUploadIsStoredAsItsContent) {
  std::map<std::string, std::string> chunked = {
      {"content-encoding", "aws-chunked"},
      {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
      {"x-amz-decoded-content-length", "18"},
      {"x-amz-trailer", "x-amz-checksum-crc32"}};
  std::string body =
      "7\r\nhello, \r\nb\r\naws-chunked\r\n0\r\nx-amz-checksum-crc32:7qnH3g==\r\n\r\n";
  ASSERT_EQ(Send("PUT", "/big-objects/chunked", chunked, body).status, 200);
  EXPECT_EQ(Send("GET", "/big-objects/chunked").body, "hello, aws-chunked");

  std::string wrong_checksum =
      "7\r\nhello, \r\nb\r\naws-chunked\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  HttpResponse refused = Send("PUT", "/big-objects/wrong", chunked, wrong_checksum);
  EXPECT_EQ(refused.status, 400) << refused.body;
  HttpResponse truncated = Send("PUT", "/big-objects/truncated", chunked, "7\r\nhel");
  EXPECT_EQ(truncated.status, 400) << truncated.body;
  EXPECT_EQ(Send("GET", "/big-objects/truncated").status, 404);
}

}  // namespace
}  // namespace gleaner
