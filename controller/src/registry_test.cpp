#include "registry.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tte/platform/files.hpp"
#include "tte/platform/sqlite.hpp"
#include "tte/platform/startup_error.hpp"
#include "vectors.hpp"

namespace tte::controller {
namespace {

DeviceNotice notice(const std::string& urn, char key, const std::string& otp = "123456789abcdef0") {
  DeviceNotice n{DevUrn::parse(urn).value(),
                 Fingerprint::parse(std::string(64, key)).value(),
                 DevId::parse("abcdef01").value(),
                 Otp::parse(otp).value(),
                 MsId::from_host("tte-00000A.net", IdPolicy::operational).value().host(),
                 "Hall light",
                 std::nullopt};
  return n;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "registry-" + std::to_string(::getpid());
    make_private_directory(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string db() const { return dir_ + "/controller.db"; }
  std::string dir_;
};

TEST_F(RegistryTest, AnnouncementsAreIdempotentAndConflictsNamed) {
  Registry registry(db(), Policy::strict);
  auto light = notice("urn:dev:ops:32473-Light-0001", 'a');
  EXPECT_EQ(registry.announce(light, 1000).value(), Announced::created);
  EXPECT_EQ(registry.announce(light, 1001).value(), Announced::repeated);
  auto other_key = notice("urn:dev:ops:32473-Light-0001", 'b');
  EXPECT_EQ(registry.announce(other_key, 1002).error().field, std::string("urn"));
  auto other_urn = notice("urn:dev:ops:32473-Light-0002", 'a');
  EXPECT_EQ(registry.announce(other_urn, 1003).error().field, std::string("fingerprint"));
  auto device = registry.device("urn:dev:ops:32473-Light-0001");
  ASSERT_TRUE(device);
  EXPECT_EQ(device->announced_at, 1000);
  EXPECT_EQ(device->status(), DeviceStatus::announced);
  EXPECT_EQ(device->ms_next_poll_at, 1000);  // ask the MotherShip at once
}

PskSealer test_sealer(std::uint8_t first) {
  std::array<std::uint8_t, PskSealer::kKeySize> key{};
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<std::uint8_t>(first + i);
  return PskSealer::with_key(key, PskSealer::Purpose::controller).value();
}

// docs/protocol.md 13.3: a PSK Device's notice has no fingerprint; its entry is
// filed under psk_peer_key(urn), its link PSK kept sealed, opened only for a
// DTLS-PSK handshake whose identity is its URN, under either policy.
TEST_F(RegistryTest, APskNoticeIsKeptSealedAndOpensForItsIdentityOnly) {
  const Psk psk{0x74, 0x74, 0x65, 0x2d, 0x6c, 0x69, 0x6e, 0x6b,
                0x2d, 0x70, 0x73, 0x6b, 0x2d, 0x30, 0x30, 0x32};  // "tte-link-psk-002"
  const std::string urn = "urn:dev:ops:32473-Psk-0002";
  auto psk_notice = notice(urn, 'a');
  psk_notice.fingerprint.reset();
  psk_notice.psk = psk;
  {
    Registry without(dir_ + "/other.db", Policy::strict);
    EXPECT_EQ(without.announce(psk_notice, 1000).error().code, Errc::unsupported);
  }
  {
    Registry registry(db(), Policy::open, test_sealer(1));
    EXPECT_FALSE(registry.psk_session(urn));  // not announced yet: not even under open
    EXPECT_EQ(registry.announce(psk_notice, 1000).value(), Announced::created);
    EXPECT_EQ(registry.announce(psk_notice, 1001).value(), Announced::repeated);
    auto session = registry.psk_session(urn);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->psk, psk);
    EXPECT_EQ(session->key, psk_peer_key(urn));
    EXPECT_FALSE(registry.psk_session("urn:dev:ops:32473-Psk-0003"));
    EXPECT_FALSE(registry.psk_session(urn + "x"));
    auto entry = registry.device(urn);
    ASSERT_TRUE(entry);
    EXPECT_TRUE(entry->psk_only);
    EXPECT_TRUE(entry->sealed_psk.has_value());
    // Once announced, no notice changes the PSK (anyone with the intake token
    // could then join as the Device): another PSK is a conflict, and the held one stays.
    auto renewed = psk_notice;
    renewed.psk->at(0) ^= 1;
    EXPECT_EQ(registry.announce(renewed, 1002).error().code, Errc::duplicate);
    EXPECT_EQ(registry.psk_session(urn)->psk, psk);
    EXPECT_EQ(registry.announce(psk_notice, 1003).value(), Announced::repeated);
    // A certificate Device announced with a link PSK keeps its fingerprint as its key.
    auto both = notice("urn:dev:ops:32473-Light-0009", 'c');
    both.psk = psk;
    ASSERT_TRUE(registry.announce(both, 1004).ok());
    EXPECT_EQ(registry.psk_session("urn:dev:ops:32473-Light-0009")->key, *both.fingerprint);
    EXPECT_FALSE(registry.device("urn:dev:ops:32473-Light-0009")->psk_only);
    // A certificate Device announced without one gains no PSK (a back door) from a later
    // notice, nor does one announced with a PSK lose it.
    auto plain = notice("urn:dev:ops:32473-Light-0010", 'd');
    ASSERT_TRUE(registry.announce(plain, 1005).ok());
    auto plus_psk = plain;
    plus_psk.psk = psk;
    EXPECT_EQ(registry.announce(plus_psk, 1006).error().field, std::string("psk"));
    EXPECT_FALSE(registry.psk_session("urn:dev:ops:32473-Light-0010"));
    auto dropped = both;
    dropped.psk.reset();
    EXPECT_EQ(registry.announce(dropped, 1007).error().code, Errc::duplicate);
  }
  for (const std::string& file : {db(), db() + "-wal"}) {
    if (!std::filesystem::exists(file)) continue;
    const std::string bytes = read_file(file);
    EXPECT_EQ(bytes.find("tte-link-psk-002"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("7474652d6c696e6b2d70736b2d303032"), std::string::npos) << file;
  }
  // After a restart the sealed PSK opens with the same psk.key, and with no other.
  EXPECT_EQ(Registry(db(), Policy::strict, test_sealer(1)).psk_session(urn)->psk, psk);
  EXPECT_FALSE(Registry(db(), Policy::strict, test_sealer(2)).psk_session(urn));
}

// A database of schema version 1 (before PSKs) is upgraded and keeps its Devices.
TEST_F(RegistryTest, AVersionOneDatabaseGainsThePskColumns) {
  {
    Registry registry(db(), Policy::strict);
    ASSERT_TRUE(registry.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 100).ok());
  }
  {
    sqlite::Database old(db(), sqlite::Database::Mode::read_write);
    old.exec_or_throw(
        "ALTER TABLE devices DROP COLUMN psk; ALTER TABLE devices DROP COLUMN psk_only;"
        "PRAGMA user_version = 1;");
  }
  Registry registry(db(), Policy::strict, test_sealer(1));
  EXPECT_TRUE(registry.device("urn:dev:ops:32473-Light-0001"));
  auto psk_notice = notice("urn:dev:ops:32473-Psk-0002", 'b');
  psk_notice.fingerprint.reset();
  psk_notice.psk = Psk{};
  EXPECT_TRUE(registry.announce(psk_notice, 200).ok());
}

TEST_F(RegistryTest, ABatchStoresItsGoodNoticesInOrderAndNamesTheOthers) {
  {
    Registry registry(db(), Policy::strict);
    ASSERT_TRUE(registry.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 100).ok());
    std::vector<DeviceNotice> batch{
        notice("urn:dev:ops:32473-Light-0001", 'a'),  // the same again
        notice("urn:dev:ops:32473-Light-0002", 'b'),  // new
        notice("urn:dev:ops:32473-Light-0001", 'c'),  // the URN with another key
        notice("urn:dev:ops:32473-Light-0003", 'd'),  // new
        notice("urn:dev:ops:32473-Light-0004", 'd'),  // the key of the one before it
        notice("urn:dev:ops:32473-Light-0003", 'd'),  // the one before it, again
    };
    auto results = registry.announce_all(batch, 200);
    ASSERT_TRUE(results.ok());
    ASSERT_EQ(results->size(), batch.size());
    const auto& r = results.value();
    EXPECT_EQ(r[0].value(), Announced::repeated);
    EXPECT_EQ(r[1].value(), Announced::created);
    ASSERT_FALSE(r[2].ok());
    EXPECT_EQ(r[2].error().code, Errc::duplicate);
    EXPECT_STREQ(r[2].error().field, "urn");
    EXPECT_EQ(r[3].value(), Announced::created);
    ASSERT_FALSE(r[4].ok());
    EXPECT_STREQ(r[4].error().field, "fingerprint");
    EXPECT_EQ(r[5].value(), Announced::repeated);
    EXPECT_EQ(registry.devices().size(), 3u);
    EXPECT_EQ(registry.due_polls(200).size(), 3u);  // each announced Device is asked about
  }
  Registry reopened(db(), Policy::strict);  // committed, not soft state
  EXPECT_EQ(reopened.devices().size(), 3u);
  ASSERT_TRUE(reopened.device("urn:dev:ops:32473-Light-0003"));
  EXPECT_EQ(*reopened.device("urn:dev:ops:32473-Light-0003")->announced_at, 200);
  EXPECT_FALSE(reopened.device("urn:dev:ops:32473-Light-0004"));
}

TEST_F(RegistryTest, ABatchThatCannotBeCommittedChangesNothing) {
  Registry registry(db(), Policy::strict);
  // Another connection holds the write lock past the busy timeout.
  sqlite::Database other(db(), sqlite::Database::Mode::read_write);
  other.exec_or_throw("PRAGMA busy_timeout=0; BEGIN IMMEDIATE;");
  std::vector<DeviceNotice> batch{notice("urn:dev:ops:32473-Light-0001", 'a')};
  auto results = registry.announce_all(batch, 100);
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.error().code, Errc::io);
  EXPECT_TRUE(registry.devices().empty());
  other.exec_or_throw("ROLLBACK;");
  EXPECT_TRUE(registry.announce_all(batch, 100).ok());
  EXPECT_EQ(registry.devices().size(), 1u);
}

TEST_F(RegistryTest, StrictAdmitsOnlyAnnouncedKeysOpenAdmitsAll) {
  const Fingerprint a = Fingerprint::parse(std::string(64, 'a')).value();
  {
    Registry strict(db(), Policy::strict);
    EXPECT_FALSE(strict.admits(a));
    ASSERT_TRUE(strict.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 1000).ok());
    EXPECT_TRUE(strict.admits(a));
  }
  Registry open(dir_ + "/open.db", Policy::open);
  EXPECT_TRUE(open.admits(Fingerprint::parse(std::string(64, 'c')).value()));
}

TEST_F(RegistryTest, AnnouncementsAndBindingsSurviveARestartSoftStateAfterAFlush) {
  const Fingerprint a = Fingerprint::parse(std::string(64, 'a')).value();
  const Fingerprint b = Fingerprint::parse(std::string(64, 'b')).value();
  std::int64_t binding_id = 0;
  {
    Registry registry(db(), Policy::strict);
    ASSERT_TRUE(registry.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 1000).ok());
    ASSERT_TRUE(
        registry.announce(notice("urn:dev:ops:32473-Switch-0001", 'b', "0000000000000002"), 1000)
            .ok());
    auto binding = registry.add_binding("urn:dev:ops:32473-Switch-0001", "/switch",
                                        "urn:dev:ops:32473-Light-0001", "/light", 1001);
    ASSERT_TRUE(binding.ok());
    binding_id = binding->id;
    EXPECT_EQ(registry
                  .add_binding("urn:dev:ops:32473-Switch-0001", "/switch",
                               "urn:dev:ops:32473-Light-0001", "/light", 1002)
                  .error()
                  .code,
              Errc::duplicate);
    EXPECT_EQ(registry
                  .add_binding("urn:dev:ops:1-nobody-1", "/x", "urn:dev:ops:32473-Light-0001",
                               "/light", 1002)
                  .error()
                  .code,
              Errc::not_found);
    registry.joined(a, 1100);
    registry.connection(a, 1, "127.0.0.1:40000");
    Registration registration;
    registration.location = "rd/1";
    registration.endpoint = "urn:dev:ops:32473-Light-0001";
    registration.fingerprint = a;
    registration.lifetime = 60;
    registration.registered_at = registration.updated_at = 1100;
    registry.registered(registration, 1100);
    registry.joined(b, 1100);
    registry.connection(b, 1, "127.0.0.1:40001");
    EXPECT_GE(registry.flush(), 2u);
  }
  Registry registry(db(), Policy::strict);
  auto light = registry.device("urn:dev:ops:32473-Light-0001");
  ASSERT_TRUE(light);
  EXPECT_EQ(light->joined_at, 1100);
  EXPECT_EQ(light->address, "127.0.0.1:40000");
  EXPECT_EQ(light->expires_at, 1160);
  EXPECT_FALSE(light->connected);           // sessions do not survive a restart
  EXPECT_EQ(light->ms_next_poll_at, 1100);  // it joined: one more poll shows it
  ASSERT_EQ(registry.bindings().size(), 1u);
  EXPECT_EQ(registry.bindings()[0].id, binding_id);
  ASSERT_TRUE(registry.remove("urn:dev:ops:32473-Light-0001").ok());
  EXPECT_TRUE(registry.bindings().empty());  // its bindings go with it
  EXPECT_FALSE(registry.device("urn:dev:ops:32473-Light-0001"));
  EXPECT_EQ(registry.remove("urn:dev:ops:32473-Light-0001").error().code, Errc::not_found);
}

TEST_F(RegistryTest, StatusFollowsTheDevice) {
  Registry registry(db(), Policy::open);
  const Fingerprint c = Fingerprint::parse(std::string(64, 'c')).value();
  registry.joined(c, 10);
  auto devices = registry.devices();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].status(), DeviceStatus::joined);
  Registration registration;
  registration.location = "rd/1";
  registration.endpoint = "urn:dev:ops:32473-Sensor-9";
  registration.fingerprint = c;
  registration.lifetime = 60;
  registry.registered(registration, 11);
  EXPECT_EQ(registry.device("urn:dev:ops:32473-Sensor-9")->status(), DeviceStatus::registered);
  registry.registration_ended(c, "expired");
  EXPECT_EQ(registry.device("urn:dev:ops:32473-Sensor-9")->status(), DeviceStatus::expired);
  registry.registered(registration, 12);
  registry.registration_ended(c, "removed");
  EXPECT_EQ(registry.device("urn:dev:ops:32473-Sensor-9")->status(), DeviceStatus::deregistered);
}

TEST_F(RegistryTest, PollsAreDueUntilTheDeviceJoinsOrTheAnswerIsFinal) {
  Registry registry(db(), Policy::strict);
  ASSERT_TRUE(registry.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 1000).ok());
  const Fingerprint a = Fingerprint::parse(std::string(64, 'a')).value();
  ASSERT_EQ(registry.due_polls(1000).size(), 1u);
  registry.poll_result(a, "mapped", "", 1000, 1030);
  EXPECT_TRUE(registry.due_polls(1029).empty());
  EXPECT_EQ(registry.next_poll_at(), 1030);
  ASSERT_EQ(registry.due_polls(1030).size(), 1u);
  EXPECT_EQ(registry.due_polls(1030)[0].state, "mapped");
  registry.poll_result(a, "", "timeout", 1031, 1100);
  EXPECT_EQ(registry.device("urn:dev:ops:32473-Light-0001")->ms_failures, 1);
  EXPECT_EQ(registry.device("urn:dev:ops:32473-Light-0001")->ms_state,
            "mapped");  // the last answer stays
  registry.poll_result(a, "registered", "", 1100, std::nullopt);
  EXPECT_FALSE(registry.next_poll_at());
}

TEST_F(RegistryTest, JoiningPollsTheMotherShipOnceMore) {
  Registry registry(db(), Policy::strict);
  int woken = 0;
  registry.on_poll_due([&] { ++woken; });
  ASSERT_TRUE(registry.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 1000).ok());
  const Fingerprint a = Fingerprint::parse(std::string(64, 'a')).value();
  registry.poll_result(a, "unmapped", "", 1000, 1030);
  registry.joined(a, 1010);  // the Device found us before the next poll
  EXPECT_EQ(woken, 1);
  ASSERT_EQ(registry.due_polls(1010).size(), 1u);
  registry.poll_result(a, "", "timeout", 1011, 1041);  // a failure: try again
  EXPECT_EQ(registry.next_poll_at(), 1041);
  registry.poll_result(a, "registered", "", 1041, 1100);
  EXPECT_EQ(registry.device("urn:dev:ops:32473-Light-0001")->ms_state, "registered");
  EXPECT_FALSE(registry.next_poll_at());  // an answer after joining: done
  registry.joined(a, 1200);               // a new session later: the state is final, no poll
  EXPECT_EQ(woken, 1);
  EXPECT_FALSE(registry.next_poll_at());
}

TEST_F(RegistryTest, TheConnectionIsWhatTheCoapLayerSays) {
  Registry registry(db(), Policy::strict);
  ASSERT_TRUE(registry.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 1000).ok());
  const Fingerprint a = Fingerprint::parse(std::string(64, 'a')).value();
  registry.joined(a, 1010);
  registry.connection(a, 2, "127.0.0.1:40000");
  auto light = registry.device("urn:dev:ops:32473-Light-0001");
  EXPECT_TRUE(light->connected);
  EXPECT_EQ(light->sessions, 2);
  registry.connection(a, 0, "");
  light = registry.device("urn:dev:ops:32473-Light-0001");
  EXPECT_FALSE(light->connected);
  EXPECT_EQ(light->address, "127.0.0.1:40000");  // the last one known stays shown
}

TEST_F(RegistryTest, LastSeenIsLiveInMemoryAndStoredAtMostOnceAMinute) {
  const Fingerprint a = Fingerprint::parse(std::string(64, 'a')).value();
  {
    Registry registry(db(), Policy::strict);
    ASSERT_TRUE(registry.announce(notice("urn:dev:ops:32473-Light-0001", 'a'), 1000).ok());
    registry.flush();
    registry.seen(a, 1010);
    EXPECT_EQ(registry.flush(), 1u);
    registry.seen(a, 1030);  // within the minute: live, not written
    EXPECT_EQ(registry.device("urn:dev:ops:32473-Light-0001")->last_seen, 1030);
    EXPECT_EQ(registry.flush(), 0u);
    registry.seen(a, 1070);
    EXPECT_EQ(registry.flush(), 1u);
  }
  Registry reopened(db(), Policy::strict);
  EXPECT_EQ(reopened.device("urn:dev:ops:32473-Light-0001")->last_seen, 1070);
}

TEST_F(RegistryTest, RefusesAnUnknownSchema) {
  { Registry registry(db(), Policy::strict); }
  {
    sqlite::Database raw(db(), sqlite::Database::Mode::read_write);
    raw.exec_or_throw("PRAGMA user_version = 7");
  }
  EXPECT_THROW(Registry(db(), Policy::strict), StartupError);
}

}  // namespace
}  // namespace tte::controller
