// The files behind an ObjectStore's buckets and uploads (object files are object_file.cc's).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "objects/object_file.h"
#include "objects/object_store_internal.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status WriteSynced(const std::string& path, std::string_view content) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal(path + ": " + std::strerror(errno));
  Status written = WriteAll(fd, content);
  if (written.ok() && fdatasync(fd) != 0) {
    written = Status::Internal(path + ": fdatasync: " + std::strerror(errno));
  }
  close(fd);
  return written;
}

}  // namespace

Status WriteBucketDirectory(const std::string& directory, const BucketInfo& info) {
  if (mkdir(directory.c_str(), 0700) != 0) {
    return Status::Internal(directory + ": " + std::strerror(errno));
  }
  if (mkdir((directory + "/objects").c_str(), 0700) != 0) {
    return Status::Internal(directory + "/objects: " + std::strerror(errno));
  }
  json value{{"name", info.name}, {"region", info.region}, {"createdAt", info.created_at}};
  GLEANER_RETURN_IF_ERROR(WriteSynced(directory + "/bucket.json", value.dump()));
  return SyncDirectory(directory);
}

Result<BucketInfo> ReadBucketInfo(const std::string& directory) {
  std::string path = directory + "/bucket.json";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal(path + ": " + std::strerror(errno));
  Result<std::string> text = ReadAt(fd, 0, 1 << 16);
  close(fd);
  if (!text.ok()) return text.status();
  json value = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object() || !value.contains("name") || !value["name"].is_string()) {
    return Status::Internal(path + ": not a bucket description");
  }
  BucketInfo info;
  info.name = value["name"].get<std::string>();
  info.region = value.value("region", "");
  info.created_at = value.value("createdAt", EpochMillis{0});
  return info;
}

Result<ObjectInfo> ReadObjectInfoFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal(path + ": " + std::strerror(errno));
  Result<std::pair<ObjectInfo, uint64_t>> header = ReadObjectHeader(fd);
  close(fd);
  if (!header.ok()) return header.status();
  return std::move(header->first);
}

Result<std::unique_ptr<PendingUpload>> ReadUpload(const std::string& directory) {
  auto upload = std::make_unique<PendingUpload>();
  std::string path = directory + "/upload";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal(path + ": " + std::strerror(errno));
  Result<std::pair<ObjectInfo, uint64_t>> header = ReadObjectHeader(fd);
  Result<std::string> bucket =
      header.ok() ? ReadAt(fd, header->second, header->first.size) : header.status();
  close(fd);
  if (!bucket.ok()) return Status::Internal(path + ": " + bucket.status().message());
  upload->info = std::move(header->first);
  upload->bucket = std::move(*bucket);
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("part-")) continue;
    int number = 0;
    auto parsed = std::from_chars(name.data() + 5, name.data() + name.size(), number);
    if (parsed.ec != std::errc() || parsed.ptr != name.data() + name.size()) continue;
    Result<ObjectInfo> part = ReadObjectInfoFile(entry.path().string());
    if (!part.ok()) return Status::Internal(entry.path().string() + ": " + part.status().message());
    upload->parts[number] = UploadedPart{part->size, part->etag};
  }
  if (error) return Status::Internal(directory + ": " + error.message());
  return upload;
}

}  // namespace gleaner
