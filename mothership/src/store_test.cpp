#include "store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <latch>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "test_support.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {

using testing::PostgresSession;
using testing::TempDatabase;
using testing::test_controller;
using testing::test_hasher;
using testing::test_record;

TEST(Store, RoundTripsDevices) {
  TempDatabase db(3);
  Store store(db.path(), Store::Access::read_write);
  EXPECT_EQ(store.ms_id(IdPolicy::operational).value(), 10u);
  EXPECT_EQ(*store.device_count(), 3);
  auto device = store.device(DevId(2));
  ASSERT_TRUE(device.ok() && device.value());
  EXPECT_EQ(device.value()->urn.view(), "urn:dev:ops:32473-Test-2");
  EXPECT_EQ(device.value()->otp_digest, test_hasher().digest(DevId(2), Otp(0x1002)));
  EXPECT_EQ(device.value()->state, DeviceState::unmapped);
  EXPECT_FALSE(device.value()->controller);
  auto by_urn = store.device_by_urn("urn:dev:ops:32473-Test-3");
  ASSERT_TRUE(by_urn.ok() && by_urn.value());
  EXPECT_EQ(by_urn.value()->dev_id, DevId(3));
  EXPECT_FALSE(store.device(DevId(4)).value());
  EXPECT_FALSE(store.device_by_urn("urn:dev:ops:32473-Test-4").value());
}

TEST(Store, ReadsABoxsRangeInDevIdOrder) {
  TempDatabase db(5);
  Store store(db.path(), Store::Access::read_only);
  auto devices = store.box_devices(DevId(2), 3);
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 3u);
  EXPECT_EQ((*devices)[0].dev_id, DevId(2));
  EXPECT_EQ((*devices)[2].dev_id, DevId(4));
  EXPECT_EQ((*devices)[1].urn.view(), "urn:dev:ops:32473-Test-3");
  // Absent Dev IDs are skipped; the range ends at ffffffff.
  EXPECT_EQ(store.box_devices(DevId(4), 10)->size(), 2u);
  EXPECT_TRUE(store.box_devices(DevId(0xfffffff0), 16)->empty());
}

TEST(Store, RefusesDuplicateDevIdsAndUrns) {
  TempDatabase db(2);
  Store store(db.path(), Store::Access::read_write);
  ASSERT_TRUE(store.begin_immediate().ok());
  auto same_devid = test_record(3);
  same_devid.dev_id = DevId(2);
  EXPECT_EQ(store.insert_device(same_devid, OtpDigest{}).error().code, Errc::duplicate);
  store.rollback();  // (PostgreSQL's transaction takes nothing more after a failure)
  ASSERT_TRUE(store.begin_immediate().ok());
  auto same_urn = test_record(2);
  same_urn.dev_id = DevId(9);
  EXPECT_EQ(store.insert_device(same_urn, OtpDigest{}).error().code, Errc::duplicate);
  store.rollback();
  std::vector<FactoryRecord> records{test_record(7), test_record(2)};
  ASSERT_TRUE(store.begin_immediate().ok());
  auto outcome = insert_factory_records(store, test_hasher(), records.begin(), records.end());
  EXPECT_EQ(outcome.status.error().code, Errc::duplicate);
  // SQLite names the record; PostgreSQL the key it found taken.
  EXPECT_EQ(outcome.which, db.on_postgres() ? "Dev ID 00000002"
                                            : "Dev ID 00000002 or URN urn:dev:ops:32473-Test-2");
  store.rollback();
  EXPECT_FALSE(store.device(DevId(7)).value());  // all or none
}

TEST(Store, MapsOnlyUnmappedUnrevokedDevicesOnce) {
  TempDatabase db(2);
  Store store(db.path(), Store::Access::read_write);
  ASSERT_TRUE(store.begin_immediate().ok());
  EXPECT_TRUE(*store.map_device(DevId(1), test_controller(), "hall", 100));
  EXPECT_FALSE(*store.map_device(DevId(1), test_controller(), "again", 101));
  ASSERT_TRUE(*store.set_revoked(DevId(2), 102));
  EXPECT_FALSE(*store.map_device(DevId(2), test_controller(), "", 103));
  ASSERT_TRUE(store.mark_registered(DevId(1), 104).ok());
  ASSERT_TRUE(store.commit().ok());
  auto one = store.device(DevId(1)).value();
  EXPECT_EQ(one->state, DeviceState::registered);
  EXPECT_EQ(one->description, "hall");
  EXPECT_EQ(one->mapped_at, 100);
  EXPECT_EQ(one->registered_at, 104);
  EXPECT_EQ(one->controller->address.to_string(), "192.0.2.7:5684");
  EXPECT_EQ(one->state_object().state, DeviceState::registered);
  auto two = store.device(DevId(2)).value();
  EXPECT_EQ(two->revoked_at, 102);
  EXPECT_EQ(two->state_object().state, DeviceState::revoked);
}

TEST(Store, ThrottleStateIsPersistent) {
  TempDatabase db;
  {
    Store store(db.path(), Store::Access::read_write);
    EXPECT_EQ(*store.throttle(DevId(5)), ThrottleState{});
    ASSERT_TRUE(store.begin_immediate().ok());
    ASSERT_TRUE(store.save_throttle(DevId(5), ThrottleState{3, 10, 1}).ok());
    ASSERT_TRUE(store.save_throttle(DevId(5), ThrottleState{4, 30, 2}).ok());
    ASSERT_TRUE(store.commit().ok());
  }
  Store reopened(db.path(), Store::Access::read_only);
  EXPECT_EQ(*reopened.throttle(DevId(5)), (ThrottleState{4, 30, 2}));
}

TEST(Store, AuditChainVerifiesAndDetectsTampering) {
  TempDatabase db;
  Store store(db.path(), Store::Access::read_write);
  ASSERT_TRUE(store.begin_immediate().ok());
  AuditHead head = *store.audit_head();
  EXPECT_EQ(head.seq, 0);
  for (int i = 0; i < 5; ++i) {
    AuditEntry entry;
    entry.time = 1000 + i;
    entry.actor = "192.0.2.50";
    entry.action = "claim";
    entry.dev_id = DevId(static_cast<std::uint32_t>(i));
    entry.outcome = "mapped";
    head = *store.append_audit(entry, head);
  }
  ASSERT_TRUE(store.commit().ok());
  auto verified = store.verify_audit();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok);
  EXPECT_EQ(verified->entries, 5);
  EXPECT_EQ(verified->head.hash, head.hash);
  EXPECT_EQ(store.audit_after(3, 10)->size(), 2u);

  // The log refuses edits through SQL ...
  EXPECT_THROW(db.exec("UPDATE audit SET outcome = 'already_used' WHERE seq = 3"), StartupError);
  EXPECT_THROW(db.exec("DELETE FROM audit WHERE seq = 5"), StartupError);
  if (db.on_postgres()) {
    EXPECT_THROW(db.exec("TRUNCATE audit"), StartupError);
  }
  // ... and an edit made around the triggers breaks the chain at that entry.
  db.exec(db.on_postgres() ? "ALTER TABLE audit DISABLE TRIGGER audit_no_change; UPDATE audit SET "
                             "outcome = 'already_used' WHERE seq = 3;"
                           : "DROP TRIGGER audit_no_update; UPDATE audit SET outcome = "
                             "'already_used' WHERE seq = 3;");
  verified = store.verify_audit();
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->ok);
  EXPECT_EQ(verified->first_bad_seq, 3);
  EXPECT_EQ(verified->entries, 2);
}

TEST(Store, RefusesWhatIsNotItsDatabase) {
  TempDatabase db;
  std::string other = db.dir() + "/other.db";
  {
    tte::sqlite::Database raw(other, tte::sqlite::Database::Mode::read_write_create);
    raw.exec_or_throw("CREATE TABLE meta (key TEXT, value TEXT)");
  }
  EXPECT_THROW(Store(other, Store::Access::read_only), StartupError);
  EXPECT_THROW(Store(db.dir() + "/missing.db", Store::Access::read_only), StartupError);
}

TEST(Store, TheExampleMsIdNeedsThePolicy) {
  TempDatabase db;
  std::string path = db.dir() + "/example.db";
  Store::initialize(path, MsId::from_value(0, IdPolicy::allow_example).value());
  Store store(path, Store::Access::read_only);
  EXPECT_THROW(store.ms_id(IdPolicy::operational), StartupError);
  EXPECT_EQ(store.ms_id(IdPolicy::allow_example).value(), 0u);
}

}  // namespace
}  // namespace tte::mothership

namespace tte::mothership {
namespace {

const FactoryPsk kFactoryPsk = {0x74, 0x74, 0x65, 0x2d, 0x66, 0x61, 0x63, 0x74,
                                0x6f, 0x72, 0x79, 0x2d, 0x70, 0x73, 0x6b, 0x21};

PskSealer test_sealer(std::uint8_t first = 7) {
  std::array<std::uint8_t, 32> key{};
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<std::uint8_t>(first + i);
  return PskSealer::with_key(key).value();
}

FactoryRecord psk_record(std::uint32_t n) {
  return FactoryRecord{DevId(n),
                       DevUrn::parse("urn:dev:ops:32473-Psk-" + std::to_string(n)).value(),
                       std::nullopt, Otp(0x1000 + n), kFactoryPsk};
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST(Store, KeepsAPskDevicesFactoryPskSealedAndNeverInClear) {
  TempDatabase db(1);
  const PskSealer sealer = test_sealer();
  {
    Store store(db.path(), Store::Access::read_write);
    std::vector<FactoryRecord> records{psk_record(2)};
    ASSERT_TRUE(store.begin_immediate().ok());
    // Without the sealing key a PSK record is refused; with it, stored sealed.
    EXPECT_EQ(insert_factory_records(store, test_hasher(), records.begin(), records.end())
                  .status.error()
                  .code,
              Errc::unsupported);
    ASSERT_TRUE(
        insert_factory_records(store, test_hasher(), records.begin(), records.end(), &sealer)
            .status.ok());
    ASSERT_TRUE(store.commit().ok());
  }
  Store store(db.path(), Store::Access::read_only);
  auto device = store.device_by_urn("urn:dev:ops:32473-Psk-2");
  ASSERT_TRUE(device.ok() && device.value());
  EXPECT_FALSE(device.value()->fingerprint);
  ASSERT_TRUE(device.value()->psk_device());
  EXPECT_EQ(device.value()->state_object().to_json().find("\"fingerprint\":null"),
            device.value()->state_object().to_json().find("\"fingerprint\""));
  auto opened = sealer.unseal(DevId(2), *device.value()->sealed_psk);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value(), kFactoryPsk);
  EXPECT_FALSE(test_sealer(8).unseal(DevId(2), *device.value()->sealed_psk).ok());
  auto certificate = store.device(DevId(1));
  ASSERT_TRUE(certificate.ok() && certificate.value());
  EXPECT_TRUE(certificate.value()->fingerprint);
  EXPECT_FALSE(certificate.value()->psk_device());
  // The database files hold the sealed form only ("tte-factory-psk!" in ASCII is the PSK).
  const std::string clear(kFactoryPsk.begin(), kFactoryPsk.end());
  if (db.on_postgres()) {
    EXPECT_NO_THROW(
        db.exec("DO $$ BEGIN IF EXISTS (SELECT 1 FROM devices WHERE "
                "position(convert_to('" +
                clear +
                "', 'UTF8') in factory_psk) > 0) "
                "THEN RAISE EXCEPTION 'a factory PSK in clear'; END IF; END $$"));
    return;
  }
  for (const std::string& file : {db.path(), db.path() + "-wal"}) {
    EXPECT_EQ(file_bytes(file).find(clear), std::string::npos) << file;
  }
  EXPECT_NE(file_bytes(db.path()).size() + file_bytes(db.path() + "-wal").size(), 0u);
}

TEST(Store, ARecordHasAFingerprintOrAPskNeverBoth) {
  TempDatabase db;
  Store store(db.path(), Store::Access::read_write);
  ASSERT_TRUE(store.begin_immediate().ok());
  auto both = psk_record(3);
  both.fingerprint = Fingerprint::parse(testing::kDeviceFingerprint).value();
  EXPECT_EQ(
      store.insert_device(both, OtpDigest{}, test_sealer().seal(DevId(3), kFactoryPsk).value())
          .error()
          .code,
      Errc::syntax);
  EXPECT_EQ(store.insert_device(psk_record(3), OtpDigest{}).error().code, Errc::syntax);
  store.rollback();
  EXPECT_TRUE(FactoryRecord::from_json(psk_record(3).to_json()).ok());
  EXPECT_EQ(FactoryRecord::from_json(psk_record(3).to_json()).value().psk, kFactoryPsk);
  auto json = nlohmann::json::parse(psk_record(3).to_json());
  json["fingerprint"] = testing::kDeviceFingerprint;
  EXPECT_EQ(FactoryRecord::from_json(json.dump()).error().code, Errc::syntax);
  json.erase("fingerprint");
  json["psk"] = "00";
  EXPECT_EQ(FactoryRecord::from_json(json.dump()).error().field, std::string("psk"));
}

// A version 1 database (before PSK Devices): read as it is read-only, upgraded read-write.
TEST(Store, UpgradesAVersionOneDatabaseWhenOpenedReadWrite) {
  TempDatabase db(2);
  {
    db.exec(R"sql(
BEGIN;
CREATE TABLE devices_v1 (devid INTEGER PRIMARY KEY, urn TEXT NOT NULL UNIQUE,
  fingerprint BLOB NOT NULL, otp_digest BLOB NOT NULL, state INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER, controller_ip BLOB, controller_port INTEGER, controller_fingerprint BLOB,
  controller_psk BLOB, description TEXT, mapped_at INTEGER, registered_at INTEGER);
INSERT INTO devices_v1 SELECT devid, urn, fingerprint, otp_digest, state, revoked_at,
  controller_ip, controller_port, controller_fingerprint, controller_psk, description,
  mapped_at, registered_at FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v1 RENAME TO devices;
UPDATE meta SET value = '1' WHERE key = 'schema_version';
COMMIT;
)sql");
  }
  {
    Store old(db.path(), Store::Access::read_only);
    EXPECT_EQ(old.schema_version(), 1);
    auto device = old.device(DevId(2));
    ASSERT_TRUE(device.ok() && device.value());
    EXPECT_TRUE(device.value()->fingerprint);
  }
  Store store(db.path(), Store::Access::read_write);
  EXPECT_EQ(store.schema_version(), 2);
  EXPECT_EQ(*store.device_count(), 2);
  EXPECT_EQ(store.device(DevId(1)).value()->otp_digest,
            test_hasher().digest(DevId(1), Otp(0x1001)));
  std::vector<FactoryRecord> records{psk_record(3)};
  const PskSealer sealer = test_sealer();
  ASSERT_TRUE(store.begin_immediate().ok());
  ASSERT_TRUE(insert_factory_records(store, test_hasher(), records.begin(), records.end(), &sealer)
                  .status.ok());
  ASSERT_TRUE(store.commit().ok());
  EXPECT_TRUE(store.device(DevId(3)).value()->psk_device());
  EXPECT_EQ(Store(db.path(), Store::Access::read_only).schema_version(), 2);
}

// The throttle's shared buckets (several instances on one database): each of
// these threads is an instance with a connection of its own; together they get
// exactly the bucket's slots, however the takes interleave.
TEST(Store, SharedBucketsGiveOutExactlyTheirSlotsAcrossConnections) {
  TempDatabase db(1);
  const GuessPolicy policy{10, 90};
  const std::int64_t now = 1795843720;
  std::atomic<int> taken{0}, refused{0}, failed{0};
  std::vector<std::thread> instances;
  for (int i = 0; i < 4; ++i) {
    instances.emplace_back([&] {
      Store store(db.path(), Store::Access::read_write);
      for (int k = 0; k < 8; ++k) {
        auto slot = store.take_shared_slot(DevId(1), now, policy);
        if (!slot.ok()) {
          ++failed;
        } else if (slot->taken) {
          ++taken;
        } else {
          ++refused;
          EXPECT_GT(slot->retry_after, 0);
        }
      }
    });
  }
  for (auto& instance : instances)
    instance.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(taken.load(), 10);
  EXPECT_EQ(refused.load(), 22);
  Store store(db.path(), Store::Access::read_write);
  EXPECT_EQ(store.throttle(DevId(1))->spent, 10);
  // A right OTP gives its slot back; the next check takes it again.
  ASSERT_TRUE(store.give_back_shared_slot(DevId(1), now, policy).ok());
  EXPECT_EQ(store.throttle(DevId(1))->spent, 9);
  EXPECT_TRUE(store.take_shared_slot(DevId(1), now, policy)->taken);
  EXPECT_FALSE(store.take_shared_slot(DevId(1), now, policy)->taken);
  // One slot comes back per interval.
  EXPECT_TRUE(store.take_shared_slot(DevId(1), now + 90, policy)->taken);
}

// A box's buckets at once: a slot of each stored Device, all or none; no
// bucket for a Dev ID with no Device; given back by a mask.
TEST(Store, ABoxTakesItsMembersSlotsAllOrNone) {
  TempDatabase db(20);
  const GuessPolicy policy{2, 90};
  const std::int64_t now = 1795843720;
  Store store(db.path(), Store::Access::read_write);
  for (int round = 0; round < 2; ++round) {
    auto slots = store.take_shared_slots(DevId(1), 25, now, policy);  // 21..25: no Devices
    ASSERT_TRUE(slots.ok()) << store.last_error();
    ASSERT_EQ(slots->size(), 25u);
    for (const Slot& slot : slots.value())
      EXPECT_TRUE(slot.taken);
  }
  EXPECT_EQ(store.throttle(DevId(20))->spent, 2);
  EXPECT_EQ(store.throttle(DevId(21))->spent, 0);
  // Device 7 has one more check spent: the next box is refused, and takes nothing.
  ASSERT_TRUE(
      store.give_back_shared_slots(DevId(1), std::vector<bool>(20, true), now, policy).ok());
  ASSERT_TRUE(store.take_shared_slot(DevId(7), now, policy)->taken);
  auto refused = store.take_shared_slots(DevId(1), 20, now, policy);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE((*refused)[6].taken);
  EXPECT_GT((*refused)[6].retry_after, 0);
  EXPECT_EQ(store.throttle(DevId(1))->spent, 1);
  EXPECT_EQ(store.throttle(DevId(7))->spent, 2);
  // A mask gives back only its members.
  std::vector<bool> which(20, false);
  which[0] = true;
  ASSERT_TRUE(store.give_back_shared_slots(DevId(1), which, now, policy).ok());
  EXPECT_EQ(store.throttle(DevId(1))->spent, 0);
  EXPECT_EQ(store.throttle(DevId(2))->spent, 1);
  if (db.on_postgres()) {
    EXPECT_EQ(PostgresSession(db.path()).exec("SELECT count(*) FROM throttle"), "20");
  }
}

// Boxes and single checks of their members from several connections at once
// give out exactly the member's slots, no more.
TEST(Store, BoxesAndSingleChecksRacingShareTheSlotsExactly) {
  TempDatabase db(16);
  const GuessPolicy policy{10, 90};
  const std::int64_t now = 1795843720;
  std::atomic<int> taken{0}, failed{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < 4; ++i) {
    racers.emplace_back([&, i] {
      Store store(db.path(), Store::Access::read_write);
      for (int k = 0; k < 8; ++k) {
        if (i % 2 == 0) {
          auto slots = store.take_shared_slots(DevId(1), 16, now, policy);
          if (!slots.ok()) {
            ++failed;
          } else if ((*slots)[4].taken && (*slots)[0].taken) {
            ++taken;  // all or none: device 5 with the rest
          }
        } else {
          auto slot = store.take_shared_slot(DevId(5), now, policy);
          if (!slot.ok()) {
            ++failed;
          } else if (slot->taken) {
            ++taken;
          }
        }
      }
    });
  }
  for (auto& racer : racers)
    racer.join();
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(taken.load(), 10);
  EXPECT_EQ(store.throttle(DevId(5))->spent, 10);
}

// Of claims racing from several connections, each in its own write
// transaction, exactly one maps the device (one conditional statement).
TEST(Store, RacingMapsFromSeveralConnectionsHaveOneWinner) {
  TempDatabase db(1);
  std::atomic<int> winners{0}, failures{0};
  std::vector<std::thread> instances;
  std::latch start(6);
  for (int i = 0; i < 6; ++i) {
    instances.emplace_back([&, i] {
      Store store(db.path(), Store::Access::read_write);
      // begin_bulk: on PostgreSQL no lock but the row's own stands between the
      // racers (begin_immediate would queue them on the audit chain's lock), and
      // all begin before any maps. (SQLite's begin_bulk takes the write lock.)
      const bool began = store.begin_bulk().ok();
      if (db.on_postgres()) start.arrive_and_wait();
      if (!began) {
        ++failures;
        return;
      }
      auto mapped =
          store.map_device(DevId(1), test_controller(), "racer " + std::to_string(i), 1000 + i);
      if (!mapped.ok() || !store.commit().ok()) {
        ++failures;
        return;
      }
      if (mapped.value()) ++winners;
    });
  }
  for (auto& instance : instances)
    instance.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(winners.load(), 1);
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(store.device(DevId(1)).value()->state, DeviceState::mapped);
}

TEST(Store, ABulkInsertNamesTheDuplicateAndStoresNothing) {
  TempDatabase db(3);
  Store store(db.path(), Store::Access::read_write);
  std::vector<FactoryRecord> records{test_record(10), test_record(11), test_record(2),
                                     test_record(12)};
  ASSERT_TRUE(store.begin_bulk().ok());
  auto outcome = insert_factory_records(store, test_hasher(), records.begin(), records.end());
  EXPECT_EQ(outcome.status.error().code, Errc::duplicate);
  EXPECT_NE(outcome.which.find("00000002"), std::string::npos) << outcome.which;
  store.rollback();
  EXPECT_EQ(*store.device_count(), 3);
  // A thousand at once (one COPY on PostgreSQL), then read back.
  std::vector<FactoryRecord> many;
  for (std::uint32_t n = 100; n < 1100; ++n)
    many.push_back(test_record(n));
  ASSERT_TRUE(store.begin_bulk().ok());
  ASSERT_TRUE(insert_factory_records(store, test_hasher(), many.begin(), many.end()).status.ok());
  ASSERT_TRUE(store.lock_audit_chain().ok());
  ASSERT_TRUE(store.commit().ok());
  EXPECT_EQ(*store.device_count(), 1003);
  EXPECT_EQ(store.device(DevId(1099)).value()->otp_digest,
            test_hasher().digest(DevId(1099), Otp(0x1000 + 1099)));
  EXPECT_EQ(store.next_free_dev_id().value(), DevId(1100));
}

TEST(Store, RecordsTheKeysItWasMadeWith) {
  TempDatabase db(0, TempDatabase::Schema::none);
  const auto ms_id = MsId::from_value(10, IdPolicy::operational).value();
  Store::initialize(db.path(), ms_id, {{"otp_key_check", "abc"}});
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(store.meta("otp_key_check").value(), std::optional<std::string>("abc"));
  EXPECT_EQ(store.meta("schema_version").value(), std::optional<std::string>("2"));
  EXPECT_FALSE(store.meta("nothing").value());
  // init refuses a database that holds a MotherShip already.
  EXPECT_THROW(Store::initialize(db.path(), ms_id), StartupError);
}

// libpq quotes a URI it cannot parse whole; the error says it without the password.
TEST(Store, AUriLibpqCannotReadIsNamedWithoutItsPassword) {
  try {
    Store store("postgresql://tte:S3CRET@[::1:5432/tte", Store::Access::read_only);
    ADD_FAILURE() << "opened";
  } catch (const StartupError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find("S3CRET"), std::string::npos) << what;
    EXPECT_NE(what.find("***"), std::string::npos) << what;
  }
}

// PostgreSQL: the server ended the Store's idle session (a restart, a failover).
// The next statement, a write, goes once on a new session.
TEST(Store, AWriteAfterTheServerEndedTheSessionGoesOnANewOne) {
  TempDatabase db(1);
  if (!db.on_postgres()) GTEST_SKIP() << "SQLite has no server to end a session";
  Store store(db.path(), Store::Access::read_write);
  ASSERT_TRUE(store.set_revoked(DevId(1), std::nullopt).ok());  // (prepared on this session)
  EXPECT_NE(PostgresSession(db.path()).end_mothership_sessions(), "0");
  auto revoked = store.set_revoked(DevId(1), 5);
  ASSERT_TRUE(revoked.ok()) << store.last_error();
  EXPECT_TRUE(revoked.value());
  EXPECT_EQ(store.device(DevId(1)).value()->revoked_at, std::optional<std::int64_t>(5));
}

// PostgreSQL: the session breaks while a compare-and-set of a bucket is on it.
// It may have been committed, so it is not sent again (that would take a second
// slot): the call fails, and the next one works on a new session.
TEST(Store, ABucketChangeWhoseSessionBrokeOnTheWayIsNotSentAgain) {
  TempDatabase db(1);
  if (!db.on_postgres()) GTEST_SKIP() << "SQLite has no server to end a session";
  const GuessPolicy policy{10, 90};
  const std::int64_t now = 1795843720;
  Store store(db.path(), Store::Access::read_write);
  ASSERT_TRUE(store.take_shared_slot(DevId(1), now, policy)->taken);
  PostgresSession other(db.path()), watcher(db.path());
  other.exec("BEGIN");
  other.exec("SELECT devid FROM throttle WHERE devid = 1 FOR UPDATE");
  auto take =
      std::async(std::launch::async, [&] { return store.take_shared_slot(DevId(1), now, policy); });
  const std::string pid = watcher.wait_for_session_waiting_in("UPDATE throttle");
  EXPECT_NE(pid, "") << "the compare-and-set never waited";
  // Ended (waiting up to 30 s for its end) before the row's lock is let go.
  if (!pid.empty()) {
    EXPECT_EQ(watcher.exec("SELECT pg_terminate_backend(" + pid + ", 30000)"), "t");
  }
  other.exec("COMMIT");
  auto taken = take.get();
  EXPECT_FALSE(taken.ok());
  EXPECT_EQ(store.throttle(DevId(1))->spent, 1);
  EXPECT_TRUE(store.take_shared_slot(DevId(1), now, policy)->taken);
  EXPECT_EQ(store.throttle(DevId(1))->spent, 2);
}

}  // namespace
}  // namespace tte::mothership
