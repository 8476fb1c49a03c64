#include "api.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "notice_batch.hpp"
#include "tte/platform/files.hpp"
#include "vectors.hpp"

namespace tte::controller {
namespace {

using Json = nlohmann::json;

// Stands in for the CoAP side: records requests and answers as told.
class FakeGateway : public DeviceGateway {
 public:
  void request(DeviceRequest request, std::function<void(DeviceReply)> done) override {
    requests.push_back(request);
    done(next_reply);
  }
  void observe(const std::string& urn, const std::string& path) override {
    observed.push_back(urn + path);
  }
  void bindings_changed() override { ++binding_changes; }

  std::vector<DeviceRequest> requests;
  std::vector<std::string> observed;
  int binding_changes = 0;
  DeviceReply next_reply;
};

const std::string kIntakeToken = "intake-token";
const std::string kApiToken = "api-token";
const std::string kNotice =
    testing::load_vectors("messages.json")["device_notice"][0]["json"].dump();
const std::string kUrn = "urn:dev:ops:32473-Light-0001";

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "api-" + std::to_string(::getpid());
    make_private_directory(dir_);
    registry_ = std::make_unique<Registry>(dir_ + "/controller.db", Policy::strict);
    ControllerIdentity identity{Fingerprint::parse(std::string(64, 'f')).value(), "192.0.2.7:5684",
                                "http://192.0.2.7:8080"};
    api_ =
        std::make_unique<Api>(ApiOptions{kIntakeToken, kApiToken, identity, [this] { return now_; },
                                         [this] { return now_ * 1000; }, 5},
                              *registry_, gateway_, observations_);
  }
  void TearDown() override {
    api_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = "", http::Headers headers = {}) {
    http::Request request{method, target, std::move(headers), body, "192.0.2.1"};
    std::optional<http::Response> got;
    api_->handle(
        request, [&](http::Response response) { got = std::move(response); }, false);
    if (!got) return http::Response{-1, {}, "(no answer yet)", {}};
    return *got;
  }
  http::Headers api_auth() const { return {{"Authorization", "Bearer " + kApiToken}}; }
  http::Response announce(const std::string& body = kNotice,
                          const std::string& token = kIntakeToken) {
    return call("POST", "/.well-known/tte/devices", body,
                {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }
  // Announces a switch and binds it to the light (announced already); fires it
  // once with `value` and `error`.
  void bind_a_switch_that_fired(const std::string& value, const std::string& error) {
    auto switch_notice = Json::parse(kNotice);
    switch_notice["urn"] = "urn:dev:ops:32473-Switch-0001";
    switch_notice["fingerprint"] = std::string(64, 'c');
    ASSERT_EQ(announce(switch_notice.dump()).status, 201);
    auto binding =
        registry_->add_binding("urn:dev:ops:32473-Switch-0001", "/switch", kUrn, "/light", now_);
    ASSERT_TRUE(binding.ok());
    registry_->binding_fired(binding->id, value, error, now_);
  }

  std::string dir_;
  std::int64_t now_ = 1795843720;
  std::unique_ptr<Registry> registry_;
  FakeGateway gateway_;
  Observations observations_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, IntakeCreatesOnceAndRepeatsIdempotently) {
  auto first = announce();
  EXPECT_EQ(first.status, 201) << first.body;
  auto device = Json::parse(first.body);
  EXPECT_EQ(device["urn"], kUrn);
  EXPECT_EQ(device["state"], "announced");
  EXPECT_FALSE(device.contains("otp"));  // never echoed
  EXPECT_EQ(announce().status, 200);
  EXPECT_EQ(registry_->devices().size(), 1u);
}

TEST_F(ApiTest, BatchIntakeAnswersEachNoticeInOrder) {
  auto second = Json::parse(kNotice);
  second["urn"] = "urn:dev:ops:32473-Light-0002";
  second["fingerprint"] = std::string(64, 'c');
  auto clash = Json::parse(kNotice);
  clash["fingerprint"] = std::string(64, 'd');  // kUrn with another key
  auto bad = Json::parse(kNotice);
  bad.erase("otp");
  Json batch{{"notices", {Json::parse(kNotice), second, clash, bad, 7, Json::parse(kNotice)}}};
  auto got =
      call("POST", "/.well-known/tte/devices/batch", batch.dump(),
           {{"Authorization", "Bearer " + kIntakeToken}, {"Content-Type", "application/json"}});
  ASSERT_EQ(got.status, 200) << got.body;
  auto body = Json::parse(got.body);
  EXPECT_EQ(body["created"], 2);
  EXPECT_EQ(body["repeated"], 1);
  EXPECT_EQ(body["refused"], 3);
  const auto& results = body["results"];
  ASSERT_EQ(results.size(), 6u);
  EXPECT_EQ(results[0]["status"], 201);
  EXPECT_EQ(results[0]["urn"], kUrn);
  EXPECT_EQ(results[1]["status"], 201);
  EXPECT_EQ(results[2]["status"], 409);
  EXPECT_EQ(results[2]["problem"]["field"], "urn");
  EXPECT_EQ(results[3]["status"], 400);
  EXPECT_EQ(results[3]["problem"]["field"], "otp");
  EXPECT_EQ(results[4]["status"], 400);
  EXPECT_EQ(results[5]["status"], 200);
  EXPECT_EQ(registry_->devices().size(), 2u);
}

TEST_F(ApiTest, BatchIntakeRefusesMalformedOrOversizedBatchesWhole) {
  auto post = [&](const std::string& body, const std::string& token = kIntakeToken) {
    return call("POST", "/.well-known/tte/devices/batch", body,
                {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  };
  EXPECT_EQ(post(Json{{"notices", {Json::parse(kNotice)}}}.dump(), "wrong").status, 401);
  EXPECT_EQ(post("{not json").status, 400);
  EXPECT_EQ(post("[]").status, 400);
  EXPECT_EQ(post(R"({"notices":{}})").status, 400);
  EXPECT_EQ(post(R"({"notices":[]})").status, 400);
  // Found by a black-box test: 60,000 '[' crashed the Controller (a recursive
  // dump() past the stack); deep JSON is refused before it is parsed.
  EXPECT_EQ(
      post(R"({"notices":[)" + std::string(60000, '[') + std::string(60000, ']') + "]}").status,
      400);
  EXPECT_EQ(
      post(R"({"notices":[{"urn":)" + std::string(60000, '[') + std::string(60000, ']') + "}]}")
          .status,
      400);
  Json many{{"notices", Json::array()}};
  for (std::size_t i = 0; i <= kMaxNoticeBatch; ++i)
    many["notices"].push_back(1);
  auto too_many = post(many.dump());
  EXPECT_EQ(too_many.status, 400);
  EXPECT_NE(too_many.body.find("10000"), std::string::npos);
  EXPECT_TRUE(registry_->devices().empty());
  EXPECT_EQ(call("GET", "/.well-known/tte/devices/batch").status, 405);
  // The size limit is the admission's, before the body is read.
  http::Request head{"POST",
                     "/.well-known/tte/devices/batch",
                     {{"Authorization", "Bearer " + kIntakeToken}},
                     "",
                     "192.0.2.1"};
  EXPECT_EQ(api_->admit(head).body_limit, Api::kNoticeBatchBodyLimit);
  head.target = "/.well-known/tte/devices";
  EXPECT_EQ(api_->admit(head).body_limit, Api::kNoticeBodyLimit);
  head.headers.clear();
  head.target = "/.well-known/tte/devices/batch";
  EXPECT_TRUE(api_->admit(head).refusal.has_value());
}

TEST_F(ApiTest, IntakeRefusalsAreClear) {
  EXPECT_EQ(announce(kNotice, "wrong").status, 401);
  EXPECT_EQ(call("POST", "/.well-known/tte/devices", kNotice).status, 401);
  EXPECT_EQ(announce("{not json").status, 400);
  auto missing = announce(R"({"urn":"urn:dev:ops:32473-Light-0001"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Json::parse(missing.body)["field"], "fingerprint");
  EXPECT_EQ(call("POST", "/.well-known/tte/devices", kNotice,
                 {{"Authorization", "Bearer " + kIntakeToken}, {"Content-Type", "text/plain"}})
                .status,
            415);
  EXPECT_EQ(call("GET", "/.well-known/tte/devices").status, 405);
  ASSERT_EQ(announce().status, 201);
  auto other_key = Json::parse(kNotice);
  other_key["fingerprint"] = std::string(64, 'b');
  auto conflict = announce(other_key.dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Json::parse(conflict.body)["field"], "urn");
}

TEST_F(ApiTest, TheApiNeedsItsToken) {
  EXPECT_EQ(call("GET", "/api/v1/devices").status, 401);
  EXPECT_EQ(
      call("GET", "/api/v1/devices", "", {{"Authorization", "Bearer " + kIntakeToken}}).status,
      401);
  EXPECT_EQ(call("GET", "/api/v1/devices", "", api_auth()).status, 200);
  auto info = Json::parse(call("GET", "/api/v1/controller", "", api_auth()).body);
  EXPECT_EQ(info["coaps"], "192.0.2.7:5684");
  EXPECT_EQ(info["policy"], "strict");
}

TEST_F(ApiTest, HealthNeedsNoTokenAndSaysNothingElse) {
  auto health = call("GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "{\"status\":\"ok\"}\n");
  EXPECT_EQ(health.header("Cache-Control"), "no-store");
  EXPECT_EQ(call("POST", "/health").status, 405);
}

TEST_F(ApiTest, ResourceRequestsGoToTheDevice) {
  ASSERT_EQ(announce().status, 201);
  gateway_.next_reply = DeviceReply{DeviceReply::Failure::none, "", 69, 0u, "on"};
  auto got = call("GET", "/api/v1/devices/" + kUrn + "/resources/light", "", api_auth());
  ASSERT_EQ(got.status, 200) << got.body;
  auto reply = Json::parse(got.body);
  EXPECT_EQ(reply["code"], "2.05");
  EXPECT_EQ(reply["payload"], "on");
  ASSERT_EQ(gateway_.requests.size(), 1u);
  EXPECT_EQ(gateway_.requests[0].urn, kUrn);
  EXPECT_EQ(gateway_.requests[0].path, "/light");
  EXPECT_EQ(gateway_.requests[0].method, Method::get);

  auto headers = api_auth();
  headers.emplace_back("Content-Type", "application/json");
  gateway_.next_reply = DeviceReply{DeviceReply::Failure::none, "", 68, std::nullopt, ""};
  EXPECT_EQ(
      call("PUT", "/api/v1/devices/" + kUrn + "/resources/light", "{\"on\":true}", headers).status,
      200);
  EXPECT_EQ(gateway_.requests[1].method, Method::put);
  EXPECT_EQ(gateway_.requests[1].content_format, 50u);
  EXPECT_EQ(gateway_.requests[1].payload, "{\"on\":true}");

  gateway_.next_reply =
      DeviceReply{DeviceReply::Failure::none, "", 69, 42u, std::string("\x00\xff", 2)};
  EXPECT_EQ(Json::parse(call("GET", "/api/v1/devices/" + kUrn + "/resources/raw", "", api_auth())
                            .body)["payload_hex"],
            "00ff");
}

TEST_F(ApiTest, ABatchSendsManyRequestsAndAnswersInOrder) {
  gateway_.next_reply = DeviceReply{DeviceReply::Failure::none, "", 68, std::nullopt, ""};
  Json batch{{"requests",
              {{{"urn", kUrn}, {"method", "PUT"}, {"path", "/light"}, {"payload", "off"}},
               {{"urn", "urn:dev:ops:32473-Light-0002"}, {"path", "/light"}}}}};
  auto got = call("POST", "/api/v1/requests", batch.dump(), api_auth());
  ASSERT_EQ(got.status, 200) << got.body;
  auto replies = Json::parse(got.body)["replies"];
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0]["urn"], kUrn);
  EXPECT_EQ(replies[0]["code"], "2.04");
  EXPECT_EQ(replies[1]["urn"], "urn:dev:ops:32473-Light-0002");
  ASSERT_EQ(gateway_.requests.size(), 2u);
  EXPECT_EQ(gateway_.requests[0].method, Method::put);
  EXPECT_EQ(gateway_.requests[0].content_format, 0u);
  EXPECT_EQ(gateway_.requests[1].method, Method::get);
  EXPECT_EQ(call("POST", "/api/v1/requests", "{\"requests\":[]}", api_auth()).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/requests", "{\"requests\":[{\"urn\":\"x\"}]}", api_auth()).status,
            400);
  EXPECT_EQ(call("GET", "/api/v1/requests", "", api_auth()).status, 405);
}

TEST_F(ApiTest, DeviceFailuresMapToHttpStatuses) {
  struct Case {
    DeviceReply::Failure failure;
    int status;
  };
  for (Case c :
       {Case{DeviceReply::Failure::unknown_device, 404},
        Case{DeviceReply::Failure::not_connected, 409}, Case{DeviceReply::Failure::timeout, 504},
        Case{DeviceReply::Failure::refused, 502}}) {
    gateway_.next_reply = DeviceReply{c.failure, "because", 0, std::nullopt, ""};
    EXPECT_EQ(call("GET", "/api/v1/devices/" + kUrn + "/resources/light", "", api_auth()).status,
              c.status);
  }
  EXPECT_EQ(call("GET", "/api/v1/devices/" + kUrn + "/resources/a%20b", "", api_auth()).status,
            400);
  EXPECT_EQ(call("PUT", "/api/v1/devices/" + kUrn + "/resources/light", "x",
                 {{"Authorization", "Bearer " + kApiToken}, {"Content-Type", "image/png"}})
                .status,
            415);
}

TEST_F(ApiTest, ObserveLongPollsAnswerWithNotifications) {
  ASSERT_EQ(announce().status, 201);
  std::optional<http::Response> got;
  http::Request request{"GET", "/api/v1/devices/" + kUrn + "/observe/switch?wait=10", api_auth(),
                        "", "192.0.2.1"};
  api_->handle(
      request, [&](http::Response response) { got = std::move(response); }, false);
  EXPECT_FALSE(got);  // waiting
  ASSERT_EQ(gateway_.observed.size(), 1u);
  EXPECT_EQ(gateway_.observed[0], kUrn + "/switch");
  observations_.publish(Observations::key(kUrn, "/switch"), Notification{0, now_, 69, 0u, "on"});
  ASSERT_TRUE(got);
  auto notifications = Json::parse(got->body)["notifications"];
  ASSERT_EQ(notifications.size(), 1u);
  EXPECT_EQ(notifications[0]["payload"], "on");
  EXPECT_EQ(notifications[0]["seq"], 1);
  EXPECT_EQ(
      call("GET", "/api/v1/devices/urn:dev:ops:1-none-1/observe/switch", "", api_auth()).status,
      404);
  EXPECT_EQ(
      call("GET", "/api/v1/devices/" + kUrn + "/observe/switch?wait=9999", "", api_auth()).status,
      400);
}

TEST_F(ApiTest, BindingsAreAddedListedAndRemoved) {
  ASSERT_EQ(announce().status, 201);
  auto switch_notice = Json::parse(kNotice);
  switch_notice["urn"] = "urn:dev:ops:32473-Switch-0001";
  switch_notice["fingerprint"] = std::string(64, 'c');
  ASSERT_EQ(announce(switch_notice.dump()).status, 201);
  Json binding{{"source", {{"urn", "urn:dev:ops:32473-Switch-0001"}, {"path", "/switch"}}},
               {"target", {{"urn", kUrn}, {"path", "/light"}}}};
  auto created = call("POST", "/api/v1/bindings", binding.dump(), api_auth());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(gateway_.binding_changes, 1);
  EXPECT_EQ(call("POST", "/api/v1/bindings", binding.dump(), api_auth()).status, 409);
  binding["target"]["urn"] = "urn:dev:ops:1-none-1";
  EXPECT_EQ(call("POST", "/api/v1/bindings", binding.dump(), api_auth()).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/bindings", "{}", api_auth()).status, 400);
  auto list = Json::parse(call("GET", "/api/v1/bindings", "", api_auth()).body)["bindings"];
  ASSERT_EQ(list.size(), 1u);
  const std::string id = std::to_string(list[0]["id"].get<std::int64_t>());
  EXPECT_EQ(call("DELETE", "/api/v1/bindings/" + id, "", api_auth()).status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/bindings/" + id, "", api_auth()).status, 404);
}

TEST_F(ApiTest, TheDashboardNeedsASignInWithTheApiToken) {
  ASSERT_EQ(announce().status, 201);
  auto anonymous = call("GET", "/");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(anonymous.header("Location"), "/login");
  EXPECT_EQ(call("GET", "/login").status, 200);
  EXPECT_EQ(call("POST", "/login", "token=wrong").status, 401);
  auto signed_in = call("POST", "/login", "token=" + kApiToken);
  ASSERT_EQ(signed_in.status, 303);
  std::string cookie(*signed_in.header("Set-Cookie"));
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  cookie = cookie.substr(0, cookie.find(';'));
  auto page = call("GET", "/", "", {{"Cookie", cookie}});
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(kUrn), std::string::npos);
  EXPECT_NE(page.body.find("BLD30/2/361 - Thermostat"), std::string::npos);
  EXPECT_EQ(page.body.find("123456789abcdef0"), std::string::npos);  // no OTP on the page
  // The cookie reads the API, but cannot change anything (no CSRF through it).
  EXPECT_EQ(call("GET", "/api/v1/devices", "", {{"Cookie", cookie}}).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/devices/" + kUrn, "", {{"Cookie", cookie}}).status, 401);
  EXPECT_EQ(call("POST", "/logout", "", {{"Cookie", cookie}}).status, 303);
  EXPECT_EQ(call("GET", "/", "", {{"Cookie", cookie}}).status, 303);
}

TEST_F(ApiTest, TheDashboardShowsWhatDevicesAndBindingsSayAsText) {
  auto login = call("GET", "/login");
  ASSERT_EQ(login.status, 200);
  EXPECT_EQ(login.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(login.body.find("<form method=\"post\" action=\"/login\">"), std::string::npos);
  EXPECT_NE(login.body.find("<style>"), std::string::npos);  // the stylesheet, inlined
  EXPECT_NE(call("POST", "/login", "token=wrong").body.find("<h1>Wrong token</h1>"),
            std::string::npos);
  std::string cookie(*call("POST", "/login", "token=" + kApiToken).header("Set-Cookie"));
  cookie = cookie.substr(0, cookie.find(';'));

  auto empty = call("GET", "/", "", {{"Cookie", cookie}});
  ASSERT_EQ(empty.status, 200);
  EXPECT_NE(empty.body.find("<h2>Devices (0)</h2>"), std::string::npos) << empty.body;
  EXPECT_NE(empty.body.find("<td colspan=\"6\">No devices yet."), std::string::npos);
  EXPECT_NE(empty.body.find("<td colspan=\"3\">No bindings.</td>"), std::string::npos);

  auto light = Json::parse(kNotice);
  light["description"] = "<b>\"Hall\" & 'stairs'</b>";
  ASSERT_EQ(announce(light.dump()).status, 201);
  bind_a_switch_that_fired("<on>", "4.04 <gone>");

  auto page = call("GET", "/", "", {{"Cookie", cookie}});
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Cache-Control"), "no-store");
  const std::string& html = page.body;
  EXPECT_EQ(html.find("{{"), std::string::npos);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
  EXPECT_NE(html.find("CoAPS 192.0.2.7:5684 &middot; fingerprint " + std::string(64, 'f') +
                      " &middot; policy strict"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<h2>Devices (2)</h2>"), std::string::npos);
  EXPECT_NE(
      html.find("<span class=\"sub\">&lt;b&gt;&quot;Hall&quot; &amp; &#39;stairs&#39;&lt;/b&gt;"
                "</span>"),
      std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("<td data-label=\"From\">urn:dev:ops:32473-Switch-0001 /switch</td>"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;on&gt; <span class=\"sub\">2026-11-28T"), std::string::npos) << html;
  EXPECT_NE(html.find("<span class=\"badge warn\">4.04 &lt;gone&gt;</span>"), std::string::npos);
  EXPECT_EQ(html.find("No devices yet"), std::string::npos);
  EXPECT_EQ(html.find("No bindings"), std::string::npos);
}

TEST_F(ApiTest, DevicesCanBeRemoved) {
  ASSERT_EQ(announce().status, 201);
  EXPECT_EQ(call("DELETE", "/api/v1/devices/" + kUrn, "", api_auth()).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/devices/" + kUrn, "", api_auth()).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/devices/" + kUrn, "", api_auth()).status, 404);
}

// A Device's payload, and a URN in a path, are any bytes: answers that carry
// them are still JSON (invalid UTF-8 becomes U+FFFD), never a throw.
TEST_F(ApiTest, BytesThatAreNotUtf8AreAnsweredNotThrown) {
  ASSERT_EQ(announce().status, 201);
  auto missing = call("GET", "/api/v1/devices/urn%FF", "", api_auth());
  EXPECT_EQ(missing.status, 404);
  EXPECT_FALSE(Json::parse(missing.body, nullptr, false).is_discarded()) << missing.body;
  bind_a_switch_that_fired("\xff\x01", "");
  auto list = call("GET", "/api/v1/bindings", "", api_auth());
  ASSERT_EQ(list.status, 200);
  auto json = Json::parse(list.body, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << list.body;
  EXPECT_EQ(json["bindings"][0]["last_value"], "\xef\xbf\xbd\x01");
}

}  // namespace
}  // namespace tte::controller
