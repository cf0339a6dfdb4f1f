#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner {

// The kinds of record gleaner keeps. Each kind is its own table keyed by a string.
enum class RecordKind {
  kComputeEnvironment,  // key: name
  kJobQueue,            // key: name
  kJobDefinition,       // key: "name:revision"
  kSchedulingPolicy,    // key: name
  kJob,                 // key: job id (time-ordered UUIDv7, so inserts append)
  kCapacity,            // key: the capacity provider's own (CapacityProvider::TakeChangedRecords)
};

// One change: put a document (JSON text) under a key, or delete the key.
struct Mutation {
  RecordKind kind;
  std::string key;
  std::string document;  // ignored for deletes
  bool is_delete = false;

  static Mutation Put(RecordKind kind, std::string key, std::string document) {
    return {kind, std::move(key), std::move(document), false};
  }
  static Mutation Delete(RecordKind kind, std::string key) {
    return {kind, std::move(key), {}, true};
  }
};

struct StoredRecord {
  std::string key;
  std::string document;
};

// Everything in the store, per kind, in key order. Used once at start-up to rebuild memory.
struct StoreSnapshot {
  std::vector<StoredRecord> compute_environments;
  std::vector<StoredRecord> job_queues;
  std::vector<StoredRecord> job_definitions;
  std::vector<StoredRecord> scheduling_policies;
  std::vector<StoredRecord> jobs;
  std::vector<StoredRecord> capacity;
};

// Durable storage behind one writer. Commit() is asynchronous and groups: batches handed in while a
// transaction is being written are committed together in the next one, so many small commits cost
// one fsync. `done` runs on the writer thread once the batch is durable (or failed); a batch is
// applied atomically and batches are applied in the order Commit() was called.
class Store {
 public:
  virtual ~Store() = default;

  virtual Result<StoreSnapshot> Load() = 0;
  virtual void Commit(std::vector<Mutation> batch, std::function<void(Status)> done) = 0;
  // Blocks until everything handed to Commit() so far is durable and its `done` has run.
  virtual void Flush() = 0;
};

struct SqliteStoreOptions {
  std::string path;              // database file; created with its tables when missing
  bool synchronous_full = true;  // PRAGMA synchronous=FULL (durable); NORMAL only for experiments
  // Fault injection for tests: every transaction waits this long before its COMMIT, widening the
  // window in which a crash loses it (a slow disk's fsync).
  int injected_commit_delay_millis = 0;
  // Told of every group the writer committed: how many Commit() batches it held and how long
  // writing it took, in seconds (metrics). On the writer thread; must not block.
  std::function<void(size_t batches, double seconds)> on_group_written = nullptr;
};

// SQLite in WAL mode, one writer thread doing group commit. The database and its WAL and shared
// memory files are private to their owner (0600): they hold job environments, and so secrets.
// Fails (not crashes) on a file it cannot open or a schema it does not know.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options);

}  // namespace gleaner
