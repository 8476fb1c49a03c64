#include "api_client.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "tte/platform/http_server.hpp"

namespace tte::controller {
namespace {

http::FetchResult answer(int status, std::string body) {
  http::FetchResult result;
  result.response.status = status;
  result.response.body = std::move(body);
  return result;
}

TEST(ControllerApiClient, BuildsTargetsWithEncodedSegments) {
  EXPECT_EQ(device_target("urn:dev:ops:32473-Light-1"),
            "/api/v1/devices/urn:dev:ops:32473-Light-1");
  EXPECT_EQ(device_target("a b/c"), "/api/v1/devices/a%20b%2Fc");
  EXPECT_EQ(resource_target("urn:dev:mac:0024beffff000001", "/light"),
            "/api/v1/devices/urn:dev:mac:0024beffff000001/resources/light");
  EXPECT_EQ(resource_target("u", "a/b c/d"), "/api/v1/devices/u/resources/a/b%20c/d");
  EXPECT_EQ(resource_target("u", "/a?x"), "/api/v1/devices/u/resources/a%3Fx");
  EXPECT_EQ(observe_target("u", "/switch", 30, std::nullopt),
            "/api/v1/devices/u/observe/switch?wait=30");
  EXPECT_EQ(observe_target("u", "/switch", 5, 17),
            "/api/v1/devices/u/observe/switch?wait=5&after=17");
  EXPECT_EQ(binding_target("12"), "/api/v1/bindings/12");
  EXPECT_EQ(binding_target("1&x"), "/api/v1/bindings/1%26x");
}

TEST(ControllerApiClient, ReachesAListenerOnEveryAddressOverLoopback) {
  EXPECT_EQ(local_api_url({"0.0.0.0", 8080}), "http://127.0.0.1:8080");
  EXPECT_EQ(local_api_url({"::", 8080}), "http://[::1]:8080");
  EXPECT_EQ(local_api_url({"192.0.2.7", 80}), "http://192.0.2.7:80");
}

TEST(ControllerApiClient, ReadsAnswersAndTheirExitStatuses) {
  ApiAnswer ok = interpret_answer(answer(200, R"({"devices":[]})"), {200});
  EXPECT_FALSE(ok.failure);
  EXPECT_TRUE(ok.json["devices"].is_array());
  EXPECT_EQ(interpret_answer(answer(204, ""), {204}).json, ApiJson::object());
  EXPECT_EQ(interpret_answer(answer(200, "not json"), {200}).json, ApiJson::object());

  auto failure_of = [](int status, std::string body) {
    ApiAnswer refused = interpret_answer(answer(status, std::move(body)), {200});
    EXPECT_TRUE(refused.failure) << status;
    return refused.failure.value_or(CommandFailure{0, ""});
  };
  CommandFailure missing = failure_of(404, R"({"status":404,"detail":"no device u"})");
  EXPECT_EQ(missing.status, 3);
  EXPECT_EQ(missing.message, "no device u (HTTP 404)");
  EXPECT_EQ(failure_of(409, "").status, 4);
  EXPECT_EQ(failure_of(502, "").status, 4);
  EXPECT_EQ(failure_of(504, "").status, 4);
  EXPECT_EQ(failure_of(401, "").status, 1);
  EXPECT_EQ(failure_of(400, "").message, "HTTP 400 (HTTP 400)");
  EXPECT_EQ(failure_of(400, R"({"detail":7})").message, "HTTP 400 (HTTP 400)");
  EXPECT_EQ(failure_of(400, "[1]").status, 3);

  http::FetchResult unreachable;
  unreachable.failure = http::FetchResult::Failure::connect;
  unreachable.error = "connection refused";
  ApiAnswer down = interpret_answer(unreachable, {200});
  ASSERT_TRUE(down.failure);
  EXPECT_EQ(down.failure->status, 1);
  EXPECT_EQ(down.failure->message, "cannot reach the Controller: connection refused");
}

TEST(ControllerApiClient, PayloadsAsText) {
  EXPECT_EQ(payload_text(ApiJson{{"payload", "on"}}), "on");
  EXPECT_EQ(payload_text(ApiJson{{"payload_hex", "00ff"}}), "0x00ff");
  EXPECT_EQ(payload_text(ApiJson{{"code", "2.04"}}), "");
  EXPECT_EQ(payload_text(ApiJson::array()), "");
}

// The client against a real HTTP server on port 0 that answers like the API.
class ApiClientAgainstAServer : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ListenerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    port_ = server_.listen(options, [this](http::Request request, http::Respond respond) {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.push_back(request);
      const std::string target = request.target;
      if (target == "/api/v1/devices") {
        return respond(http::make_response(200, "application/json", R"({"devices":[]})"));
      }
      if (target.rfind("/api/v1/devices/urn:dev:ops:32473-Light-1/observe/light", 0) == 0) {
        const bool first = target.find("after=") == std::string::npos;
        return respond(http::make_response(
            200, "application/json",
            first ? R"({"notifications":[{"seq":4,"payload":"on"},{"seq":5,"payload":"off"}]})"
                  : R"({"notifications":[{"seq":6,"payload":"on"}]})"));
      }
      if (request.method == "PUT") {
        return respond(
            http::make_response(200, "application/json", R"({"code":"2.04","payload":""})"));
      }
      respond(http::make_response(409, "application/problem+json",
                                  R"({"status":409,"detail":"not connected"})"));
    });
    thread_ = std::thread([this] { server_.run_until_signal(std::chrono::seconds(1)); });
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

  Logger logger_{"api_client_test", LogFormat::text, LogLevel::error};
  http::Server server_{logger_, 1};
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<http::Request> seen_;
};

TEST_F(ApiClientAgainstAServer, SendsTheTokenAndReadsTheAnswers) {
  ControllerApiClient client(url(), "secret");
  EXPECT_EQ(client.base_url(), "http://127.0.0.1:" + std::to_string(port_));
  EXPECT_TRUE(client.devices()["devices"].is_array());
  ApiJson reply = client.request("PUT", "urn:dev:ops:32473-Light-1", "/light", "on", "text/plain");
  EXPECT_EQ(reply["code"], "2.04");
  try {
    client.device("urn:dev:ops:32473-Light-1");
    ADD_FAILURE() << "no failure";
  } catch (const CommandFailure& failure) {
    EXPECT_EQ(failure.status, 4);
    EXPECT_EQ(failure.message, "not connected (HTTP 409)");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[0].header("Authorization"), "Bearer secret");
  EXPECT_EQ(seen_[1].target, "/api/v1/devices/urn:dev:ops:32473-Light-1/resources/light");
  EXPECT_EQ(seen_[1].body, "on");
  EXPECT_EQ(seen_[1].header("Content-Type"), "text/plain");
}

TEST_F(ApiClientAgainstAServer, FollowsValuesUntilTheCount) {
  ControllerApiClient client(url(), "secret");
  std::vector<std::string> values;
  client.follow("urn:dev:ops:32473-Light-1", "/light", FollowLimits{3, std::nullopt},
                [&](const ApiJson& notification) { values.push_back(payload_text(notification)); });
  EXPECT_EQ(values, (std::vector<std::string>{"on", "off", "on"}));
  std::lock_guard<std::mutex> lock(mutex_);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].target, "/api/v1/devices/urn:dev:ops:32473-Light-1/observe/light?wait=30");
  EXPECT_EQ(seen_[1].target,
            "/api/v1/devices/urn:dev:ops:32473-Light-1/observe/light?wait=30&after=5");
}

}  // namespace
}  // namespace tte::controller
