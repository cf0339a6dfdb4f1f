#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace gleaner {

// The server's data directory (the database, job logs, events), held for as long as this object
// lives. It is private to its owner -- 0700, its files 0600, an existing directory tightened --
// because job environments hold secrets. An exclusive lock on `<dir>/lock` (which names the
// holder's pid) keeps a second server off the same directory: two servers on one store would each
// restore the other's running attempts as lost and run them again. The lock goes with the process,
// however it ends.
class DataDirectory {
 public:
  // Creates the directory and its `logs` and `work` subdirectories when missing, and locks it.
  // Fails when another process holds the lock, naming the directory and that process's pid.
  static Result<std::unique_ptr<DataDirectory>> Open(const std::string& path);
  ~DataDirectory();
  DataDirectory(const DataDirectory&) = delete;
  DataDirectory& operator=(const DataDirectory&) = delete;

  const std::string& path() const { return path_; }
  std::string logs() const { return path_ + "/logs"; }
  std::string work() const { return path_ + "/work"; }
  // The attempt shims' exit and pid files (LocalAttemptFiles).
  std::string attempts() const { return path_ + "/attempts"; }
  std::string database() const { return path_ + "/gleaner.db"; }
  std::string events() const { return path_ + "/events.jsonl"; }
  // EventBridge rules and their targets; events no target took.
  std::string event_rules() const { return path_ + "/event-rules.json"; }
  std::string event_dead_letters() const { return path_ + "/event-dead-letters.jsonl"; }
  // Event deliveries not yet done (EventRuleDelivery's journal).
  std::string event_deliveries() const { return path_ + "/event-deliveries.jsonl"; }
  std::string objects() const { return path_ + "/s3"; }  // gleaner's S3: buckets and objects

  // A secret of the server's that must outlive restarts (the key agents' credentials derive from):
  // 32 random bytes as 64 hex digits in `<dir>/<name>` (0600), made on first use.
  Result<std::string> ReadOrCreateSecret(const std::string& name) const;

 private:
  DataDirectory(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}

  std::string path_;
  int lock_fd_;
};

}  // namespace gleaner
