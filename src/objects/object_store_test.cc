#include "objects/object_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "objects/object_checksums.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

std::string Md5Raw(std::string_view data) {
  Md5 md5;
  md5.Update(data);
  return md5.FinishRaw();
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("object-store-test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }
  void Reopen() {
    store_.reset();
    auto opened = ObjectStore::Open(root_.string(), clock_, 7);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }
  template <typename T>
  static const T& Ok(const ObjectResult<T>& result) {
    if (auto* error = std::get_if<ObjectError>(&result)) {
      ADD_FAILURE() << error->code << ": " << error->message;
      static const T empty{};
      return empty;
    }
    return std::get<T>(result);
  }
  template <typename T>
  static std::string CodeOf(const ObjectResult<T>& result) {
    auto* error = std::get_if<ObjectError>(&result);
    return error == nullptr ? "" : error->code;
  }
  ObjectInfo Put(const std::string& bucket, const std::string& key, const std::string& data) {
    ObjectInfo info;
    info.key = key;
    info.content_type = "text/plain";
    return Ok(store_->PutObject(bucket, info, data));
  }
  std::string Read(const std::string& bucket, const std::string& key) {
    auto opened = store_->OpenObject(bucket, key);
    if (CodeOf(opened) != "") return "<" + CodeOf(opened) + ">";
    const auto& object = std::get<std::shared_ptr<OpenedObject>>(opened);
    Result<std::string> bytes = object->Read(0, object->info().size);
    return bytes.ok() ? *bytes : "<read failed>";
  }
  std::vector<std::string> Keys(const ObjectListing& listing) {
    std::vector<std::string> keys;
    for (const ObjectInfo& object : listing.objects) keys.push_back(object.key);
    return keys;
  }

  fs::path root_;
  FakeClock clock_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(ObjectStoreTest, BucketNamesFollowS3sRules) {
  EXPECT_FALSE(InvalidBucketNameReason("my-checkpoint-bucket"));
  EXPECT_FALSE(InvalidBucketNameReason("a.b-c"));
  EXPECT_TRUE(InvalidBucketNameReason("ab"));
  EXPECT_TRUE(InvalidBucketNameReason(std::string(64, 'a')));
  EXPECT_TRUE(InvalidBucketNameReason("Upper"));
  EXPECT_TRUE(InvalidBucketNameReason("-dash"));
  EXPECT_TRUE(InvalidBucketNameReason("a..b"));
  EXPECT_TRUE(InvalidBucketNameReason("192.168.1.1"));
  EXPECT_EQ(CodeOf(store_->CreateBucket("Bad_Name", "us-east-1")), "InvalidBucketName");
}

TEST_F(ObjectStoreTest, BucketsAreCreatedListedAndDeletedOnlyWhenEmpty) {
  Ok(store_->CreateBucket("one", "us-east-1"));
  clock_.Advance(1000);
  Ok(store_->CreateBucket("two", "eu-west-1"));
  EXPECT_EQ(CodeOf(store_->CreateBucket("one", "us-east-1")), "BucketAlreadyOwnedByYou");
  std::vector<BucketInfo> buckets = store_->ListBuckets();
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[1].name, "two");
  EXPECT_EQ(buckets[1].region, "eu-west-1");
  EXPECT_EQ(buckets[1].created_at, buckets[0].created_at + 1000);
  Put("one", "k", "v");
  ASSERT_TRUE(store_->DeleteBucket("one"));
  EXPECT_EQ(store_->DeleteBucket("one")->code, "BucketNotEmpty");
  EXPECT_FALSE(store_->DeleteObject("one", "k"));
  EXPECT_FALSE(store_->DeleteBucket("one"));
  EXPECT_EQ(CodeOf(store_->HeadBucket("one")), "NoSuchBucket");
  EXPECT_EQ(store_->DeleteBucket("one")->code, "NoSuchBucket");
}

TEST_F(ObjectStoreTest, ObjectsKeepTheirBytesAndMetadataAcrossAReopen) {
  Ok(store_->CreateBucket("bkt", "us-east-1"));
  ObjectInfo info;
  info.key = "dir/ünïcode key+%=.bin";
  info.content_type = "application/x-test";
  info.user_metadata["owner"] = "me";
  info.headers["cache-control"] = "no-cache";
  info.checksums["CRC32"] = "abc=";
  std::string data("\0binary\xff", 8);
  ObjectInfo stored = Ok(store_->PutObject("bkt", info, data));
  EXPECT_EQ(stored.size, 8u);
  EXPECT_EQ(stored.etag, Md5Hex(data));
  EXPECT_EQ(stored.last_modified, clock_.NowMillis());
  Reopen();
  ObjectInfo head = Ok(store_->HeadObject("bkt", info.key));
  EXPECT_EQ(head.etag, stored.etag);
  EXPECT_EQ(head.content_type, "application/x-test");
  EXPECT_EQ(head.user_metadata, info.user_metadata);
  EXPECT_EQ(head.headers, info.headers);
  EXPECT_EQ(head.checksums, info.checksums);
  EXPECT_EQ(Read("bkt", info.key), data);
  EXPECT_EQ(CodeOf(store_->HeadObject("bkt", "missing")), "NoSuchKey");
  EXPECT_EQ(CodeOf(store_->HeadObject("nobucket", "k")), "NoSuchBucket");
  EXPECT_EQ(CodeOf(store_->PutObject("nobucket", info, data)), "NoSuchBucket");
}

TEST_F(ObjectStoreTest, AnOpenedObjectStaysReadableWhenReplaced) {
  Ok(store_->CreateBucket("bkt", "us-east-1"));
  Put("bkt", "k", "first");
  auto opened = store_->OpenObject("bkt", "k");
  Put("bkt", "k", "second!");
  ASSERT_TRUE(store_->DeleteObject("bkt", "k") == std::nullopt);
  const auto& object = std::get<std::shared_ptr<OpenedObject>>(opened);
  EXPECT_EQ(*object->Read(0, 5), "first");
  EXPECT_EQ(Read("bkt", "k"), "<NoSuchKey>");
}

TEST_F(ObjectStoreTest, ListingsPageThroughKeysAndCommonPrefixes) {
  Ok(store_->CreateBucket("bkt", "us-east-1"));
  for (const char* key : {"a/1", "a/2", "bkt", "c/x/1", "c/y", "d"}) Put("bkt", key, key);
  ListObjectsRequest all;
  EXPECT_EQ(Keys(Ok(store_->ListObjects("bkt", all))),
            (std::vector<std::string>{"a/1", "a/2", "bkt", "c/x/1", "c/y", "d"}));
  ListObjectsRequest folders;
  folders.delimiter = "/";
  folders.max_keys = 2;
  ObjectListing page = Ok(store_->ListObjects("bkt", folders));
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"a/"});
  EXPECT_EQ(Keys(page), std::vector<std::string>{"bkt"});
  ASSERT_TRUE(page.truncated);
  folders.start_after = page.next_start_after;
  folders.start_after_is_prefix = page.next_start_after_is_prefix;
  page = Ok(store_->ListObjects("bkt", folders));
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"c/"});
  EXPECT_EQ(Keys(page), std::vector<std::string>{"d"});
  EXPECT_FALSE(page.truncated);
  ListObjectsRequest under_c;
  under_c.prefix = "c/";
  under_c.delimiter = "/";
  page = Ok(store_->ListObjects("bkt", under_c));
  EXPECT_EQ(page.common_prefixes, std::vector<std::string>{"c/x/"});
  EXPECT_EQ(Keys(page), std::vector<std::string>{"c/y"});
  ListObjectsRequest after;
  after.start_after = "bkt";
  EXPECT_EQ(Keys(Ok(store_->ListObjects("bkt", after))),
            (std::vector<std::string>{"c/x/1", "c/y", "d"}));
}

TEST_F(ObjectStoreTest, MultipartUploadsJoinTheirPartsAndSurviveAReopen) {
  Ok(store_->CreateBucket("bkt", "us-east-1"));
  ObjectInfo info;
  info.key = "big";
  info.content_type = "application/octet-stream";
  std::string upload = Ok(store_->CreateMultipartUpload("bkt", info));
  std::mt19937_64 random(1);
  std::string first(ObjectStore::kMinimumPartBytes, '\0');
  for (char& c : first) c = static_cast<char>(random());
  std::string second = "the tail";
  std::string first_etag = Ok(store_->UploadPart("bkt", "big", upload, 1, first));
  Reopen();  // an upload in progress survives
  std::string second_etag = Ok(store_->UploadPart("bkt", "big", upload, 2, second));
  EXPECT_EQ(CodeOf(store_->CompleteMultipartUpload("bkt", "big", upload,
                                                   {{2, second_etag}, {1, first_etag}})),
            "InvalidPartOrder");
  EXPECT_EQ(CodeOf(store_->CompleteMultipartUpload("bkt", "big", upload, {{1, "bad"}})),
            "InvalidPart");
  ObjectInfo done = Ok(
      store_->CompleteMultipartUpload("bkt", "big", upload, {{1, first_etag}, {2, second_etag}}));
  Md5 etags;  // S3's multipart ETag: the MD5 of the parts' MD5s, and their count
  etags.Update(Md5Raw(first));
  etags.Update(Md5Raw(second));
  EXPECT_EQ(done.etag, etags.FinishHex() + "-2");
  EXPECT_EQ(done.size, first.size() + second.size());
  EXPECT_EQ(done.parts, 2);
  EXPECT_EQ(Read("bkt", "big"), first + second);
  EXPECT_EQ(CodeOf(store_->UploadPart("bkt", "big", upload, 3, "x")), "NoSuchUpload");
  Reopen();
  EXPECT_EQ(Read("bkt", "big"), first + second);
  EXPECT_EQ(Ok(store_->HeadObject("bkt", "big")).etag, done.etag);
}

TEST_F(ObjectStoreTest, PartsButTheLastMustBeFiveMebibytes) {
  Ok(store_->CreateBucket("bkt", "us-east-1"));
  ObjectInfo info;
  info.key = "k";
  std::string upload = Ok(store_->CreateMultipartUpload("bkt", info));
  std::string one = Ok(store_->UploadPart("bkt", "k", upload, 1, "small"));
  std::string two = Ok(store_->UploadPart("bkt", "k", upload, 2, "small"));
  EXPECT_EQ(CodeOf(store_->CompleteMultipartUpload("bkt", "k", upload, {{1, one}, {2, two}})),
            "EntityTooSmall");
  EXPECT_EQ(CodeOf(store_->UploadPart("bkt", "k", upload, 0, "x")), "InvalidArgument");
  EXPECT_FALSE(store_->AbortMultipartUpload("bkt", "k", upload));
  EXPECT_EQ(store_->AbortMultipartUpload("bkt", "k", upload)->code, "NoSuchUpload");
  Reopen();
  EXPECT_EQ(CodeOf(store_->UploadPart("bkt", "k", upload, 1, "x")), "NoSuchUpload");
}

}  // namespace
}  // namespace gleaner
