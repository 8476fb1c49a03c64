#include "tte/platform/sqlite.hpp"

#include "tte/platform/startup_error.hpp"

namespace tte::sqlite {

Database::Database(const std::string& path, Mode mode) : path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case Mode::read_write_create:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case Mode::read_write:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case Mode::read_only:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StartupError("cannot open database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Writers queue behind each other instead of failing at once.
  sqlite3_busy_timeout(db_, 10000);
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

void Database::exec_or_throw(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw StartupError("database " + path_ + ": " + text);
  }
}

Status Database::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return make_error(Errc::io, "database statement failed", "database");
  }
  return ok_status();
}

Statement Database::prepare(const char* sql) {
  return Statement(db_, sql);
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
    throw StartupError(std::string("cannot prepare SQL (") + sqlite3_errmsg(db) + "): " + sql);
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_blob(int index, ByteView bytes) {
  // A zero-length blob must still be a blob, not NULL.
  static const std::uint8_t empty = 0;
  sqlite3_bind_blob(stmt_, index, bytes.empty() ? &empty : bytes.data(),
                    static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return make_error(Errc::duplicate, "a record with that key exists", "database");
  }
  return make_error(Errc::io, "database step failed", "database");
}

Status Statement::run() {
  while (true) {
    TTE_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return ok_status();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::column_int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int length = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length))
              : std::string();
}

std::vector<std::uint8_t> Statement::column_blob(int column) const {
  ByteView view = column_blob_view(column);
  return std::vector<std::uint8_t>(view.begin(), view.end());
}

ByteView Statement::column_blob_view(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int length = sqlite3_column_bytes(stmt_, column);
  return ByteView(static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(length));
}

}  // namespace tte::sqlite
