#include "store/sqlite_handle.h"

namespace gleaner {
namespace {

// Prepares `sql` and steps it to its first row; the statement is positioned on that row.
Result<SqliteStatement> StepToFirstRow(sqlite3* db, const char* sql) {
  Result<SqliteStatement> statement = PrepareSql(db, sql);
  if (!statement.ok()) return statement.status();
  if (sqlite3_step(statement->get()) != SQLITE_ROW) {
    return SqliteError(db, std::string("reading the result of ") + sql);
  }
  return std::move(statement).value();
}

}  // namespace

Result<SqliteConnection> OpenSqliteConnection(const std::string& path, SqliteAccess access) {
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= access == SqliteAccess::kReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteConnection db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) {
    return Status::Internal("cannot open SQLite database '" + path +
                            "': " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

Status SqliteError(sqlite3* db, std::string_view what) {
  int code = sqlite3_extended_errcode(db);
  std::string message = std::string("SQLite error while ") + std::string(what) + ": " +
                        sqlite3_errmsg(db) + " (code " + std::to_string(code) + ")";
  switch (code & 0xFF) {  // the primary result code
    case SQLITE_TOOBIG:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return Status::InvalidArgument(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

Status ExecuteSql(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db, std::string("executing ") + sql);
  }
  return Status::Ok();
}

Result<SqliteStatement> PrepareSql(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  SqliteStatement statement(raw);
  if (rc != SQLITE_OK) return SqliteError(db, "preparing " + sql);
  return statement;
}

Result<int64_t> QueryInteger(sqlite3* db, const char* sql) {
  Result<SqliteStatement> statement = StepToFirstRow(db, sql);
  if (!statement.ok()) return statement.status();
  return static_cast<int64_t>(sqlite3_column_int64(statement->get(), 0));
}

Result<std::string> QueryText(sqlite3* db, const char* sql) {
  Result<SqliteStatement> statement = StepToFirstRow(db, sql);
  if (!statement.ok()) return statement.status();
  const unsigned char* text = sqlite3_column_text(statement->get(), 0);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(statement->get(), 0)));
}

Status StepToCompletion(sqlite3* db, sqlite3_stmt* statement, std::string_view what) {
  int rc = sqlite3_step(statement);
  Status status = rc == SQLITE_DONE ? Status::Ok() : SqliteError(db, what);
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  return status;
}

}  // namespace gleaner
