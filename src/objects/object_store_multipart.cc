// Multipart uploads: parts written (and synced) one by one, joined into one object file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/ids.h"
#include "objects/object_checksums.h"
#include "objects/object_file.h"
#include "objects/object_store_internal.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;

ObjectError NoSuchUpload(const std::string& upload_id) {
  return ObjectError{"NoSuchUpload",
                     "The specified multipart upload does not exist. The upload ID may be invalid, "
                     "or the upload may have been aborted or completed: " +
                         upload_id};
}

std::string PartPath(const std::string& directory, int part_number) {
  return directory + "/part-" + std::to_string(part_number);
}

std::string RawFromHex(std::string_view hex) {
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    auto digit = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return 0;
    };
    raw += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
  }
  return raw;
}

// Appends the bytes of the part file at `path` to `fd`.
Status AppendPart(const std::string& path, int fd) {
  int part = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (part < 0) return Status::Internal(path + ": " + std::strerror(errno));
  Result<std::pair<ObjectInfo, uint64_t>> header = ReadObjectHeader(part);
  Status copied = header.ok() ? Status::Ok() : header.status();
  uint64_t offset = header.ok() ? header->second : 0;
  uint64_t left = header.ok() ? header->first.size : 0;
  constexpr uint64_t kChunk = 4 << 20;
  while (copied.ok() && left > 0) {
    Result<std::string> bytes = ReadAt(part, offset, std::min(left, kChunk));
    if (!bytes.ok()) {
      copied = bytes.status();
    } else if (bytes->empty()) {
      copied = Status::Internal(path + ": shorter than its header says");
    } else {
      copied = WriteAll(fd, *bytes);
      offset += bytes->size();
      left -= bytes->size();
    }
  }
  close(part);
  return copied;
}

}  // namespace

ObjectResult<std::string> ObjectStore::CreateMultipartUpload(const std::string& bucket,
                                                             ObjectInfo info) {
  std::string upload_id;
  {
    MutexLock lock(random_mutex_);
    upload_id = RandomHex(random_, 40);
  }
  {
    MutexLock lock(mutex_);
    if (FindBucket(bucket) == nullptr) return NoSuchBucket(bucket);
  }
  info.size = bucket.size();
  info.last_modified = clock_.NowMillis();
  std::string staging = NewTemporaryPath();
  if (mkdir(staging.c_str(), 0700) != 0) {
    return ObjectError{"InternalError", staging + ": " + std::strerror(errno)};
  }
  auto header = WriteTemporary(info, [&bucket](int fd) { return WriteAll(fd, bucket); });
  if (auto* error = std::get_if<ObjectError>(&header)) return *error;
  std::string directory = UploadDirectory(upload_id);
  Status made = Status::Ok();
  if (rename(std::get<std::string>(header).c_str(), (staging + "/upload").c_str()) != 0 ||
      rename(staging.c_str(), directory.c_str()) != 0) {
    made = Status::Internal(directory + ": " + std::strerror(errno));
  }
  if (made.ok()) made = SyncDirectory(directory);
  if (made.ok()) made = SyncDirectory(root_ + "/uploads");
  if (!made.ok()) return ObjectError{"InternalError", made.message()};
  auto upload = std::make_unique<PendingUpload>();
  upload->bucket = bucket;
  upload->info = std::move(info);
  MutexLock lock(mutex_);
  uploads_[upload_id] = std::move(upload);
  return upload_id;
}

ObjectResult<std::string> ObjectStore::UploadPart(const std::string& bucket, const std::string& key,
                                                  const std::string& upload_id, int part_number,
                                                  std::string_view data) {
  if (part_number < 1 || part_number > kMaximumParts) {
    return ObjectError{"InvalidArgument",
                       "Part number must be an integer between 1 and 10000, "
                       "inclusive"};
  }
  {
    MutexLock lock(mutex_);
    auto upload = uploads_.find(upload_id);
    if (upload == uploads_.end() || upload->second->bucket != bucket ||
        upload->second->info.key != key) {
      return NoSuchUpload(upload_id);
    }
  }
  ObjectInfo part;
  part.key = key;
  part.size = data.size();
  part.etag = Md5Hex(data);
  part.last_modified = clock_.NowMillis();
  auto temporary = WriteTemporary(part, [data](int fd) { return WriteAll(fd, data); });
  if (auto* error = std::get_if<ObjectError>(&temporary)) return *error;
  MutexLock lock(mutex_);
  auto upload = uploads_.find(upload_id);
  if (upload == uploads_.end()) {  // completed or aborted meanwhile
    unlink(std::get<std::string>(temporary).c_str());
    return NoSuchUpload(upload_id);
  }
  if (auto error = Publish(std::get<std::string>(temporary),
                           PartPath(UploadDirectory(upload_id), part_number))) {
    return *error;
  }
  upload->second->parts[part_number] = UploadedPart{part.size, part.etag};
  return part.etag;
}

ObjectResult<ObjectInfo> ObjectStore::CompleteMultipartUpload(
    const std::string& bucket, const std::string& key, const std::string& upload_id,
    const std::vector<CompletedPart>& parts) {
  ObjectInfo info;
  std::string directory = UploadDirectory(upload_id);
  {
    MutexLock lock(mutex_);
    auto upload = uploads_.find(upload_id);
    if (upload == uploads_.end() || upload->second->bucket != bucket ||
        upload->second->info.key != key) {
      return NoSuchUpload(upload_id);
    }
    if (parts.empty()) {
      return ObjectError{"MalformedXML", "You must specify at least one part"};
    }
    info = upload->second->info;
    info.size = 0;
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i].part_number <= parts[i - 1].part_number) {
        return ObjectError{"InvalidPartOrder",
                           "The list of parts was not in ascending order. The parts list must be "
                           "specified in order by part number."};
      }
    }
    for (const CompletedPart& wanted : parts) {
      auto held = upload->second->parts.find(wanted.part_number);
      if (held == upload->second->parts.end() || held->second.etag != wanted.etag) {
        return ObjectError{"InvalidPart",
                           "One or more of the specified parts could not be found. The part may "
                           "not have been uploaded, or the specified entity tag may not match the "
                           "part's entity tag: part " +
                               std::to_string(wanted.part_number)};
      }
    }
    Md5 etags;
    for (size_t i = 0; i < parts.size(); ++i) {
      const CompletedPart& wanted = parts[i];
      auto held = upload->second->parts.find(wanted.part_number);
      if (i + 1 < parts.size() && held->second.size < kMinimumPartBytes) {
        return ObjectError{"EntityTooSmall",
                           "Your proposed upload is smaller than the minimum allowed size: part " +
                               std::to_string(wanted.part_number) + " has " +
                               std::to_string(held->second.size) +
                               " bytes; every part but the last must have at least 5 MiB"};
      }
      info.size += held->second.size;
      etags.Update(RawFromHex(held->second.etag));
    }
    info.etag = etags.FinishHex() + "-" + std::to_string(parts.size());
  }
  info.parts = static_cast<int>(parts.size());
  info.last_modified = clock_.NowMillis();
  // Checksums the client sent for the whole upload are of its parts, not of these bytes.
  info.checksums.clear();
  auto temporary = WriteTemporary(info, [&](int fd) {
    for (const CompletedPart& part : parts) {
      GLEANER_RETURN_IF_ERROR(AppendPart(PartPath(directory, part.part_number), fd));
    }
    return Status::Ok();
  });
  if (auto* error = std::get_if<ObjectError>(&temporary)) return *error;
  std::string trash = NewTemporaryPath();
  {
    MutexLock lock(mutex_);
    StoredBucket* found = FindBucket(bucket);
    if (found == nullptr || uploads_.count(upload_id) == 0) {
      unlink(std::get<std::string>(temporary).c_str());
      return found == nullptr ? NoSuchBucket(bucket) : NoSuchUpload(upload_id);
    }
    if (auto error = Publish(std::get<std::string>(temporary), ObjectPath(bucket, key))) {
      return *error;
    }
    found->objects[key] = info;
    uploads_.erase(upload_id);
    if (rename(directory.c_str(), trash.c_str()) == 0) (void)SyncDirectory(root_ + "/uploads");
  }
  std::error_code ignored;
  fs::remove_all(trash, ignored);
  return info;
}

std::optional<ObjectError> ObjectStore::AbortMultipartUpload(const std::string& bucket,
                                                             const std::string& key,
                                                             const std::string& upload_id) {
  std::string trash = NewTemporaryPath();
  {
    MutexLock lock(mutex_);
    auto upload = uploads_.find(upload_id);
    if (upload == uploads_.end() || upload->second->bucket != bucket ||
        upload->second->info.key != key) {
      return NoSuchUpload(upload_id);
    }
    if (rename(UploadDirectory(upload_id).c_str(), trash.c_str()) != 0) {
      return ObjectError{"InternalError", UploadDirectory(upload_id) + ": " + std::strerror(errno)};
    }
    Status synced = SyncDirectory(root_ + "/uploads");
    if (!synced.ok()) return ObjectError{"InternalError", synced.message()};
    uploads_.erase(upload);
  }
  std::error_code ignored;
  fs::remove_all(trash, ignored);
  return std::nullopt;
}

}  // namespace gleaner
