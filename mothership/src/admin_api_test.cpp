#include "admin_api.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.hpp"

namespace tte::mothership {
namespace {

using testing::call;
using testing::FakeClock;
using testing::quiet_logger;
using testing::request;
using testing::TempDatabase;
using testing::test_hasher;
using testing::test_record;

const http::Headers kAuth{{"Authorization", "Bearer s3cret-token"}};

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest()
      : db_(1),
        writer_(db_.path(), test_hasher(), clock_.clock(), quiet_logger()),
        reads_(db_.path()),
        api_("s3cret-token",
             MotherShipIdentity{MsId::from_value(10, IdPolicy::operational).value(),
                                Fingerprint::parse(testing::kControllerFingerprint).value(),
                                "192.0.2.1:5684"},
             reads_, writer_, clock_.clock()) {}

  TempDatabase db_;
  FakeClock clock_;
  Writer writer_;
  ReadPool reads_;
  AdminApi api_;
};

TEST_F(AdminApiTest, RefusesWithoutTheToken) {
  EXPECT_EQ(call(api_, request("GET", "/admin/v1/devices/1")).status, 401);
  EXPECT_EQ(
      call(api_, request("GET", "/admin/v1/devices/1", "", {{"Authorization", "Bearer wrong"}}))
          .status,
      401);
  EXPECT_EQ(
      call(api_, request("GET", "/admin/v1/devices/1", "", {{"Authorization", "s3cret-token"}}))
          .status,
      401);
  http::Response ok = call(api_, request("GET", "/admin/v1/devices/1", "", kAuth));
  EXPECT_EQ(ok.status, 200);
}

TEST_F(AdminApiTest, AddsDevicesAllOrNothing) {
  std::string body = test_record(2).to_json() + "\n" + test_record(3).to_json() + "\n";
  http::Response added = call(api_, request("POST", "/admin/v1/devices", body, kAuth));
  EXPECT_EQ(added.status, 200);
  EXPECT_EQ(added.body, "{\"added\":2}");
  http::Response duplicate =
      call(api_, request("POST", "/admin/v1/devices",
                         test_record(4).to_json() + "\n" + test_record(1).to_json(), kAuth));
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_NE(duplicate.body.find("00000001"), std::string::npos);
  EXPECT_EQ(call(api_, request("GET", "/admin/v1/devices/4", "", kAuth)).status, 404);
  http::Response twice =
      call(api_, request("POST", "/admin/v1/devices",
                         test_record(5).to_json() + "\n" + test_record(5).to_json(), kAuth));
  EXPECT_EQ(twice.status, 409);
  http::Response malformed =
      call(api_, request("POST", "/admin/v1/devices",
                         test_record(6).to_json() + "\n{\"devid\":\"zz\"}", kAuth));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("line 2"), std::string::npos);
  EXPECT_EQ(call(api_, request("POST", "/admin/v1/devices", "", kAuth)).status, 400);
}

TEST_F(AdminApiTest, ShowsRevokesAndUnrevokes) {
  http::Response shown = call(api_, request("GET", "/admin/v1/devices/00000001", "", kAuth));
  EXPECT_EQ(shown.status, 200);
  auto json = nlohmann::json::parse(shown.body);
  EXPECT_EQ(json["state"], "unmapped");
  EXPECT_TRUE(json["revoked_at"].is_null());
  http::Response revoked = call(api_, request("POST", "/admin/v1/devices/1/revoke", "", kAuth));
  EXPECT_EQ(revoked.status, 200);
  EXPECT_EQ(nlohmann::json::parse(revoked.body)["state"], "revoked");
  http::Response unrevoked = call(api_, request("POST", "/admin/v1/devices/1/unrevoke", "", kAuth));
  EXPECT_EQ(nlohmann::json::parse(unrevoked.body)["state"], "unmapped");
  EXPECT_EQ(call(api_, request("POST", "/admin/v1/devices/9/revoke", "", kAuth)).status, 404);
  EXPECT_EQ(call(api_, request("GET", "/admin/v1/devices/xyz", "", kAuth)).status, 400);
  EXPECT_EQ(call(api_, request("DELETE", "/admin/v1/devices/1", "", kAuth)).status, 405);
  EXPECT_EQ(call(api_, request("GET", "/admin/v1/other", "", kAuth)).status, 404);
}

TEST_F(AdminApiTest, TellsTheFactoryAboutTheMotherShip) {
  http::Response response = call(api_, request("GET", "/admin/v1/mothership", "", kAuth));
  EXPECT_EQ(response.status, 200);
  auto json = nlohmann::json::parse(response.body);
  EXPECT_EQ(json["ms_id"], 10);
  EXPECT_EQ(json["host"], "tte-00000A.net");
  EXPECT_EQ(json["dtls_fingerprint"], testing::kControllerFingerprint);
  EXPECT_EQ(json["coaps"], "192.0.2.1:5684");
  EXPECT_EQ(json["next_devid"], "00000002");  // device 1 exists
  EXPECT_EQ(call(api_, request("GET", "/admin/v1/mothership")).status, 401);
}

TEST_F(AdminApiTest, ListsTheAuditLog) {
  ASSERT_EQ(call(api_, request("POST", "/admin/v1/devices/1/revoke", "", kAuth)).status, 200);
  ASSERT_EQ(call(api_, request("POST", "/admin/v1/devices/1/unrevoke", "", kAuth)).status, 200);
  http::Response audit = call(api_, request("GET", "/admin/v1/audit?after=0&limit=10", "", kAuth));
  EXPECT_EQ(audit.status, 200);
  EXPECT_EQ(audit.header("Content-Type"), "application/x-ndjson");
  std::istringstream lines(audit.body);
  std::string line;
  std::vector<nlohmann::json> entries;
  while (std::getline(lines, line))
    entries.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["action"], "revoke");
  EXPECT_EQ(entries[1]["action"], "unrevoke");
  EXPECT_EQ(entries[1]["hash"].get<std::string>().size(), 64u);
  http::Response after = call(api_, request("GET", "/admin/v1/audit?after=1", "", kAuth));
  EXPECT_EQ(std::count(after.body.begin(), after.body.end(), '\n'), 1);
  EXPECT_EQ(call(api_, request("GET", "/admin/v1/audit?after=x", "", kAuth)).status, 400);
}

}  // namespace
}  // namespace tte::mothership

namespace tte::mothership {
namespace {

TEST_F(AdminApiTest, TheTokenIsCheckedBeforeAnyBodyIsRead) {
  http::Admission anonymous = api_.admit(testing::request("POST", "/admin/v1/devices"));
  ASSERT_TRUE(anonymous.refusal);
  EXPECT_EQ(anonymous.refusal->status, 401);
  http::Admission records = api_.admit(testing::request("POST", "/admin/v1/devices", "", kAuth));
  EXPECT_FALSE(records.refusal);
  EXPECT_EQ(records.body_limit, AdminApi::kRecordsBodyLimit);
  http::Admission other = api_.admit(testing::request("GET", "/admin/v1/audit", "", kAuth));
  EXPECT_FALSE(other.refusal);
  EXPECT_EQ(other.body_limit, AdminApi::kOtherBodyLimit);
}

}  // namespace
}  // namespace tte::mothership
