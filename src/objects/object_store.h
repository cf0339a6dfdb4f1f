#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"

namespace gleaner {

// Why an operation on the object store failed, as S3 names it ("NoSuchBucket", "NoSuchKey",
// "BucketNotEmpty", "InternalError", ...), so the S3 front end answers with the code as it is.
struct ObjectError {
  std::string code;
  std::string message;
};

// A value, or the ObjectError saying why there is none.
template <typename T>
using ObjectResult = std::variant<T, ObjectError>;

struct BucketInfo {
  std::string name;
  std::string region;
  EpochMillis created_at = 0;
};

// What is kept of an object besides its bytes. The S3 front end decides which request headers
// become `headers` (Content-Encoding, Cache-Control, ...) and `user_metadata` (x-amz-meta-*).
struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes: hex MD5, or "<hex>-<parts>" for a multipart upload
  EpochMillis last_modified = 0;
  std::string content_type;
  std::map<std::string, std::string> headers;        // response headers, names in lower case
  std::map<std::string, std::string> user_metadata;  // x-amz-meta-<name> → value, lower case
  std::map<std::string, std::string> checksums;      // "CRC32" → base64, as the client sent it
  int parts = 0;                                     // multipart uploads: how many parts
};

struct ListObjectsRequest {
  std::string prefix;
  std::string delimiter;    // empty: none
  std::string start_after;  // keys after this one (a continuation token resolves to one too)
  // start_after is a common prefix returned before: keys under it are skipped too.
  bool start_after_is_prefix = false;
  int max_keys = 1000;
};

struct ObjectListing {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_start_after;  // when truncated: the last key or common prefix returned
  bool next_start_after_is_prefix = false;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // without quotes
};

// An object opened for reading: its bytes stay readable even if it is replaced or deleted
// meanwhile, as S3 serves a GET that started before a PUT.
class OpenedObject {
 public:
  OpenedObject(ObjectInfo info, int fd, uint64_t data_offset);
  ~OpenedObject();
  OpenedObject(const OpenedObject&) = delete;
  OpenedObject& operator=(const OpenedObject&) = delete;

  const ObjectInfo& info() const { return info_; }
  // `length` bytes from `offset` of the object's content (the caller keeps them in range).
  Result<std::string> Read(uint64_t offset, uint64_t length) const;

 private:
  ObjectInfo info_;
  int fd_;
  uint64_t data_offset_;
};

struct StoredBucket;   // object_store_internal.h
struct PendingUpload;  // object_store_internal.h

// Buckets and objects, durable under one directory: an operation that answers has reached the
// disk (file and directory synced), so what a client was told survives a crash. One file per
// object (a header with its ObjectInfo, then its bytes), replaced by rename; an index of every
// object in memory, rebuilt from the files at Open. Thread-safe; the file writes and syncs of
// different requests run in parallel, only the renames that publish them are serialised.
class ObjectStore {
 public:
  // Opens (creating if need be) the store at `root`, 0700.
  static Result<std::unique_ptr<ObjectStore>> Open(const std::string& root, const Clock& clock,
                                                   uint64_t seed);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  std::vector<BucketInfo> ListBuckets() const;
  ObjectResult<BucketInfo> HeadBucket(const std::string& bucket) const;
  // BucketAlreadyOwnedByYou when it exists; InvalidBucketName for a name S3 would refuse.
  ObjectResult<BucketInfo> CreateBucket(const std::string& bucket, const std::string& region);
  std::optional<ObjectError> DeleteBucket(const std::string& bucket);  // BucketNotEmpty

  // Stores `data` as info.key with info's metadata; size, ETag and last_modified are computed.
  ObjectResult<ObjectInfo> PutObject(const std::string& bucket, ObjectInfo info,
                                     std::string_view data);
  ObjectResult<ObjectInfo> HeadObject(const std::string& bucket, const std::string& key) const;
  ObjectResult<std::shared_ptr<OpenedObject>> OpenObject(const std::string& bucket,
                                                         const std::string& key) const;
  // Deleting a key that does not exist is no error (S3 answers 204 too).
  std::optional<ObjectError> DeleteObject(const std::string& bucket, const std::string& key);
  ObjectResult<ObjectListing> ListObjects(const std::string& bucket,
                                          const ListObjectsRequest& request) const;

  // Multipart uploads: an upload id, then parts (1..10000) of at least 5 MiB but the last.
  ObjectResult<std::string> CreateMultipartUpload(const std::string& bucket, ObjectInfo info);
  ObjectResult<std::string> UploadPart(const std::string& bucket, const std::string& key,
                                       const std::string& upload_id, int part_number,
                                       std::string_view data);  // → the part's ETag
  ObjectResult<ObjectInfo> CompleteMultipartUpload(const std::string& bucket,
                                                   const std::string& key,
                                                   const std::string& upload_id,
                                                   const std::vector<CompletedPart>& parts);
  std::optional<ObjectError> AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                                  const std::string& upload_id);

  static constexpr uint64_t kMinimumPartBytes = 5ull << 20;
  static constexpr int kMaximumParts = 10'000;

 private:
  ObjectStore(std::string root, const Clock& clock, uint64_t seed);
  Status Load();
  // Writes `header` and the bytes `write_data` produces to a new file in tmp/, synced.
  ObjectResult<std::string> WriteTemporary(const ObjectInfo& header,
                                           const std::function<Status(int fd)>& write_data);
  // Renames `temporary` over `final_path` and syncs its directory; under mutex_.
  std::optional<ObjectError> Publish(const std::string& temporary, const std::string& final_path)
      GLEANER_REQUIRES(mutex_);
  StoredBucket* FindBucket(const std::string& bucket) GLEANER_REQUIRES(mutex_);
  const StoredBucket* FindBucket(const std::string& bucket) const GLEANER_REQUIRES(mutex_);
  std::string BucketDirectory(const std::string& bucket) const;
  std::string ObjectPath(const std::string& bucket, const std::string& key) const;
  std::string UploadDirectory(const std::string& upload_id) const;
  std::string NewTemporaryPath();

  const std::string root_;
  const Clock& clock_;
  Mutex random_mutex_;  // guards random_ only; never held while taking mutex_
  std::mt19937_64 random_ GLEANER_GUARDED_BY(random_mutex_);  // upload ids and temporary names
  mutable Mutex mutex_;
  // by name
  std::map<std::string, std::unique_ptr<StoredBucket>> buckets_ GLEANER_GUARDED_BY(mutex_);
  // by upload id
  std::map<std::string, std::unique_ptr<PendingUpload>> uploads_ GLEANER_GUARDED_BY(mutex_);
};

// S3's bucket naming rules (3-63 characters of a-z 0-9 . -, starting and ending with a letter
// or digit, no "..", not an IPv4 address): nothing when valid, else why not.
std::optional<std::string> InvalidBucketNameReason(std::string_view name);

}  // namespace gleaner
