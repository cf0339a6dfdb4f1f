#pragma once

// Thin RAII over the SQLite C API: owning handles for connections and prepared statements, and the
// few calls the store needs, each turning an SQLite error code into a Status.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace gleaner {

struct SqliteConnectionCloser {
  // close_v2 defers the close until every statement of the connection is finalized, so the
  // destruction order of handles cannot leak or crash.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteConnection = std::unique_ptr<sqlite3, SqliteConnectionCloser>;

struct SqliteStatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteStatementFinalizer>;

enum class SqliteAccess { kReadWriteCreate, kReadOnly };

// Opens `path` without SQLite's own mutexes: every connection is used by one thread at a time.
Result<SqliteConnection> OpenSqliteConnection(const std::string& path, SqliteAccess access);

// Status for the connection's last SQLite failure, naming what was being done and SQLite's message:
// kInvalidArgument when the data itself was refused (too big, constraint, type mismatch, bad
// parameter), kInternal for everything else (I/O, busy, full, corrupt, ...).
Status SqliteError(sqlite3* db, std::string_view what);

// Runs one or more statements that return no rows the caller needs.
Status ExecuteSql(sqlite3* db, const char* sql);

Result<SqliteStatement> PrepareSql(sqlite3* db, const std::string& sql);

// Runs a statement yielding one integer (e.g. `PRAGMA user_version`).
Result<int64_t> QueryInteger(sqlite3* db, const char* sql);

// Runs a statement yielding one text value (e.g. `PRAGMA journal_mode=WAL`).
Result<std::string> QueryText(sqlite3* db, const char* sql);

// Steps a statement that returns no rows, then resets it and drops its bindings for reuse.
Status StepToCompletion(sqlite3* db, sqlite3_stmt* statement, std::string_view what);

}  // namespace gleaner
