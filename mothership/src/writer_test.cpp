#include "writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "test_support.hpp"

namespace tte::mothership {
namespace {

using testing::claim_job;
using testing::claim_now;
using testing::FakeClock;
using testing::PostgresSession;
using testing::quiet_logger;
using testing::TempDatabase;
using testing::test_hasher;
using testing::WriterHold;

TEST(Writer, ClaimsMapOnceThenReportTheState) {
  TempDatabase db(2);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  ClaimResult first = claim_now(writer, 1, 0x1001);
  ASSERT_FALSE(first.storage_failed);
  EXPECT_EQ(first.outcome, ClaimOutcome::mapped);
  EXPECT_EQ(first.device->state, DeviceState::mapped);
  EXPECT_EQ(first.device->mapped_at, clock.now());
  ClaimResult second = claim_now(writer, 1, 0x1001);
  EXPECT_EQ(second.outcome, ClaimOutcome::already_used);
  EXPECT_EQ(second.device->state, DeviceState::mapped);
  EXPECT_EQ(claim_now(writer, 1, 0x9999).outcome, ClaimOutcome::not_authorized);
  EXPECT_EQ(claim_now(writer, 77, 0x1001).outcome, ClaimOutcome::not_authorized);
  writer.stop();

  Store store(db.path(), Store::Access::read_only);
  auto audit = store.audit_after(0, 100).value();
  ASSERT_EQ(audit.size(), 4u);
  EXPECT_EQ(audit[0].first.outcome, "mapped");
  EXPECT_EQ(audit[1].first.outcome, "already_used");
  EXPECT_EQ(audit[2].first.outcome, "not_authorized");
  EXPECT_EQ(audit[3].first.dev_id, DevId(77));
  EXPECT_TRUE(store.verify_audit()->ok);
}

TEST(Writer, AWrongOtpStoresTheBucketItSpentAndARightOneDoesNot) {
  TempDatabase db(1);
  FakeClock clock;
  {
    Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
    std::promise<ClaimResult> done;
    ClaimJob job;
    job.dev_id = DevId(1);
    job.presented = test_hasher().digest(DevId(1), Otp(0x5000));
    job.controller = testing::test_controller();
    job.throttle = ThrottleState{4, clock.now(), 0};
    job.done = [&](ClaimResult result) { done.set_value(result); };
    writer.submit(std::move(job));
    EXPECT_EQ(done.get_future().get().outcome, ClaimOutcome::not_authorized);
    EXPECT_EQ(claim_now(writer, 1, 0x1001).outcome, ClaimOutcome::mapped);
  }
  Store store(db.path(), Store::Access::read_only);
  // Stored across restarts; the right OTP's claim did not overwrite it. (On a
  // shared database the OTP guard stores every bucket change itself: the
  // writer's copy would undo other instances' changes, so it writes none.)
  const ThrottleState expected =
      db.on_postgres() ? ThrottleState{} : ThrottleState{4, clock.now(), 0};
  EXPECT_EQ(*store.throttle(DevId(1)), expected);
}

TEST(Writer, RevokedDevicesAnswerRevokedOnlyToTheRightOtp) {
  TempDatabase db(1);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  std::promise<Result<std::optional<DeviceRecord>>> revoked;
  writer.submit(
      RevocationJob{DevId(1), true, "test", [&](auto result) { revoked.set_value(result); }});
  auto record = revoked.get_future().get();
  ASSERT_TRUE(record.ok() && record.value());
  EXPECT_TRUE(record.value()->revoked());
  EXPECT_EQ(claim_now(writer, 1, 0x1001).outcome, ClaimOutcome::revoked);
  EXPECT_EQ(claim_now(writer, 1, 0x1002).outcome, ClaimOutcome::not_authorized);
  std::promise<Result<std::optional<DeviceRecord>>> unrevoked;
  writer.submit(
      RevocationJob{DevId(1), false, "test", [&](auto result) { unrevoked.set_value(result); }});
  EXPECT_FALSE(unrevoked.get_future().get().value()->revoked());
  EXPECT_EQ(claim_now(writer, 1, 0x1001).outcome, ClaimOutcome::mapped);
  std::promise<Result<std::optional<DeviceRecord>>> missing;
  writer.submit(
      RevocationJob{DevId(9), true, "test", [&](auto result) { missing.set_value(result); }});
  EXPECT_FALSE(missing.get_future().get().value());
}

// PostgreSQL, READ COMMITTED: another instance revokes the Device after this
// writer read it and before its update. The claim is then decided on what the
// row holds now: revoked (410), not "already used" (409).
TEST(Writer, AClaimOfADeviceRevokedMeanwhileByAnotherInstanceAnswersRevoked) {
  TempDatabase db(1);
  if (!db.on_postgres()) GTEST_SKIP() << "one SQLite writer has no one to race";
  PostgresSession other(db.path()), watcher(db.path());
  other.exec("BEGIN");
  other.exec("SELECT devid FROM devices WHERE devid = 1 FOR UPDATE");
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  auto claim = std::async(std::launch::async, [&] { return claim_now(writer, 1, 0x1001); });
  // The writer has read the row and waits on its lock in the UPDATE.
  // (On and on either way: the claim ends only once the lock is released.)
  EXPECT_NE(watcher.wait_for_session_waiting_in("UPDATE devices SET state = 1"), "")
      << "the writer never waited";
  other.exec("UPDATE devices SET revoked_at = 5 WHERE devid = 1");
  other.exec("COMMIT");
  EXPECT_EQ(claim.get().outcome, ClaimOutcome::revoked);
  writer.stop();
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(store.device(DevId(1)).value()->state, DeviceState::unmapped);
  EXPECT_EQ(store.audit_after(0, 10).value().back().first.outcome, "revoked");
}

TEST(Writer, RacingClaimsHaveExactlyOneWinner) {
  TempDatabase db(1);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  std::vector<std::thread> installers;
  std::atomic<int> mapped{0}, used{0};
  for (int i = 0; i < 64; ++i) {
    installers.emplace_back([&] {
      auto outcome = claim_now(writer, 1, 0x1001).outcome;
      if (outcome == ClaimOutcome::mapped) ++mapped;
      if (outcome == ClaimOutcome::already_used) ++used;
    });
  }
  for (auto& t : installers)
    t.join();
  EXPECT_EQ(mapped.load(), 1);
  EXPECT_EQ(used.load(), 63);
}

TEST(Writer, CommitsConcurrentJobsInGroups) {
  TempDatabase db(401);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  std::vector<std::promise<ClaimResult>> promises(400);
  WriterHold hold(writer, 401);
  for (std::uint32_t n = 1; n <= 400; ++n) {
    writer.submit(
        claim_job(n, [&promises, n](ClaimResult result) { promises[n - 1].set_value(result); }));
  }
  hold.release();
  for (auto& promise : promises)
    EXPECT_EQ(promise.get_future().get().outcome, ClaimOutcome::mapped);
  EXPECT_EQ(writer.jobs(), 401u);
  // The held claim, then the 400 in as few transactions as allowed: one on
  // SQLite (512 a batch), ceil(400 / 64) = 7 on PostgreSQL (a subtransaction each).
  EXPECT_EQ(writer.transactions(), db.on_postgres() ? 1u + 7u : 2u);
}

TEST(Writer, RegistrationIsRecordedOnceForMappedDevices) {
  TempDatabase db(2);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  ASSERT_EQ(claim_now(writer, 1, 0x1001).outcome, ClaimOutcome::mapped);
  clock.advance(60);
  writer.submit(RegisteredJob{DevId(1)});
  writer.submit(RegisteredJob{DevId(1)});
  writer.submit(RegisteredJob{DevId(2)});  // unmapped: nothing to record
  writer.stop();
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(store.device(DevId(1)).value()->state, DeviceState::registered);
  EXPECT_EQ(store.device(DevId(1)).value()->registered_at, clock.now());
  EXPECT_EQ(store.device(DevId(2)).value()->state, DeviceState::unmapped);
  EXPECT_EQ(store.audit_after(0, 10)->size(), 2u);  // the claim and one registration
}

TEST(Writer, ImportsAllOrNothing) {
  TempDatabase db(1);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  std::promise<std::pair<Status, std::string>> bad;
  writer.submit(ImportJob{
      {testing::test_record(5), testing::test_record(1)}, "test", [&](Status s, std::string which) {
        bad.set_value({s, which});
      }});
  auto [status, which] = bad.get_future().get();
  EXPECT_EQ(status.error().code, Errc::duplicate);
  EXPECT_NE(which.find("00000001"), std::string::npos);
  std::promise<Status> good;
  writer.submit(ImportJob{{testing::test_record(5), testing::test_record(6)},
                          "test",
                          [&](Status s, std::string) { good.set_value(s); }});
  EXPECT_TRUE(good.get_future().get().ok());
  writer.stop();
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(*store.device_count(), 3);
  EXPECT_TRUE(store.verify_audit()->ok);
}

// A job undone inside a batch (an import naming a Dev ID already stored) takes
// back only its own rows: the batch's other jobs and the audit chain stand.
TEST(Writer, AJobUndoneInsideABatchLeavesTheOthersAndTheChainWhole) {
  TempDatabase db(4);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  WriterHold hold(writer, 1);
  std::promise<ClaimResult> second, fourth;
  writer.submit(claim_job(2, [&](ClaimResult r) { second.set_value(r); }));
  std::promise<Status> imported;
  writer.submit(ImportJob{{testing::test_record(9), testing::test_record(3)},
                          "test",
                          [&](Status s, std::string) { imported.set_value(s); }});
  writer.submit(claim_job(4, [&](ClaimResult r) { fourth.set_value(r); }));
  hold.release();
  EXPECT_EQ(hold.first().outcome, ClaimOutcome::mapped);
  EXPECT_EQ(second.get_future().get().outcome, ClaimOutcome::mapped);
  Status import = imported.get_future().get();
  ASSERT_FALSE(import.ok());
  EXPECT_EQ(import.error().code, Errc::duplicate);
  EXPECT_EQ(fourth.get_future().get().outcome, ClaimOutcome::mapped);
  writer.stop();
  EXPECT_EQ(writer.transactions(), 2u);  // the first claim, then the other three together
  Store store(db.path(), Store::Access::read_only);
  EXPECT_FALSE(store.device(DevId(9)).value());  // the undone import's
  EXPECT_EQ(store.device(DevId(3)).value()->state, DeviceState::unmapped);
  auto verification = store.verify_audit();
  ASSERT_TRUE(verification.ok());
  EXPECT_TRUE(verification->ok);
  auto entries = store.audit_after(0, 10).value();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].first.dev_id, std::optional<DevId>(DevId(1)));
  EXPECT_EQ(entries[1].first.dev_id, std::optional<DevId>(DevId(2)));
  EXPECT_EQ(entries[2].first.dev_id, std::optional<DevId>(DevId(4)));
}

TEST(Writer, JobsAfterStopFailCleanly) {
  TempDatabase db(1);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  writer.stop();
  EXPECT_TRUE(claim_now(writer, 1, 0x1001).storage_failed);
}

// Submits a box claim of Devices 1..count (OTPs 0x1001.. as test_record gives them,
// `wrong` one of them wrong) and waits for its result.
BoxClaimResult box_now(Writer& writer, std::uint32_t count, std::uint32_t wrong = 0) {
  std::promise<BoxClaimResult> promise;
  BoxClaimJob job;
  job.first = DevId(1);
  job.count = count;
  for (std::uint32_t n = 1; n <= count; ++n) {
    job.presented.push_back(test_hasher().digest(DevId(n), Otp(n == wrong ? 7 : 0x1000 + n)));
    job.throttle.push_back(ThrottleState{1, 100, 0});
  }
  job.controller = testing::test_controller();
  job.client = "192.0.2.50";
  job.done = [&promise](BoxClaimResult result) { promise.set_value(result); };
  writer.submit(std::move(job));
  return promise.get_future().get();
}

TEST(Writer, ABoxIsMappedAllOrNoneWithOneAuditEntryPerDeviceAndOneForTheBox) {
  TempDatabase db(4);
  FakeClock clock;
  Writer writer(db.path(), test_hasher(), clock.clock(), quiet_logger());
  BoxClaimResult wrong = box_now(writer, 3, 2);
  EXPECT_EQ(wrong.outcome, ClaimOutcome::not_authorized);
  EXPECT_EQ(wrong.give_back, std::vector<bool>({true, false, true}));
  ASSERT_EQ(claim_now(writer, 3, 0x1003).outcome, ClaimOutcome::mapped);
  BoxClaimResult used = box_now(writer, 3);
  EXPECT_EQ(used.outcome, ClaimOutcome::already_used);
  ASSERT_EQ(used.devices.size(), 1u);
  EXPECT_EQ(used.devices[0].dev_id, DevId(3));
  BoxClaimResult mapped = box_now(writer, 2);
  EXPECT_EQ(mapped.outcome, ClaimOutcome::mapped);
  ASSERT_EQ(mapped.devices.size(), 2u);
  EXPECT_EQ(mapped.devices[1].state, DeviceState::mapped);
  writer.stop();

  Store store(db.path(), Store::Access::read_only);
  // Only the wrong member's bucket was stored (by the guard, on a shared database).
  EXPECT_EQ(store.throttle(DevId(2))->spent, db.on_postgres() ? 0 : 1);
  EXPECT_EQ(store.throttle(DevId(1))->spent, 0);
  EXPECT_EQ(store.device(DevId(1)).value()->state, DeviceState::mapped);
  EXPECT_EQ(store.device(DevId(4)).value()->state, DeviceState::unmapped);
  auto audit = store.audit_after(0, 100).value();
  std::vector<std::string> seen;
  for (const auto& [entry, hash] : audit)
    seen.push_back(entry.action + ":" + entry.outcome);
  EXPECT_EQ(seen, std::vector<std::string>({"box-claim:not_authorized", "claim:mapped",
                                            "box-claim:already_used", "claim:mapped",
                                            "claim:mapped", "box-claim:mapped"}));
  EXPECT_EQ(audit[5].first.detail, "count 2");
  EXPECT_EQ(audit[5].first.dev_id, DevId(1));
  EXPECT_TRUE(store.verify_audit()->ok);
}

}  // namespace
}  // namespace tte::mothership
