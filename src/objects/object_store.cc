#include "objects/object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "common/private_directory.h"
#include "objects/object_checksums.h"
#include "objects/object_file.h"
#include "objects/object_store_internal.h"

namespace gleaner {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

std::string KeyFileName(const std::string& key) {
  Checksum sha256(ChecksumAlgorithm::kSha256);
  sha256.Update(key);
  std::string raw = sha256.FinishRaw();
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xF];
  }
  return hex;
}

bool IsIpv4Like(std::string_view name) {
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

std::optional<std::string> InvalidBucketNameReason(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) {
    return "Bucket names must be between 3 (min) and 63 (max) characters long";
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return "Bucket names can consist only of lowercase letters, numbers, dots (.), and hyphens "
             "(-)";
    }
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) {
    return "Bucket names must begin and end with a letter or number";
  }
  if (name.find("..") != std::string_view::npos) {
    return "Bucket names must not contain two adjacent periods";
  }
  if (IsIpv4Like(name)) return "Bucket names must not be formatted as an IP address";
  return std::nullopt;
}

OpenedObject::OpenedObject(ObjectInfo info, int fd, uint64_t data_offset)
    : info_(std::move(info)), fd_(fd), data_offset_(data_offset) {}

OpenedObject::~OpenedObject() { close(fd_); }

Result<std::string> OpenedObject::Read(uint64_t offset, uint64_t length) const {
  Result<std::string> bytes = ReadAt(fd_, data_offset_ + offset, length);
  if (bytes.ok() && bytes->size() != length) {
    return Status::Internal("the object file of " + info_.key + " is shorter than its header says");
  }
  return bytes;
}

ObjectStore::ObjectStore(std::string root, const Clock& clock, uint64_t seed)
    : root_(std::move(root)), clock_(clock), random_(seed) {}

ObjectStore::~ObjectStore() = default;

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(const std::string& root, const Clock& clock,
                                                       uint64_t seed) {
  for (const char* sub : {"buckets", "uploads", "tmp"}) {
    GLEANER_RETURN_IF_ERROR(CreatePrivateDirectories(root + "/" + sub));
  }
  std::unique_ptr<ObjectStore> store(new ObjectStore(root, clock, seed));
  GLEANER_RETURN_IF_ERROR(store->Load());
  return store;
}

Status ObjectStore::Load() {
  MutexLock lock(mutex_);  // uncontended: Open has not handed the store out yet
  std::error_code error;
  // Files a crash left half-written were never acknowledged.
  for (const auto& entry : fs::directory_iterator(root_ + "/tmp", error)) {
    fs::remove_all(entry.path(), error);
  }
  for (const auto& entry : fs::directory_iterator(root_ + "/buckets", error)) {
    std::string name = entry.path().filename().string();
    auto bucket = std::make_unique<StoredBucket>();
    Result<BucketInfo> info = ReadBucketInfo(entry.path().string());
    if (!info.ok()) return Status::Internal(entry.path().string() + ": " + info.status().message());
    bucket->info = *info;
    for (const auto& file : fs::directory_iterator(entry.path() / "objects", error)) {
      Result<ObjectInfo> object = ReadObjectInfoFile(file.path().string());
      if (!object.ok()) {
        return Status::Internal(file.path().string() + ": " + object.status().message());
      }
      bucket->objects[object->key] = std::move(*object);
    }
    buckets_[name] = std::move(bucket);
  }
  for (const auto& entry : fs::directory_iterator(root_ + "/uploads", error)) {
    Result<std::unique_ptr<PendingUpload>> upload = ReadUpload(entry.path().string());
    if (!upload.ok()) return Status::Internal(upload.status().message());
    uploads_[entry.path().filename().string()] = std::move(*upload);
  }
  if (error) return Status::Internal(root_ + ": " + error.message());
  return Status::Ok();
}

std::string ObjectStore::NewTemporaryPath() {
  MutexLock lock(random_mutex_);
  return root_ + "/tmp/" + RandomHex(random_, 24);
}

ObjectResult<std::string> ObjectStore::WriteTemporary(
    const ObjectInfo& header, const std::function<Status(int fd)>& write_data) {
  std::string path = NewTemporaryPath();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ObjectError{"InternalError", path + ": " + std::strerror(errno)};
  Status written = WriteAll(fd, EncodeObjectHeader(header));
  if (written.ok()) written = write_data(fd);
  if (written.ok() && fdatasync(fd) != 0) {
    written = Status::Internal(path + ": fdatasync: " + std::strerror(errno));
  }
  close(fd);
  if (!written.ok()) {
    unlink(path.c_str());
    return ObjectError{"InternalError", written.message()};
  }
  return path;
}

std::optional<ObjectError> ObjectStore::Publish(const std::string& temporary,
                                                const std::string& final_path) {
  if (rename(temporary.c_str(), final_path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    unlink(temporary.c_str());
    return ObjectError{"InternalError", final_path + ": " + why};
  }
  Status synced = SyncDirectory(fs::path(final_path).parent_path().string());
  if (!synced.ok()) return ObjectError{"InternalError", synced.message()};
  return std::nullopt;
}

StoredBucket* ObjectStore::FindBucket(const std::string& bucket) {
  auto it = buckets_.find(bucket);
  return it == buckets_.end() ? nullptr : it->second.get();
}

const StoredBucket* ObjectStore::FindBucket(const std::string& bucket) const {
  auto it = buckets_.find(bucket);
  return it == buckets_.end() ? nullptr : it->second.get();
}

std::string ObjectStore::BucketDirectory(const std::string& bucket) const {
  return root_ + "/buckets/" + bucket;
}

std::string ObjectStore::ObjectPath(const std::string& bucket, const std::string& key) const {
  return BucketDirectory(bucket) + "/objects/" + KeyFileName(key);
}

std::string ObjectStore::UploadDirectory(const std::string& upload_id) const {
  return root_ + "/uploads/" + upload_id;
}

// ---- buckets ----

std::vector<BucketInfo> ObjectStore::ListBuckets() const {
  MutexLock lock(mutex_);
  std::vector<BucketInfo> out;
  for (const auto& [name, bucket] : buckets_) out.push_back(bucket->info);
  return out;
}

ObjectResult<BucketInfo> ObjectStore::HeadBucket(const std::string& bucket) const {
  MutexLock lock(mutex_);
  const StoredBucket* found = FindBucket(bucket);
  if (found == nullptr) return NoSuchBucket(bucket);
  return found->info;
}

ObjectResult<BucketInfo> ObjectStore::CreateBucket(const std::string& bucket,
                                                   const std::string& region) {
  if (auto reason = InvalidBucketNameReason(bucket)) {
    return ObjectError{"InvalidBucketName", *reason + ": " + bucket};
  }
  std::string staging = NewTemporaryPath();
  MutexLock lock(mutex_);
  if (const StoredBucket* existing = FindBucket(bucket)) {
    return ObjectError{"BucketAlreadyOwnedByYou",
                       "Your previous request to create the named bucket succeeded and you "
                       "already own it: " +
                           existing->info.name};
  }
  BucketInfo info{bucket, region, clock_.NowMillis()};
  Status made = WriteBucketDirectory(staging, info);
  if (made.ok() && rename(staging.c_str(), BucketDirectory(bucket).c_str()) != 0) {
    made = Status::Internal(BucketDirectory(bucket) + ": " + std::strerror(errno));
  }
  if (made.ok()) made = SyncDirectory(root_ + "/buckets");
  if (!made.ok()) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return ObjectError{"InternalError", made.message()};
  }
  auto entry = std::make_unique<StoredBucket>();
  entry->info = info;
  buckets_[bucket] = std::move(entry);
  return info;
}

std::optional<ObjectError> ObjectStore::DeleteBucket(const std::string& bucket) {
  std::vector<std::string> trash{NewTemporaryPath()};
  {
    MutexLock lock(mutex_);
    StoredBucket* found = FindBucket(bucket);
    if (found == nullptr) return NoSuchBucket(bucket);
    if (!found->objects.empty()) {
      return ObjectError{"BucketNotEmpty",
                         "The bucket you tried to delete is not empty: " + bucket};
    }
    if (rename(BucketDirectory(bucket).c_str(), trash.front().c_str()) != 0) {
      return ObjectError{"InternalError", BucketDirectory(bucket) + ": " + std::strerror(errno)};
    }
    Status synced = SyncDirectory(root_ + "/buckets");
    if (!synced.ok()) return ObjectError{"InternalError", synced.message()};
    buckets_.erase(bucket);
    // Its unfinished multipart uploads go with it.
    for (auto it = uploads_.begin(); it != uploads_.end();) {
      if (it->second->bucket != bucket) {
        ++it;
        continue;
      }
      trash.push_back(NewTemporaryPath());
      if (rename(UploadDirectory(it->first).c_str(), trash.back().c_str()) != 0) trash.pop_back();
      it = uploads_.erase(it);
    }
    (void)SyncDirectory(root_ + "/uploads");
  }
  std::error_code ignored;
  for (const std::string& path : trash) fs::remove_all(path, ignored);
  return std::nullopt;
}

// ---- objects ----

ObjectResult<ObjectInfo> ObjectStore::PutObject(const std::string& bucket, ObjectInfo info,
                                                std::string_view data) {
  info.size = data.size();
  info.etag = Md5Hex(data);
  info.last_modified = clock_.NowMillis();
  info.parts = 0;
  auto temporary = WriteTemporary(info, [data](int fd) { return WriteAll(fd, data); });
  if (auto* error = std::get_if<ObjectError>(&temporary)) return *error;
  const std::string& path = std::get<std::string>(temporary);
  MutexLock lock(mutex_);
  StoredBucket* found = FindBucket(bucket);
  if (found == nullptr) {
    unlink(path.c_str());
    return NoSuchBucket(bucket);
  }
  if (auto error = Publish(path, ObjectPath(bucket, info.key))) return *error;
  found->objects[info.key] = info;
  return info;
}

ObjectResult<ObjectInfo> ObjectStore::HeadObject(const std::string& bucket,
                                                 const std::string& key) const {
  MutexLock lock(mutex_);
  const StoredBucket* found = FindBucket(bucket);
  if (found == nullptr) return NoSuchBucket(bucket);
  auto object = found->objects.find(key);
  if (object == found->objects.end()) return NoSuchKey(key);
  return object->second;
}

ObjectResult<std::shared_ptr<OpenedObject>> ObjectStore::OpenObject(const std::string& bucket,
                                                                    const std::string& key) const {
  int fd = -1;
  {
    MutexLock lock(mutex_);
    const StoredBucket* found = FindBucket(bucket);
    if (found == nullptr) return NoSuchBucket(bucket);
    if (found->objects.count(key) == 0) return NoSuchKey(key);
    // Opened under the lock: the file is the one the index names, even if replaced right after.
    fd = open(ObjectPath(bucket, key).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ObjectError{"InternalError", key + ": " + std::strerror(errno)};
  }
  Result<std::pair<ObjectInfo, uint64_t>> header = ReadObjectHeader(fd);
  if (!header.ok()) {
    close(fd);
    return ObjectError{"InternalError", key + ": " + header.status().message()};
  }
  return std::make_shared<OpenedObject>(std::move(header->first), fd, header->second);
}

std::optional<ObjectError> ObjectStore::DeleteObject(const std::string& bucket,
                                                     const std::string& key) {
  MutexLock lock(mutex_);
  StoredBucket* found = FindBucket(bucket);
  if (found == nullptr) return NoSuchBucket(bucket);
  if (found->objects.count(key) == 0) return std::nullopt;
  std::string path = ObjectPath(bucket, key);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ObjectError{"InternalError", path + ": " + std::strerror(errno)};
  }
  Status synced = SyncDirectory(BucketDirectory(bucket) + "/objects");
  if (!synced.ok()) return ObjectError{"InternalError", synced.message()};
  found->objects.erase(key);
  return std::nullopt;
}

ObjectResult<ObjectListing> ObjectStore::ListObjects(const std::string& bucket,
                                                     const ListObjectsRequest& request) const {
  MutexLock lock(mutex_);
  const StoredBucket* found = FindBucket(bucket);
  if (found == nullptr) return NoSuchBucket(bucket);
  const auto& objects = found->objects;
  auto it = objects.lower_bound(request.prefix);
  if (!request.start_after.empty() && request.start_after >= request.prefix) {
    it = objects.upper_bound(request.start_after);
  }
  ObjectListing listing;
  std::string skipped_prefix = request.start_after_is_prefix ? request.start_after : "";
  int returned = 0;
  for (; it != objects.end(); ++it) {
    const std::string& key = it->first;
    if (!key.starts_with(request.prefix)) break;
    if (!skipped_prefix.empty() && key.starts_with(skipped_prefix)) continue;
    std::string common;
    if (!request.delimiter.empty()) {
      size_t at = key.find(request.delimiter, request.prefix.size());
      if (at != std::string::npos) common = key.substr(0, at + request.delimiter.size());
    }
    if (returned == request.max_keys) {
      listing.truncated = true;
      break;
    }
    if (!common.empty()) {
      listing.common_prefixes.push_back(common);
      skipped_prefix = common;
      listing.next_start_after = common;
      listing.next_start_after_is_prefix = true;
    } else {
      listing.objects.push_back(it->second);
      listing.next_start_after = key;
      listing.next_start_after_is_prefix = false;
    }
    ++returned;
  }
  if (!listing.truncated) listing.next_start_after.clear();
  return listing;
}

}  // namespace gleaner
