#include "objects/object_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

namespace gleaner {
namespace {

using nlohmann::json;

constexpr std::string_view kMagic = "GLEANER-OBJECT 1\n";
constexpr uint64_t kMaximumHeaderBytes = 1 << 20;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

json ToJson(const ObjectInfo& info) {
  return json{{"key", info.key},
              {"size", info.size},
              {"etag", info.etag},
              {"lastModified", info.last_modified},
              {"contentType", info.content_type},
              {"headers", info.headers},
              {"userMetadata", info.user_metadata},
              {"checksums", info.checksums},
              {"parts", info.parts}};
}

ObjectInfo FromJson(const json& value) {
  ObjectInfo info;
  info.key = value.at("key").get<std::string>();
  info.size = value.at("size").get<uint64_t>();
  info.etag = value.at("etag").get<std::string>();
  info.last_modified = value.at("lastModified").get<EpochMillis>();
  info.content_type = value.value("contentType", "");
  info.headers = value.value("headers", std::map<std::string, std::string>{});
  info.user_metadata = value.value("userMetadata", std::map<std::string, std::string>{});
  info.checksums = value.value("checksums", std::map<std::string, std::string>{});
  info.parts = value.value("parts", 0);
  return info;
}

}  // namespace

std::string EncodeObjectHeader(const ObjectInfo& info) {
  std::string header = ToJson(info).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out(kMagic);
  out += std::to_string(header.size());
  out += '\n';
  out += header;
  return out;
}

Result<std::pair<ObjectInfo, uint64_t>> ReadObjectHeader(int fd) {
  Result<std::string> start = ReadAt(fd, 0, 64);
  if (!start.ok()) return start.status();
  std::string_view text = *start;
  if (!text.starts_with(kMagic)) return Status::Internal("not an object file");
  text.remove_prefix(kMagic.size());
  size_t newline = text.find('\n');
  uint64_t length = 0;
  if (newline == std::string_view::npos ||
      std::from_chars(text.data(), text.data() + newline, length).ec != std::errc() ||
      length > kMaximumHeaderBytes) {
    return Status::Internal("bad object header length");
  }
  uint64_t header_offset = kMagic.size() + newline + 1;
  Result<std::string> header = ReadAt(fd, header_offset, length);
  if (!header.ok()) return header.status();
  if (header->size() != length) return Status::Internal("truncated object header");
  json value = json::parse(*header, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return Status::Internal("bad object header");
  try {
    return std::make_pair(FromJson(value), header_offset + length);
  } catch (const json::exception& error) {
    return Status::Internal(std::string("bad object header: ") + error.what());
  }
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(Errno("write"));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Status::Ok();
}

Result<std::string> ReadAt(int fd, uint64_t offset, uint64_t length) {
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    ssize_t got = pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(Errno("read"));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  out.resize(done);
  return out;
}

Status SyncDirectory(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Internal(Errno(path));
  int result = fsync(fd);
  int error = errno;
  close(fd);
  if (result != 0) return Status::Internal(path + ": fsync: " + std::strerror(error));
  return Status::Ok();
}

}  // namespace gleaner
