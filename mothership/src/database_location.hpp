// Where a MotherShip keeps its database (`--database`, or `database =` in
// mothership.conf; docs/operations.md):
//
//   sqlite:PATH                     a SQLite file; a relative PATH is inside the data
//                                   directory (the default: sqlite:mothership.db)
//   postgresql://USER@HOST/DB?...   a PostgreSQL database, as a libpq URI (also
//   postgres://...                  postgresql:///DB?host=/run/postgresql for a socket)
//
// Pure: no I/O. A plain path (no scheme) is a SQLite file, as before --database.
#ifndef TTE_MOTHERSHIP_DATABASE_LOCATION_HPP
#define TTE_MOTHERSHIP_DATABASE_LOCATION_HPP

#include <string>
#include <string_view>

#include "tte/result.hpp"

namespace tte::mothership {

struct DatabaseLocation {
  enum class Kind { sqlite, postgresql };
  Kind kind = Kind::sqlite;
  std::string target;  // the SQLite file's path, or the libpq URI as given

  // Errors: missing (empty), unsupported (another scheme), syntax (sqlite: with no path).
  static Result<DatabaseLocation> parse(std::string_view text, std::string_view data_dir = "");

  // The location as `--database` takes it.
  std::string to_string() const;
  // The same with any password replaced by "***" (for logs and messages).
  std::string redacted() const;
  // Whether the URI holds a password (in the user part, password= or sslpassword=).
  bool has_password() const;
};

// Any text given as a database (even one parse refuses), passwords hidden.
std::string redact_database_text(std::string_view text);

// The default: sqlite:mothership.db in the data directory.
inline constexpr const char* kDefaultDatabase = "sqlite:mothership.db";

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_DATABASE_LOCATION_HPP
