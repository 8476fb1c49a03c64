#include "store.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {

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
  auto same_urn = test_record(2);
  same_urn.dev_id = DevId(9);
  EXPECT_EQ(store.insert_device(same_urn, OtpDigest{}).error().code, Errc::duplicate);
  store.rollback();
  std::vector<FactoryRecord> records{test_record(7), test_record(2)};
  ASSERT_TRUE(store.begin_immediate().ok());
  auto outcome = insert_factory_records(store, test_hasher(), records.begin(), records.end());
  EXPECT_EQ(outcome.status.error().code, Errc::duplicate);
  EXPECT_EQ(outcome.which, "Dev ID 00000002 or URN urn:dev:ops:32473-Test-2");
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
  sqlite::Database raw(db.path(), sqlite::Database::Mode::read_write);
  EXPECT_THROW(raw.exec_or_throw("UPDATE audit SET outcome = 'already_used' WHERE seq = 3"),
               StartupError);
  EXPECT_THROW(raw.exec_or_throw("DELETE FROM audit WHERE seq = 5"), StartupError);
  // ... and an edit made around the triggers breaks the chain at that entry.
  raw.exec_or_throw(
      "DROP TRIGGER audit_no_update; UPDATE audit SET outcome = 'already_used' WHERE seq = 3;");
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
    sqlite::Database raw(other, sqlite::Database::Mode::read_write_create);
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
    sqlite::Database raw(db.path(), sqlite::Database::Mode::read_write);
    raw.exec_or_throw(R"sql(
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

}  // namespace
}  // namespace tte::mothership
