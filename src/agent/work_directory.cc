#include "agent/work_directory.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gleaner {
namespace {

namespace fs = std::filesystem;

std::string ReadWholeFile(const fs::path& path, bool& ok) {
  std::ifstream in(path);
  ok = static_cast<bool>(in);
  std::ostringstream text;
  if (ok) text << in.rdbuf();
  return text.str();
}

}  // namespace

WorkDirectory::WorkDirectory(std::string root) : root_(std::move(root)) {}

Status WorkDirectory::Create() const {
  for (const std::string& directory :
       {root_, AttemptsDirectory(), root_ + "/logs", root_ + "/work", ContainersDirectory()}) {
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) return Status::Internal("cannot create " + directory + ": " + error.message());
  }
  return Status::Ok();
}

std::string WorkDirectory::WorkingDirectory(const AttemptKey& key) const {
  return root_ + "/work/" + AttemptFileName(key);
}
std::string WorkDirectory::AttemptsDirectory() const { return root_ + "/attempts"; }

std::string WorkDirectory::LogPath(const std::string& log_stream_name) const {
  return root_ + "/logs/" + log_stream_name;
}

std::string WorkDirectory::RecordPath(const AttemptKey& key) const {
  return AttemptsDirectory() + "/" + AttemptFileName(key) + ".json";
}

std::string WorkDirectory::ExitFilePath(const AttemptKey& key) const {
  return AttemptsDirectory() + "/" + AttemptFileName(key) + ".exit";
}

std::string WorkDirectory::LoadAgentMember(const char* name) const {
  bool ok = false;
  std::string text = ReadWholeFile(root_ + "/agent.json", ok);
  if (!ok) return "";
  nlohmann::json state = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!state.is_object() || !state.contains(name) || !state[name].is_string()) return "";
  return state[name].get<std::string>();
}

Status WorkDirectory::SaveInstanceId(const std::string& instance_id, const std::string& cluster,
                                     const std::string& credential) const {
  nlohmann::json state = {
      {"instanceId", instance_id}, {"cluster", cluster}, {"agentCredential", credential}};
  return WriteFileAtomically(root_ + "/agent.json", state.dump() + "\n", /*durable=*/true);
}

Status WorkDirectory::SaveRecord(const AttemptRecord& record, bool durable) const {
  return WriteFileAtomically(RecordPath(record.key), EncodeAttemptRecord(record), durable);
}

void WorkDirectory::ForgetAttempt(const AttemptKey& key) const {
  std::error_code ignored;
  fs::remove(RecordPath(key), ignored);
  fs::remove(ExitFilePath(key), ignored);
  fs::remove(ExitFilePath(key) + ".tmp", ignored);
  fs::remove_all(WorkingDirectory(key), ignored);
}

std::vector<AttemptRecord> WorkDirectory::LoadRecords(std::vector<std::string>& problems) const {
  std::vector<fs::path> paths;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(AttemptsDirectory(), error)) {
    if (entry.path().extension() == ".json") paths.push_back(entry.path());
  }
  if (error) problems.push_back("cannot list " + AttemptsDirectory() + ": " + error.message());
  std::sort(paths.begin(), paths.end());
  std::vector<AttemptRecord> records;
  for (const fs::path& path : paths) {
    bool ok = false;
    std::string text = ReadWholeFile(path, ok);
    Result<AttemptRecord> record =
        ok ? DecodeAttemptRecord(text) : Result<AttemptRecord>(Status::Internal("unreadable"));
    if (!record.ok()) {
      problems.push_back(path.string() + ": " + record.status().message());
    } else if (path.filename() != AttemptFileName(record->key) + ".json") {
      problems.push_back(path.string() + ": names another attempt");
    } else {
      records.push_back(std::move(*record));
    }
  }
  return records;
}

}  // namespace gleaner
