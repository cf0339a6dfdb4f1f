#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "objects/object_store.h"

namespace gleaner {

// One object (or part) on disk: "GLEANER-OBJECT 1\n", the header's length in decimal and "\n",
// the header (its ObjectInfo as JSON), then the bytes. One file, so a rename publishes both.
std::string EncodeObjectHeader(const ObjectInfo& info);
// The header of the file open at `fd`, and where its bytes start.
Result<std::pair<ObjectInfo, uint64_t>> ReadObjectHeader(int fd);

Status WriteAll(int fd, std::string_view data);
Result<std::string> ReadAt(int fd, uint64_t offset, uint64_t length);
// fsync of a directory: makes the names created, renamed or removed in it durable.
Status SyncDirectory(const std::string& path);

}  // namespace gleaner
