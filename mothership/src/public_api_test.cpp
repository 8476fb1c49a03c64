#include "public_api.hpp"

#include <gtest/gtest.h>

#include <future>

#include "mothership_server.hpp"
#include "test_support.hpp"

namespace tte::mothership {
namespace {

using testing::call;
using testing::FakeClock;
using testing::kControllerFingerprint;
using testing::quiet_logger;
using testing::request;
using testing::TempDatabase;
using testing::test_hasher;

const http::Headers kBrowser{{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}};
const http::Headers kForm{{"Content-Type", "application/x-www-form-urlencoded"}};

std::string claim_target(std::uint32_t devid, std::uint64_t otp, const std::string& extra = "") {
  char credentials[64];
  std::snprintf(credentials, sizeof credentials, "otp=%016llx&devid=%08x",
                static_cast<unsigned long long>(otp), devid);
  return std::string("/.well-known/tte?") + credentials +
         "&cip=192.0.2.7&cport=5684&cfingerprint=" + kControllerFingerprint + extra;
}

std::string status_target(std::uint32_t devid, std::uint64_t otp) {
  char credentials[64];
  std::snprintf(credentials, sizeof credentials, "otp=%016llx&devid=%08x",
                static_cast<unsigned long long>(otp), devid);
  return std::string("/.well-known/tte/status?") + credentials;
}

PskSealer psk_sealer() {
  std::array<std::uint8_t, PskSealer::kKeySize> key{};
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<std::uint8_t>(0x40 + i);
  return PskSealer::with_key(key).value();
}

class PublicApiTest : public ::testing::Test {
 protected:
  PublicApiTest()
      : db_(3),
        writer_(db_.path(), test_hasher(), clock_.clock(), quiet_logger(),
                WriterOptions{512, psk_sealer()}),
        reads_(db_.path()),
        throttle_connections_(db_.path(), Store::Access::read_write),
        clients_(30),
        guard_(make_otp_guard(GuessPolicy{}, writer_.shared(), reads_, throttle_connections_,
                              quiet_logger())),
        api_(PublicApiOptions{MsId::from_value(10, IdPolicy::operational)->host(), test_hasher(),
                              clock_.clock()},
             reads_, writer_, clients_, guard_) {}

  TempDatabase db_;
  FakeClock clock_;
  Writer writer_;
  ReadPool reads_;
  ReadPool throttle_connections_;
  ClientThrottle clients_;
  OtpGuard guard_;
  PublicApi api_;
};

TEST_F(PublicApiTest, ClaimThenAlreadyUsed) {
  http::Response first = call(api_, request("POST", claim_target(1, 0x1001)));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.header("Content-Type"), "application/json");
  auto state = StateObject::from_json(first.body);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, DeviceState::mapped);
  EXPECT_EQ(first.header("Cache-Control"), "no-store");

  http::Response second = call(api_, request("POST", claim_target(1, 0x1001)));
  EXPECT_EQ(second.status, 409);
  EXPECT_EQ(second.header("Content-Type"), "application/problem+json");
  auto problem = Problem::from_json(second.body);
  ASSERT_TRUE(problem.ok());
  EXPECT_EQ(problem->type, "https://iana.org/assignments/http-problem-types#tte-otp-used");
  ASSERT_TRUE(problem->device);
  EXPECT_EQ(problem->device->state, DeviceState::mapped);
}

TEST_F(PublicApiTest, UnknownDeviceAndWrongOtpAreByteIdentical) {
  http::Response wrong = call(api_, request("POST", claim_target(1, 0x9999)));
  http::Response unknown = call(api_, request("POST", claim_target(0x77, 0x9999)));
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(unknown.status, 403);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.headers, unknown.headers);
  http::Response wrong_status = call(api_, request("GET", status_target(1, 0x9999)));
  http::Response unknown_status = call(api_, request("GET", status_target(0x77, 0x9999)));
  EXPECT_EQ(wrong_status.status, 403);
  EXPECT_EQ(wrong_status.body, unknown_status.body);
  EXPECT_EQ(wrong_status.body, wrong.body);
}

TEST_F(PublicApiTest, MalformedFieldsAreNamed) {
  http::Response response = call(
      api_, request("POST", "/.well-known/tte?otp=1&devid=1&cip=192.0.2.7&cport=0&cfingerprint=" +
                                std::string(kControllerFingerprint)));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Problem::from_json(response.body)->field, "cport");
  response = call(api_, request("POST", "/.well-known/tte?otp=1&devid=1"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Problem::from_json(response.body)->field, "cip");
  response = call(api_, request("GET", "/.well-known/tte/status?devid=1"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(Problem::from_json(response.body)->field, "otp");
  response = call(
      api_, request("POST", claim_target(1, 0x1001), "{}", {{"Content-Type", "application/json"}}));
  EXPECT_EQ(response.status, 415);
}

TEST_F(PublicApiTest, FormBodyFromABrowserGetsPages) {
  http::Headers headers = kBrowser;
  headers.insert(headers.end(), kForm.begin(), kForm.end());
  std::string body =
      "cip=192.0.2.7&cport=5684&cfingerprint=" + std::string(kControllerFingerprint) +
      "&description=Hall+light";
  http::Response page = call(
      api_, request("GET", "/.well-known/tte?otp=0000000000001002&devid=00000002", "", kBrowser));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<form method=\"post\""), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy")->find("default-src 'none'"), std::string::npos);

  http::Response bad =
      call(api_, request("POST", "/.well-known/tte?otp=0000000000001002&devid=00000002",
                         "cip=192.0.2.7&cport=99999&cfingerprint=x", headers));
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("Please check cport"), std::string::npos);
  EXPECT_NE(bad.body.find("value=\"192.0.2.7\""), std::string::npos);  // the values come back

  http::Response mapped = call(
      api_, request("POST", "/.well-known/tte?otp=0000000000001002&devid=00000002", body, headers));
  EXPECT_EQ(mapped.status, 200);
  EXPECT_NE(mapped.body.find("Device mapped"), std::string::npos);
  EXPECT_NE(mapped.body.find("urn:dev:ops:32473-Test-2"), std::string::npos);

  http::Response again = call(
      api_, request("POST", "/.well-known/tte?otp=0000000000001002&devid=00000002", body, headers));
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("already been used"), std::string::npos);
  http::Response form_again = call(
      api_, request("GET", "/.well-known/tte?otp=0000000000001002&devid=00000002", "", kBrowser));
  EXPECT_EQ(form_again.status, 200);
  EXPECT_NE(form_again.body.find("already been used"), std::string::npos);
  EXPECT_EQ(form_again.body.find("<form"), std::string::npos);
}

// docs/protocol.md 13.3 in a browser: a PSK Device's form says it needs a link
// PSK and ticks "make one for me"; the answer page shows the PSK made, once;
// the MotherShip keeps it (sealed) for message 10. A PSK typed in is taken as it
// is; a blank field is none (and a PSK Device then gets the 400 page).
TEST_F(PublicApiTest, TheFormMakesALinkPskForAPskDeviceAndShowsItOnce) {
  {
    Store store(db_.path(), Store::Access::read_write);
    std::vector<FactoryRecord> records;
    for (std::uint32_t n : {7u, 8u}) {
      records.push_back(FactoryRecord{
          DevId(n), DevUrn::parse("urn:dev:ops:32473-Psk-" + std::to_string(n)).value(),
          std::nullopt, Otp(0x1000 + n), FactoryPsk{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}});
    }
    const PskSealer sealer = psk_sealer();
    ASSERT_TRUE(store.begin_immediate().ok());
    ASSERT_TRUE(
        insert_factory_records(store, test_hasher(), records.begin(), records.end(), &sealer)
            .status.ok());
    ASSERT_TRUE(store.commit().ok());
  }
  http::Headers headers = kBrowser;
  headers.insert(headers.end(), kForm.begin(), kForm.end());
  const std::string controller =
      "cip=192.0.2.7&cport=5684&cfingerprint=" + std::string(kControllerFingerprint);
  http::Response form = call(
      api_, request("GET", "/.well-known/tte?otp=0000000000001007&devid=00000007", "", kBrowser));
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("no public-key crypto"), std::string::npos);
  EXPECT_NE(form.body.find("name=\"cpsk_generate\"\n       value=\"1\" checked"), std::string::npos)
      << form.body;
  http::Response certificate_form = call(
      api_, request("GET", "/.well-known/tte?otp=0000000000001001&devid=00000001", "", kBrowser));
  EXPECT_EQ(certificate_form.body.find("no public-key crypto"), std::string::npos);
  EXPECT_EQ(certificate_form.body.find(" checked"), std::string::npos);

  // Left blank and not ticked: a PSK Device cannot be mapped so.
  http::Response blank =
      call(api_, request("POST", "/.well-known/tte?otp=0000000000001007&devid=00000007",
                         controller + "&cpsk=", headers));
  EXPECT_EQ(blank.status, 400);
  EXPECT_NE(blank.body.find("it needs a link PSK"), std::string::npos);
  EXPECT_NE(blank.body.find("id=\"cpsk\" name=\"cpsk\""), std::string::npos);  // the form again
  EXPECT_NE(blank.body.find("value=\"192.0.2.7\""), std::string::npos);

  http::Response made =
      call(api_, request("POST", "/.well-known/tte?otp=0000000000001007&devid=00000007",
                         controller + "&cpsk=&cpsk_generate=1", headers));
  ASSERT_EQ(made.status, 200) << made.body;
  const std::size_t at = made.body.find("<code>");
  ASSERT_NE(at, std::string::npos) << made.body;
  const std::string shown = made.body.substr(at + 6, 32);
  EXPECT_EQ(shown.find_first_not_of("0123456789abcdef"), std::string::npos) << shown;
  EXPECT_NE(made.body.find("shown only now"), std::string::npos);
  // The answer to message 9 carries it (key 4); the record says a PSK is held.
  Store store(db_.path(), Store::Access::read_only, nullptr);
  store.use_psk_sealer(psk_sealer());
  auto record = store.device(DevId(7));
  ASSERT_TRUE(record.ok() && record.value() && record.value()->controller);
  ASSERT_TRUE(record.value()->controller->psk);
  char hex[33];
  for (std::size_t i = 0; i < 16; ++i)
    std::snprintf(hex + 2 * i, 3, "%02x", record.value()->controller->psk->at(i));
  EXPECT_EQ(std::string(hex), shown);

  // A PSK typed in is the one stored, and not shown back.
  http::Response typed =
      call(api_, request("POST", "/.well-known/tte?otp=0000000000001008&devid=00000008",
                         controller + "&cpsk=00112233445566778899aabbccddeeff", headers));
  ASSERT_EQ(typed.status, 200) << typed.body;
  EXPECT_EQ(typed.body.find("shown only now"), std::string::npos);
  auto typed_record = store.device(DevId(8));
  ASSERT_TRUE(typed_record.ok() && typed_record.value()->controller->psk);
  EXPECT_EQ(typed_record.value()->controller->psk->at(15), 0xff);
}

TEST_F(PublicApiTest, ABracketedIpv6ControllerAddressIsTakenWithoutItsBrackets) {
  http::Response mapped = call(api_, request("POST",
                                             "/.well-known/tte?otp=0000000000001001&devid=00000001"
                                             "&cip=%5B2001:DB8:0::7%5D&cport=5684&cfingerprint=" +
                                                 std::string(kControllerFingerprint)));
  ASSERT_EQ(mapped.status, 200) << mapped.body;
  auto stored = reads_.acquire()->device(DevId(1));
  ASSERT_TRUE(stored.ok() && stored.value() && stored.value()->controller);
  EXPECT_EQ(stored.value()->controller->address.ip.to_string().view(), "2001:db8::7");

  // In a browser's form body too; brackets around anything else are refused as before.
  http::Headers headers = kBrowser;
  headers.insert(headers.end(), kForm.begin(), kForm.end());
  const std::string rest = "&cport=5684&cfingerprint=" + std::string(kControllerFingerprint);
  EXPECT_EQ(call(api_, request("POST", "/.well-known/tte?otp=0000000000001002&devid=00000002",
                               "cip=%5B2001%3Adb8%3A%3A8%5D" + rest, headers))
                .status,
            200);
  for (const char* refused : {"%5B192.0.2.7%5D", "%5B2001:db8::zz%5D", "%5B2001:db8::7%5D:5684",
                              "%5Bfe80::1%25eth0%5D"}) {
    http::Response response =
        call(api_, request("POST", "/.well-known/tte?otp=0000000000001003&devid=00000003&cip=" +
                                       std::string(refused) + rest));
    EXPECT_EQ(response.status, 400) << refused;
    EXPECT_EQ(Problem::from_json(response.body)->field, "cip") << refused;
  }
}

TEST_F(PublicApiTest, StatusFollowsTheDevice) {
  EXPECT_EQ(
      StateObject::from_json(call(api_, request("GET", status_target(3, 0x1003))).body)->state,
      DeviceState::unmapped);
  ASSERT_EQ(call(api_, request("POST", claim_target(3, 0x1003))).status, 200);
  EXPECT_EQ(
      StateObject::from_json(call(api_, request("GET", status_target(3, 0x1003))).body)->state,
      DeviceState::mapped);
}

TEST_F(PublicApiTest, TenChecksThenOneEveryNinetySecondsOnEveryPath) {
  for (int i = 0; i < 10; ++i) {
    auto r = request("POST", claim_target(1, 0x5000 + i));
    r.client_address = "192.0.2." + std::to_string(100 + i);  // spread over addresses
    EXPECT_EQ(call(api_, r).status, 403);
  }
  // No slot left: refused before the OTP is compared, even the right one, on every path.
  http::Response refused = call(api_, request("POST", claim_target(1, 0x1001)));
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.header("Retry-After"), "90");
  EXPECT_EQ(call(api_, request("GET", status_target(1, 0x1001))).status, 429);
  EXPECT_EQ(call(api_, request("GET", claim_target(1, 0x1001), "", kBrowser)).status, 429);
  // The owner's wait is one interval, not an hour.
  clock_.advance(90);
  EXPECT_EQ(call(api_, request("POST", claim_target(1, 0x1001))).status, 200);
}

TEST_F(PublicApiTest, RightOtpsDoNotSpendTheDevicesChecks) {
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(call(api_, request("GET", status_target(1, 0x1001))).status, 200) << i;
  EXPECT_EQ(call(api_, request("GET", claim_target(1, 0x1001), "", kBrowser)).status, 200);
  EXPECT_EQ(call(api_, request("POST", claim_target(1, 0x1001))).status, 200);
}

TEST_F(PublicApiTest, FailedChecksOnTheGetPathsAreStored) {
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(call(api_, request("GET", status_target(1, 0x5000 + i))).status, 403);
  auto stored = reads_.acquire()->throttle(DevId(1));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->spent, 3);
}

TEST_F(PublicApiTest, OneClientFailingTooOftenIsRefused) {
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(call(api_, request("GET", status_target(0x100 + i, 0x9999))).status, 403);
  }
  http::Response refused = call(api_, request("GET", status_target(1, 0x1001)));
  EXPECT_EQ(refused.status, 429);
  auto other = request("GET", status_target(1, 0x1001));
  other.client_address = "192.0.2.99";
  EXPECT_EQ(call(api_, other).status, 200);
  clock_.advance(60);
  EXPECT_EQ(call(api_, request("GET", status_target(1, 0x1001))).status, 200);
}

TEST_F(PublicApiTest, RevokedDevicesAnswer410) {
  std::promise<Result<std::optional<DeviceRecord>>> done;
  writer_.submit(RevocationJob{DevId(2), true, "test", [&](auto r) { done.set_value(r); }});
  ASSERT_TRUE(done.get_future().get().ok());
  EXPECT_EQ(call(api_, request("POST", claim_target(2, 0x1002))).status, 410);
  EXPECT_EQ(
      StateObject::from_json(call(api_, request("GET", status_target(2, 0x1002))).body)->state,
      DeviceState::revoked);
  EXPECT_EQ(call(api_, request("GET", "/.well-known/tte?otp=0000000000001002&devid=00000002", "",
                               kBrowser))
                .status,
            410);
}

TEST_F(PublicApiTest, OtherPathsAndMethods) {
  EXPECT_EQ(call(api_, request("GET", "/nothing")).status, 404);
  http::Response put = call(api_, request("PUT", claim_target(1, 0x1001)));
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("Allow"), "GET, POST");
  EXPECT_EQ(call(api_, request("POST", status_target(1, 0x1001))).status, 405);
  EXPECT_EQ(call(api_, request("GET", "/")).status, 200);
}

TEST_F(PublicApiTest, HealthSaysWhetherTheDatabaseReads) {
  http::Response healthy = call(api_, request("GET", "/health"));
  EXPECT_EQ(healthy.status, 200);
  EXPECT_EQ(healthy.body, "{\"status\":\"ok\"}\n");
  EXPECT_EQ(healthy.header("Cache-Control"), "no-store");
  EXPECT_EQ(call(api_, request("POST", "/health")).status, 405);

  // A MotherShip whose database cannot be opened is not healthy.
  ReadPool missing(db_.path() + ".gone");
  PublicApi broken(PublicApiOptions{MsId::from_value(10, IdPolicy::operational)->host(),
                                    test_hasher(), clock_.clock()},
                   missing, writer_, clients_, guard_);
  http::Response unhealthy = call(broken, request("GET", "/health"));
  EXPECT_EQ(unhealthy.status, 503);
  EXPECT_NE(unhealthy.body.find("database"), std::string::npos) << unhealthy.body;
}

// Bulk enrollment: a box of 24 at 00001000 with the key of docs/protocol.md §13.2.
const BoxUrl::Key kBoxKey{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
constexpr const char* kBoxKeyHex = "000102030405060708090a0b0c0d0e0f";

std::string box_target(const std::string& count = "24", const std::string& key = kBoxKeyHex) {
  return std::string("/.well-known/tte/box?first=00001000&count=") + count + "&key=" + key +
         "&cip=192.0.2.7&cport=5684&cfingerprint=" + kControllerFingerprint;
}

std::uint64_t box_otp(std::uint32_t devid) {
  return box_device_otp(kBoxKey, DevId(devid)).value().value();
}

class BoxApiTest : public PublicApiTest {
 protected:
  BoxApiTest() { testing::add_box(db_.path(), 0x1000, 24, kBoxKey); }
  DeviceState state_of(std::uint32_t devid) {
    http::Response status = call(api_, request("GET", status_target(devid, box_otp(devid))));
    EXPECT_EQ(status.status, 200);
    return StateObject::from_json(status.body).value().state;
  }
};

TEST_F(BoxApiTest, ABoxClaimMapsEveryDeviceThenItsOtpsAreUsed) {
  http::Response box = call(api_, request("POST", box_target()));
  ASSERT_EQ(box.status, 200) << box.body;
  EXPECT_EQ(box.header("Content-Type"), "application/json");
  EXPECT_EQ(box.header("Cache-Control"), "no-store");
  auto answer = BoxClaimAnswer::from_json(box.body);
  ASSERT_TRUE(answer.ok()) << box.body;
  EXPECT_EQ(answer->first, DevId(0x1000));
  ASSERT_EQ(answer->devices.size(), 24u);
  for (const StateObject& device : answer->devices)
    EXPECT_EQ(device.state, DeviceState::mapped);
  EXPECT_EQ(state_of(0x1017), DeviceState::mapped);
  // Each Device's OTP is used: a single claim, and the box again, get 409.
  EXPECT_EQ(call(api_, request("POST", claim_target(0x1005, box_otp(0x1005)))).status, 409);
  http::Response again = call(api_, request("POST", box_target()));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(Problem::from_json(again.body)->devices.size(), 24u);
  // The right OTPs gave every slot back.
  EXPECT_EQ(guard_.peek(DevId(0x1000))->spent, 0);
}

// A box holds a check slot of each member until it is answered: at most two
// boxes are in flight at once, the next is asked to come back (503,
// Retry-After 1), so that boxes in flight never hold all of a member's slots.
TEST_F(BoxApiTest, AtMostTwoBoxesAreInFlightTheNextIsAskedToComeBack) {
  std::vector<std::promise<http::Response>> answers(2);
  {
    testing::WriterHold hold(writer_, 1);  // the boxes wait in the writer's queue
    for (auto& answer : answers) {
      api_.handle(request("POST", box_target()),
                  [&answer](http::Response response) { answer.set_value(std::move(response)); });
    }
    // (Answered at once; were it queued too, it would wait for the hold.)
    std::promise<http::Response> answered;
    api_.handle(request("POST", box_target()),
                [&answered](http::Response response) { answered.set_value(std::move(response)); });
    auto later = answered.get_future();
    ASSERT_EQ(later.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    http::Response third = later.get();
    EXPECT_EQ(third.status, 503) << third.body;
    EXPECT_EQ(third.header("Retry-After"), "1");
    EXPECT_EQ(guard_.peek(DevId(0x1000))->spent, 2);  // the third took nothing
  }
  EXPECT_EQ(answers[0].get_future().get().status, 200);
  EXPECT_EQ(answers[1].get_future().get().status, 409);
  // Answered, they are out of flight: the next box is decided (409: used).
  EXPECT_EQ(call(api_, request("POST", box_target())).status, 409);
}

TEST_F(BoxApiTest, AMemberClaimedFirstRefusesTheWholeBoxNamingOnlyIt) {
  ASSERT_EQ(call(api_, request("POST", claim_target(0x1003, box_otp(0x1003)))).status, 200);
  http::Response box = call(api_, request("POST", box_target()));
  ASSERT_EQ(box.status, 409) << box.body;
  EXPECT_EQ(box.header("Content-Type"), "application/problem+json");
  auto problem = Problem::from_json(box.body);
  ASSERT_TRUE(problem.ok());
  EXPECT_EQ(problem->type, "https://iana.org/assignments/http-problem-types#tte-otp-used");
  ASSERT_EQ(problem->devices.size(), 1u);
  EXPECT_EQ(problem->devices[0].dev_id, DevId(0x1003));
  EXPECT_EQ(problem->devices[0].state, DeviceState::mapped);
  EXPECT_NE(problem->detail.find("1 of the box's 24"), std::string::npos) << problem->detail;
  EXPECT_EQ(state_of(0x1002), DeviceState::unmapped);
  EXPECT_EQ(state_of(0x1004), DeviceState::unmapped);
}

TEST_F(BoxApiTest, AWrongKeyIsTheSingleClaimsForbiddenAndSpendsOneSlot) {
  http::Response single = call(api_, request("POST", claim_target(99, 1)));
  http::Response box = call(api_, request("POST", box_target("24", std::string(32, 'f'))));
  EXPECT_EQ(box.status, 403);
  EXPECT_EQ(box.body, single.body);
  EXPECT_EQ(box.header("Content-Type"), single.header("Content-Type"));
  EXPECT_EQ(guard_.peek(DevId(0x1000))->spent, 1);
  EXPECT_EQ(guard_.peek(DevId(0x1017))->spent, 0);  // one guess of one key: one slot
  // A box that reaches past the stored Devices is refused the same way.
  http::Response past = call(api_, request("POST", box_target("25")));
  EXPECT_EQ(past.status, 403);
  EXPECT_EQ(past.body, single.body);
}

TEST_F(BoxApiTest, MalformedBoxesAreNamed) {
  http::Response big = call(api_, request("POST", box_target("10001")));
  EXPECT_EQ(big.status, 400);
  EXPECT_EQ(Problem::from_json(big.body)->field, "count");
  http::Response no_cip = call(
      api_, request("POST", "/.well-known/tte/box?first=1&count=2&key=" + std::string(kBoxKeyHex)));
  EXPECT_EQ(no_cip.status, 400);
  EXPECT_EQ(Problem::from_json(no_cip.body)->field, "cip");
  EXPECT_EQ(call(api_, request("PUT", box_target())).status, 405);
}

TEST_F(BoxApiTest, OneMemberWithoutASlotLocksTheBoxWithoutComparing) {
  for (int i = 0; i < 10; ++i)
    call(api_, request("GET", status_target(0x1007, 1)));
  http::Response box = call(api_, request("POST", box_target()));
  EXPECT_EQ(box.status, 429);
  EXPECT_TRUE(box.header("Retry-After"));
  EXPECT_EQ(guard_.peek(DevId(0x1000))->spent, 0);  // taken, then given back
  EXPECT_EQ(state_of(0x1000), DeviceState::unmapped);
}

TEST_F(BoxApiTest, BrowsersGetTheBoxFormThenTheUsedDevices) {
  http::Response form = call(
      api_,
      request("GET", "/.well-known/tte/box?first=00001000&count=24&key=" + std::string(kBoxKeyHex),
              "", kBrowser));
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("Map the 24 devices"), std::string::npos);
  EXPECT_NE(form.body.find("00001000 to 00001017"), std::string::npos);
  ASSERT_EQ(call(api_, request("POST", claim_target(0x1010, box_otp(0x1010)))).status, 200);
  http::Response used = call(
      api_,
      request("GET", "/.well-known/tte/box?first=00001000&count=24&key=" + std::string(kBoxKeyHex),
              "", kBrowser));
  ASSERT_EQ(used.status, 200);
  EXPECT_EQ(used.body.find("<form"), std::string::npos);
  EXPECT_NE(used.body.find("1 of the 24 devices"), std::string::npos);
  EXPECT_NE(used.body.find("<td data-label=\"Dev ID\">00001010</td>"), std::string::npos);
  EXPECT_EQ(used.body.find("<td data-label=\"Dev ID\">00001011</td>"), std::string::npos);
  // The browser's POST from the form, answered as a page.
  http::Headers headers = kBrowser;
  headers.insert(headers.end(), kForm.begin(), kForm.end());
  http::Response posted = call(
      api_,
      request("POST", "/.well-known/tte/box?first=00001000&count=24&key=" + std::string(kBoxKeyHex),
              "cip=192.0.2.7&cport=5684&cfingerprint=" + std::string(kControllerFingerprint),
              headers));
  EXPECT_EQ(posted.status, 409);
  EXPECT_EQ(posted.header("Content-Type"), "text/html; charset=utf-8");
  http::Response wrong =
      call(api_, request("GET",
                         "/.well-known/tte/box?first=00001000&count=24&key=" + std::string(32, '1'),
                         "", kBrowser));
  EXPECT_EQ(wrong.status, 403);
}

}  // namespace
}  // namespace tte::mothership
