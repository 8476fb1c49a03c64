// Thin RAII wrappers over SQLite: a connection and prepared statements.
// Request paths use the Result-returning calls; the message of the last
// failure is kept on the connection for logging (error_message()).
#ifndef TTE_PLATFORM_SQLITE_HPP
#define TTE_PLATFORM_SQLITE_HPP

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte::sqlite {

class Statement;

class Database {
 public:
  enum class Mode { read_write_create, read_write, read_only };

  // Opens (and for read_write_create creates) the database; throws StartupError.
  Database(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL with no results (several statements allowed). Throws StartupError:
  // for schema set-up and pragmas, not for request paths.
  void exec_or_throw(const std::string& sql);
  // The same for request paths. Errors: io (see error_message()).
  Status exec(const char* sql);

  Statement prepare(const char* sql);  // throws StartupError (statements are fixed SQL)
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  std::string error_message() const { return sqlite3_errmsg(db_); }
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(sqlite3* db, const char* sql);  // throws StartupError
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Binding (1-based). Returns *this for chaining.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, ByteView bytes);
  Statement& bind_null(int index);

  // Steps once: true when a row is available, false when done.
  // Errors: io, or duplicate for a UNIQUE/PRIMARY KEY violation.
  Result<bool> step();
  // Steps to completion, ignoring rows. Errors as step().
  Status run();
  // Resets for re-use and clears bindings.
  void reset();

  bool is_null(int column) const;
  std::int64_t column_int(int column) const;
  std::string column_text(int column) const;
  std::vector<std::uint8_t> column_blob(int column) const;
  ByteView column_blob_view(int column) const;  // valid until the next step/reset

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when leaving a scope, so an early return never leaves it busy.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.reset(); }

 private:
  Statement& statement_;
};

}  // namespace tte::sqlite

#endif  // TTE_PLATFORM_SQLITE_HPP
