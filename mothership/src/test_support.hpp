// Helpers for the MotherShip's unit tests: a temporary database with devices,
// a clock the test moves, and a synchronous way to call asynchronous handlers.
#ifndef TTE_MOTHERSHIP_TEST_SUPPORT_HPP
#define TTE_MOTHERSHIP_TEST_SUPPORT_HPP

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "store.hpp"
#include "tte/platform/http.hpp"
#include "tte/platform/sqlite.hpp"
#include "tte/platform/startup_error.hpp"
#include "writer.hpp"

namespace tte::mothership::testing {

inline const std::array<std::uint8_t, 32> kServerKey = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                        12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                        23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
inline constexpr const char* kDeviceFingerprint =
    "9e80f80b941243c01cd0b430ce21f52b0158ad296e91a4e4ab72891729226486";
inline constexpr const char* kControllerFingerprint =
    "98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4";

inline OtpHasher test_hasher() {
  return OtpHasher(HmacSha256::with_key(kServerKey).value());
}

// Device n: Dev ID n, URN urn:dev:ops:32473-Test-<n>, OTP 0x1000 + n.
inline FactoryRecord test_record(std::uint32_t n) {
  return FactoryRecord{DevId(n),
                       DevUrn::parse("urn:dev:ops:32473-Test-" + std::to_string(n)).value(),
                       Fingerprint::parse(kDeviceFingerprint).value(), Otp(0x1000 + n)};
}

// The PostgreSQL server these tests use, if any: ctest's postgresql. run of
// the store, writer, import and API tests sets TTE_TEST_POSTGRES_URI_FILE to a
// file holding its URI (tests/support/postgres.sh); nothing means SQLite.
inline std::optional<std::string> test_postgres_server() {
  const char* file = std::getenv("TTE_TEST_POSTGRES_URI_FILE");
  if (file == nullptr || *file == '\0') return std::nullopt;
  std::ifstream in(file);
  std::string uri;
  if (!std::getline(in, uri) || uri.empty())
    throw std::runtime_error(std::string("no PostgreSQL URI in ") + file);
  return uri;
}

// Raw SQL on a PostgreSQL database (for tests that go around the Store).
inline void postgres_exec(const std::string& uri, const std::string& sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  std::string why;
  if (PQstatus(conn) != CONNECTION_OK) {
    why = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK)
      why = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!why.empty()) throw StartupError(why);
}

// A session of its own on a PostgreSQL database, for tests that hold locks or
// end the Store's sessions from outside.
class PostgresSession {
 public:
  explicit PostgresSession(const std::string& uri) : conn_(PQconnectdb(uri.c_str()), &PQfinish) {
    EXPECT_EQ(PQstatus(conn_.get()), CONNECTION_OK) << PQerrorMessage(conn_.get());
  }
  // Runs `sql` (expecting it to work); the first column of its first row, if any.
  std::string exec(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
    const ExecStatusType status = PQresultStatus(r.get());
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(r.get());
    return PQntuples(r.get()) > 0 ? PQgetvalue(r.get(), 0, 0) : "";
  }
  // The pid of the one other session of this database whose statement begins
  // with `statement` and waits on a lock, once there is one (empty: none in 30 s).
  std::string wait_for_session_waiting_in(const std::string& statement) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string pid = exec(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
          "wait_event_type = 'Lock' AND starts_with(query, '" +
          statement + "')");
      if (!pid.empty()) return pid;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }
  // Ends the MotherShip's sessions of this database, waiting up to 30 s for
  // each to end; how many ended.
  std::string end_mothership_sessions() {
    return exec(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 30000)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = 'tte-mothership' AND "
        "backend_type = 'client backend'");
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// A fresh database, removed at the end: a SQLite file in a temporary directory,
// or (test_postgres_server) a database of its own on the test server.
class TempDatabase {
 public:
  // none: an empty database (a SQLite file not made yet), for init to fill.
  enum class Schema { mothership, none };
  explicit TempDatabase(std::uint32_t devices = 0, Schema schema = Schema::mothership) {
    static std::atomic<int> counter{0};
    const int n = counter++;
    dir_ = std::filesystem::temp_directory_path() /
           ("tte-ms-test-" + std::to_string(::getpid()) + "-" + std::to_string(n));
    std::filesystem::create_directories(dir_);
    if (auto server = test_postgres_server()) {
      server_ = *server;
      const std::string name = "tte_test_" + std::to_string(::getpid()) + "_" + std::to_string(n);
      postgres_exec(server_, "DROP DATABASE IF EXISTS " + name);
      postgres_exec(server_, "CREATE DATABASE " + name);
      // postgresql:///postgres?host=... -> postgresql:///<name>?host=...
      path_ = server_;
      const std::size_t slash = path_.find('/', path_.find("://") + 3);
      const std::size_t query = path_.find('?', slash);
      path_.replace(slash + 1, (query == std::string::npos ? path_.size() : query) - slash - 1,
                    name);
      name_ = name;
    } else {
      path_ = (dir_ / "mothership.db").string();
    }
    if (schema == Schema::none) return;
    Store::initialize(path_, MsId::from_value(10, IdPolicy::operational).value());
    if (devices > 0) {
      Store store(path_, Store::Access::read_write);
      std::vector<FactoryRecord> records;
      for (std::uint32_t k = 1; k <= devices; ++k)
        records.push_back(test_record(k));
      EXPECT_TRUE(store.begin_immediate().ok());
      auto outcome = insert_factory_records(store, test_hasher(), records.begin(), records.end());
      EXPECT_TRUE(outcome.status.ok());
      EXPECT_TRUE(store.commit().ok());
    }
  }
  ~TempDatabase() {
    std::filesystem::remove_all(dir_);
    if (!name_.empty()) {
      try {
        postgres_exec(server_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (const std::exception&) {
      }
    }
  }
  // Where the database is, as Store takes it.
  const std::string& path() const { return path_; }
  std::string dir() const { return dir_.string(); }
  bool on_postgres() const { return !name_.empty(); }
  // Raw SQL, around the Store. Throws StartupError when the database refuses it.
  void exec(const std::string& sql) const {
    if (on_postgres()) return postgres_exec(path_, sql);
    sqlite::Database raw(path_, sqlite::Database::Mode::read_write);
    raw.exec_or_throw(sql);
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
  std::string server_;
  std::string name_;
};

// Box n: Devices first .. first + count - 1 whose OTPs derive from key (URNs
// urn:dev:ops:32473-Box-<devid>), added to the database at path.
inline void add_box(const std::string& path, std::uint32_t first, std::uint32_t count,
                    const BoxUrl::Key& key) {
  Store store(path, Store::Access::read_write);
  auto otps = BoxOtps::with_key(key).value();
  std::vector<FactoryRecord> records;
  for (std::uint32_t n = first; n < first + count; ++n) {
    records.push_back(
        FactoryRecord{DevId(n), DevUrn::parse("urn:dev:ops:32473-Box-" + std::to_string(n)).value(),
                      Fingerprint::parse(kDeviceFingerprint).value(), otps.otp(DevId(n))});
  }
  EXPECT_TRUE(store.begin_immediate().ok());
  auto outcome = insert_factory_records(store, test_hasher(), records.begin(), records.end());
  EXPECT_TRUE(outcome.status.ok());
  EXPECT_TRUE(store.commit().ok());
}

// A clock that only moves when the test moves it.
class FakeClock {
 public:
  explicit FakeClock(std::int64_t start = 1795843720) : now_(start) {}
  Clock clock() {
    return [this] { return now_.load(); };
  }
  void advance(std::int64_t seconds) { now_ += seconds; }
  std::int64_t now() const { return now_.load(); }

 private:
  std::atomic<std::int64_t> now_;
};

// A logger that writes nowhere (tests that care about logs open their own).
inline Logger& quiet_logger() {
  static std::FILE* sink = std::fopen("/dev/null", "w");
  static Logger logger("test", LogFormat::text, LogLevel::error, sink);
  return logger;
}

inline ControllerBinding test_controller() {
  return ControllerBinding{ControllerAddress::parse("192.0.2.7:5684").value(),
                           Fingerprint::parse(kControllerFingerprint).value(), std::nullopt};
}

// Submits a claim and waits for its result.
inline ClaimResult claim_now(Writer& writer, std::uint32_t devid, std::uint64_t otp,
                             const std::string& client = "192.0.2.50") {
  std::promise<ClaimResult> promise;
  ClaimJob job;
  job.dev_id = DevId(devid);
  job.presented = test_hasher().digest(DevId(devid), Otp(otp));
  job.controller = test_controller();
  job.client = client;
  job.done = [&promise](ClaimResult result) { promise.set_value(result); };
  writer.submit(std::move(job));
  return promise.get_future().get();
}

// Calls an asynchronous handler and waits for its response.
template <typename Api>
http::Response call(Api& api, http::Request request) {
  std::promise<http::Response> promise;
  api.handle(request,
             [&promise](http::Response response) { promise.set_value(std::move(response)); });
  return promise.get_future().get();
}

inline http::Request request(std::string method, std::string target, std::string body = "",
                             http::Headers headers = {}) {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.client_address = "192.0.2.50";
  return r;
}

// A claim of Device n with its right OTP (test_record's), answered to `done`.
inline ClaimJob claim_job(std::uint32_t n, std::function<void(ClaimResult)> done) {
  ClaimJob job;
  job.dev_id = DevId(n);
  job.presented = test_hasher().digest(DevId(n), Otp(0x1000 + n));
  job.controller = test_controller();
  job.client = "192.0.2.50";
  job.done = std::move(done);
  return job;
}

// Holds the writer in the answer of a claim of Device n until release(): the
// jobs submitted meanwhile queue up, then go in batches as large as allowed.
class WriterHold {
 public:
  WriterHold(Writer& writer, std::uint32_t n) {
    std::shared_future<void> released = release_.get_future().share();
    writer.submit(claim_job(n, [this, released](ClaimResult r) {
      first_ = r;
      answering_.set_value();
      released.wait();
    }));
    answering_.get_future().wait();
  }
  ~WriterHold() { release(); }
  void release() {
    if (!released_) release_.set_value();
    released_ = true;
  }
  // The held claim's answer (it came before the hold).
  const ClaimResult& first() const { return first_; }

 private:
  std::promise<void> answering_, release_;
  bool released_ = false;
  ClaimResult first_;
};

}  // namespace tte::mothership::testing

#endif  // TTE_MOTHERSHIP_TEST_SUPPORT_HPP
