#include "postgres.hpp"

#include <stdexcept>

namespace tte::test {

PostgresServer::PostgresServer(const TempDir& dir) : state_(dir.file("postgres")) {
  script("start");
  socket_dir_ = read_text(state_ + "/dir");
  while (!socket_dir_.empty() && socket_dir_.back() == '\n')
    socket_dir_.pop_back();
}

PostgresServer::~PostgresServer() {
  try {
    if (frozen_) thaw();
    script("stop");
  } catch (const std::exception&) {
  }
}

void PostgresServer::script(const std::string& command) const {
  RunResult result = run({TTE_POSTGRES_SCRIPT, command, state_}, "", 120s);
  if (result.exit_code != 0)
    throw std::runtime_error("postgres.sh " + command + " failed: " + result.err);
}

std::string PostgresServer::uri(const std::string& database) const {
  return "postgresql:///" + database + "?host=" + socket_dir_ + "&port=5432&user=tte";
}

std::string PostgresServer::query(const std::string& database, const std::string& sql) const {
  RunResult result = run(
      {"psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri(database), "-c", sql});
  if (result.exit_code != 0) throw std::runtime_error("psql failed: " + result.err);
  return result.out;
}

std::string PostgresServer::create_database(const std::string& name) const {
  query("postgres", "CREATE DATABASE " + name);
  return uri(name);
}

void PostgresServer::pause() {
  script("pause");
}

void PostgresServer::resume() {
  script("resume");
}

void PostgresServer::freeze() {
  script("freeze");
  frozen_ = true;
}

void PostgresServer::thaw() {
  script("thaw");
  frozen_ = false;
}

}  // namespace tte::test
