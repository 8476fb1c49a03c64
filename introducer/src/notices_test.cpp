#include "notices.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tte/platform/files.hpp"
#include "tte/platform/sqlite.hpp"
#include "tte/platform/startup_error.hpp"
#include "vectors.hpp"

namespace tte::introducer {
namespace {

DeviceNotice example_notice() {
  auto notice = DeviceNotice::from_json(
      testing::load_vectors("messages.json")["device_notice"][0]["json"].dump(),
      IdPolicy::operational);
  EXPECT_TRUE(notice.ok()) << testing::describe(notice);
  return notice.value();
}

TEST(IntakeUrl, AddsTheWellKnownPathOnlyToBareOrigins) {
  EXPECT_EQ(intake_url("http://192.0.2.7:8080"), "http://192.0.2.7:8080/.well-known/tte/devices");
  EXPECT_EQ(intake_url("https://[2001:db8::7]:8443"),
            "https://[2001:db8::7]:8443/.well-known/tte/devices");
  EXPECT_EQ(intake_url("http://192.0.2.7:8080/custom/intake"),
            "http://192.0.2.7:8080/custom/intake");
}

http::FetchResult answered(int status, std::string body = "") {
  http::FetchResult result;
  result.response.status = status;
  result.response.body = std::move(body);
  return result;
}

TEST(InterpretDelivery, DeliveredRefusedOrWorthRetrying) {
  EXPECT_EQ(interpret_delivery(answered(201)).delivery, Delivery::delivered);
  EXPECT_EQ(interpret_delivery(answered(200)).delivery, Delivery::delivered);
  EXPECT_EQ(interpret_delivery(answered(401)).delivery, Delivery::refused);
  EXPECT_EQ(interpret_delivery(answered(400)).delivery, Delivery::refused);
  EXPECT_EQ(interpret_delivery(answered(503)).delivery, Delivery::transient);
  EXPECT_EQ(interpret_delivery(answered(429)).delivery, Delivery::transient);
  Problem problem;
  problem.status = 401;
  problem.type = "about:blank";
  problem.title = "Unauthorized";
  problem.detail = "wrong intake token";
  EXPECT_EQ(interpret_delivery(answered(401, problem.to_json())).detail, "wrong intake token");
  EXPECT_EQ(interpret_delivery(answered(401, "nope")).detail, "HTTP 401");

  using F = http::FetchResult::Failure;
  http::FetchResult down;
  down.failure = F::connect;
  down.error = "connection refused";
  EXPECT_EQ(interpret_delivery(down).delivery, Delivery::transient);
  EXPECT_EQ(interpret_delivery(down).detail, "connection refused");
  down.failure = F::timeout;
  EXPECT_EQ(interpret_delivery(down).delivery, Delivery::transient);
  down.failure = F::tls;  // waiting will not make an untrusted certificate trusted
  EXPECT_EQ(interpret_delivery(down).delivery, Delivery::refused);
}

TEST(InterpretBatchDelivery, EachNoticeGetsItsOwnResult) {
  http::FetchResult result;
  result.response.status = 200;
  result.response.body =
      R"({"created":1,"repeated":1,"refused":2,"results":[{"status":201},{"status":200},)"
      R"({"status":409,"problem":{"status":409,"detail":"this URN is already announced"}},)"
      R"({"status":503}]})";
  auto reports = interpret_batch_delivery(result, 4);
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(reports[0].delivery, Delivery::delivered);
  EXPECT_EQ(reports[1].delivery, Delivery::delivered);
  EXPECT_EQ(reports[2].delivery, Delivery::refused);
  EXPECT_EQ(reports[2].detail, "this URN is already announced");
  EXPECT_EQ(reports[3].delivery, Delivery::transient);
  // An answer that does not list every notice delivers none of them.
  for (const auto& report : interpret_batch_delivery(result, 5))
    EXPECT_EQ(report.delivery, Delivery::transient);
  result.response.body = "not json";
  EXPECT_EQ(interpret_batch_delivery(result, 1)[0].delivery, Delivery::transient);
  // A refusal of the whole batch is every notice's.
  result.response.status = 401;
  result.response.body = R"({"status":401,"detail":"wrong intake token"})";
  auto refused = interpret_batch_delivery(result, 2);
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[1].delivery, Delivery::refused);
  EXPECT_EQ(refused[1].detail, "wrong intake token");
  EXPECT_FALSE(lacks_batch_intake(result));
  result.response.status = 404;
  EXPECT_TRUE(lacks_batch_intake(result));
  result.response.status = 405;
  EXPECT_TRUE(lacks_batch_intake(result));
  EXPECT_EQ(batch_intake_url("http://192.0.2.7:8080"),
            "http://192.0.2.7:8080/.well-known/tte/devices/batch");
}

class NoticeQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "notice-queue-" + std::to_string(::getpid());
    make_private_directory(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/notices.db"; }
  std::string dir_;
};

TEST_F(NoticeQueueTest, KeepsNoticesAcrossReopeningUntilRemoved) {
  const DeviceNotice notice = example_notice();
  std::int64_t first = 0, second = 0;
  {
    NoticeQueue queue(path());
    first = queue.add(NoticeTarget{"http://192.0.2.7:8080", "secret", ""}, notice, 1000);
    second = queue.add(NoticeTarget{"https://192.0.2.8:8443", "", "/etc/tte/controller-ca.pem"},
                       notice, 1001);
    queue.record_failure(first, "connection refused");
  }
  NoticeQueue queue(path());  // as after a crash or a new run
  auto pending = queue.pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, first);
  EXPECT_EQ(pending[0].target.url, "http://192.0.2.7:8080");
  EXPECT_EQ(pending[0].target.token, "secret");
  EXPECT_EQ(pending[0].queued_at, 1000);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].last_error, "connection refused");
  EXPECT_EQ(pending[1].target.ca_file, "/etc/tte/controller-ca.pem");
  EXPECT_EQ(pending[1].attempts, 0);
  auto stored = DeviceNotice::from_json(pending[0].notice_json, IdPolicy::operational);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->to_json(), notice.to_json());

  queue.record_failure(first, "still down");
  queue.retarget(first, NoticeTarget{"http://192.0.2.9:8080", "new-token", ""});
  queue.remove(second);
  pending = queue.pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 2);
  EXPECT_EQ(pending[0].last_error, "still down");
  EXPECT_EQ(pending[0].target.url, "http://192.0.2.9:8080");
  EXPECT_EQ(pending[0].target.token, "new-token");
}

TEST_F(NoticeQueueTest, ABoxIsQueuedInOneGoAndItsOutcomesRecordedTogether) {
  NoticeQueue queue(path());
  const NoticeTarget target{"http://192.0.2.7:8080", "secret", ""};
  std::vector<DeviceNotice> notices(3, example_notice());
  auto ids = queue.add_box(target, "00001000+3", notices, 1000);
  ASSERT_EQ(ids.size(), 3u);
  auto pending = queue.pending();
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[2].box, "00001000+3");
  DeliveryReport delivered, refused;
  delivered.delivery = Delivery::delivered;
  refused.delivery = Delivery::refused;
  refused.detail = "wrong token";
  queue.record_batch(ids, {delivered, refused, delivered});
  pending = queue.pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, ids[1]);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_EQ(pending[0].last_error, "wrong token");
}

TEST_F(NoticeQueueTest, AQueueOfTheFirstSchemaGainsTheBoxColumn) {
  {
    sqlite::Database old(path(), sqlite::Database::Mode::read_write_create);
    old.exec_or_throw(
        "CREATE TABLE notices (id INTEGER PRIMARY KEY, queued_at INTEGER NOT NULL, url TEXT NOT "
        "NULL, token TEXT NOT NULL, ca_file TEXT NOT NULL, notice TEXT NOT NULL, attempts INTEGER "
        "NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '');"
        "INSERT INTO notices (queued_at, url, token, ca_file, notice) VALUES (1, 'http://x', '', "
        "'', '{}');"
        "PRAGMA user_version = 1;");
  }
  NoticeQueue queue(path());
  auto pending = queue.pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].box, "");
}

// A PSK Device's notice (docs/protocol.md 13.3) waits with its link PSK sealed
// under psk.key beside the queue: the database holds neither the hex nor the
// bytes, and the notice comes back whole. A queue of schema 2 gains the column.
TEST_F(NoticeQueueTest, AQueuedLinkPskIsSealedAndComesBackWhole) {
  {
    sqlite::Database old(path(), sqlite::Database::Mode::read_write_create);
    old.exec_or_throw(
        "CREATE TABLE notices (id INTEGER PRIMARY KEY, queued_at INTEGER NOT NULL, url TEXT NOT "
        "NULL, token TEXT NOT NULL, ca_file TEXT NOT NULL, notice TEXT NOT NULL, attempts INTEGER "
        "NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', box TEXT NOT NULL DEFAULT '');"
        "PRAGMA user_version = 2;");
  }
  DeviceNotice notice = example_notice();
  notice.fingerprint.reset();  // a PSK Device: no key, the PSK instead
  notice.psk = Psk{0x74, 0x74, 0x65, 0x2d, 0x6c, 0x69, 0x6e, 0x6b,
                   0x2d, 0x70, 0x73, 0x6b, 0x2d, 0x30, 0x30, 0x31};  // "tte-link-psk-001"
  {
    NoticeQueue queue(path());
    queue.add(NoticeTarget{"http://192.0.2.7:8080", "secret", ""}, notice, 1000);
  }
  NoticeQueue queue(path());
  auto pending = queue.pending();
  ASSERT_EQ(pending.size(), 1u);
  ASSERT_TRUE(pending[0].sealed_psk.has_value());
  EXPECT_EQ(pending[0].notice_json.find("psk"), std::string::npos) << pending[0].notice_json;
  auto back = queue.notice_of(pending[0]);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->to_json(), notice.to_json());
  EXPECT_FALSE(back->fingerprint.has_value());
  for (const std::string& file : {path(), path() + "-wal"}) {
    if (!std::filesystem::exists(file)) continue;
    const std::string bytes = read_file(file);
    EXPECT_EQ(bytes.find("tte-link-psk-001"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("7474652d6c696e6b2d70736b2d303031"), std::string::npos) << file;
  }
  struct stat info {};
  ASSERT_EQ(::stat((dir_ + "/psk.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // Another psk.key (a copied queue without it) opens nothing.
  std::filesystem::remove(dir_ + "/psk.key");
  NoticeQueue elsewhere(path());
  EXPECT_FALSE(elsewhere.notice_of(elsewhere.pending()[0]).ok());
}

TEST_F(NoticeQueueTest, RefusesADatabaseThatIsNotAQueue) {
  {
    sqlite::Database other(path(), sqlite::Database::Mode::read_write_create);
    other.exec_or_throw("CREATE TABLE notices (id INTEGER PRIMARY KEY, url TEXT);");
  }
  EXPECT_THROW(NoticeQueue{path()}, StartupError);
}

TEST_F(NoticeQueueTest, OnlyItsOwnerMayReadIt) {  // it holds OTPs and tokens
  NoticeQueue queue(path());
  queue.add(NoticeTarget{"http://192.0.2.7:8080", "secret", ""}, example_notice(), 1000);
  struct stat info {};
  ASSERT_EQ(::stat(path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace tte::introducer
