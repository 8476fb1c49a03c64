// A throwaway PostgreSQL server for multi-process tests (tests/support/postgres.sh):
// Debian's postgresql-15 in a new directory under /tmp, as an unprivileged user,
// on a Unix socket only; stopped and removed at the end.
#ifndef TTE_TESTS_POSTGRES_HPP
#define TTE_TESTS_POSTGRES_HPP

#include <string>

#include "process.hpp"

namespace tte::test {

class PostgresServer {
 public:
  // Starts it (initdb, pg_ctl start: about a second). Throws std::runtime_error.
  explicit PostgresServer(const TempDir& dir);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A new empty database; its libpq URI (postgresql:///NAME?host=...).
  std::string create_database(const std::string& name) const;
  std::string uri(const std::string& database = "postgres") const;
  // psql -Atc SQL on a database: its output (throws when psql fails).
  std::string query(const std::string& database, const std::string& sql) const;

  void pause();   // pg_ctl stop -m fast: every connection is closed
  void resume();  // pg_ctl start, on the same data
  void freeze();  // SIGSTOP the server and its backends: a hung host, no error, no answer
  void thaw();    // SIGCONT them

 private:
  void script(const std::string& command) const;

  std::string state_;
  std::string socket_dir_;
  bool frozen_ = false;
};

}  // namespace tte::test

#endif  // TTE_TESTS_POSTGRES_HPP
