#pragma once

// What object_store*.cc share and nothing else includes.

#include <map>
#include <memory>
#include <string>

#include "objects/object_store.h"

namespace gleaner {

struct StoredBucket {
  BucketInfo info;
  std::map<std::string, ObjectInfo> objects;  // by key: sorted, as ListObjectsV2 returns them
};

struct UploadedPart {
  uint64_t size = 0;
  std::string etag;
};

struct PendingUpload {
  std::string bucket;
  ObjectInfo info;  // what the object will be: key, content type, metadata
  std::map<int, UploadedPart> parts;
};

inline ObjectError NoSuchBucket(const std::string& bucket) {
  return ObjectError{"NoSuchBucket", "The specified bucket does not exist: " + bucket};
}

inline ObjectError NoSuchKey(const std::string& key) {
  return ObjectError{"NoSuchKey", "The specified key does not exist: " + key};
}

// A bucket's directory: bucket.json ({"name", "region", "createdAt"}) and objects/.
Status WriteBucketDirectory(const std::string& directory, const BucketInfo& info);
Result<BucketInfo> ReadBucketInfo(const std::string& directory);
// The header of an object file (or of a part, or of an upload's "upload" file).
Result<ObjectInfo> ReadObjectInfoFile(const std::string& path);
// An upload's directory: "upload" (an object file: the object to be as header, the bucket's
// name as content) and part-<n> files (object files: the part's size and ETag, its bytes).
Result<std::unique_ptr<PendingUpload>> ReadUpload(const std::string& directory);

}  // namespace gleaner
