#include "mothership_client.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "vectors.hpp"

namespace tte::introducer {
namespace {

http::FetchResult answered(int status, std::string body, http::Headers headers = {}) {
  http::FetchResult result;
  result.response.status = status;
  result.response.body = std::move(body);
  result.response.headers = std::move(headers);
  return result;
}

http::FetchResult failed(http::FetchResult::Failure failure, std::string error) {
  http::FetchResult result;
  result.failure = failure;
  result.error = std::move(error);
  return result;
}

std::string state_json() {
  return testing::load_vectors("messages.json")["state_object"][0]["json"].dump();
}
std::string problem_json() {
  return testing::load_vectors("messages.json")["problem"][0]["json"].dump();
}

std::string problem(int status, const std::string& detail, const std::string& field = "") {
  Problem p;
  p.status = status;
  p.type = "about:blank";
  p.title = "t";
  p.detail = detail;
  p.field = field;
  return p.to_json();
}

TEST(Interpret, MappedIsOkWithTheDevice) {
  auto answer = interpret(answered(200, state_json()));
  EXPECT_EQ(answer.verdict, Verdict::ok);
  ASSERT_TRUE(answer.device);
  EXPECT_EQ(answer.device->dev_id.to_string().view(), "abcdef01");
  EXPECT_EQ(exit_code_of(answer.verdict), exit_code::ok);
}

TEST(Interpret, A200ThatIsNotAStateObjectIsTheMotherShipsFault) {
  auto answer = interpret(answered(200, "<html>hello</html>"));
  EXPECT_EQ(answer.verdict, Verdict::mothership_error);
  EXPECT_NE(answer.detail.find("not a state object"), std::string::npos);
}

TEST(Interpret, AlreadyUsedCarriesWhoeverMappedIt) {
  auto answer = interpret(answered(409, problem_json()));
  EXPECT_EQ(answer.verdict, Verdict::already_used);
  ASSERT_TRUE(answer.device);
  EXPECT_TRUE(answer.device->mapped_at);
  EXPECT_EQ(exit_code_of(answer.verdict), exit_code::already_used);
}

TEST(Interpret, EachStatusHasItsOwnVerdictAndExitCode) {
  struct Case {
    int status;
    Verdict verdict;
    int exit;
  };
  for (const Case& c :
       {Case{400, Verdict::rejected, 7}, Case{403, Verdict::not_recognised, 4},
        Case{410, Verdict::revoked, 5}, Case{429, Verdict::throttled, 6},
        Case{500, Verdict::mothership_error, 10}, Case{503, Verdict::mothership_error, 10},
        Case{404, Verdict::mothership_error, 10}}) {
    auto answer =
        interpret(answered(c.status, problem(c.status, "because", c.status == 400 ? "cport" : "")));
    EXPECT_EQ(answer.verdict, c.verdict) << c.status;
    EXPECT_EQ(exit_code_of(answer.verdict), c.exit) << c.status;
    EXPECT_EQ(answer.status, c.status);
    EXPECT_EQ(answer.detail, "because");
  }
  EXPECT_EQ(interpret(answered(400, problem(400, "bad port", "cport"))).field, "cport");
}

TEST(Interpret, ThrottledReadsRetryAfter) {
  auto answer = interpret(answered(429, problem(429, "slow down"), {{"Retry-After", "120"}}));
  EXPECT_EQ(answer.verdict, Verdict::throttled);
  EXPECT_EQ(answer.retry_after, 120);
}

TEST(Interpret, ANonProblemErrorBodyStillGivesTheStatus) {
  auto answer = interpret(answered(502, "Bad Gateway"));
  EXPECT_EQ(answer.verdict, Verdict::mothership_error);
  EXPECT_EQ(answer.detail, "HTTP 502");
}

TEST(Interpret, TransportFailures) {
  using F = http::FetchResult::Failure;
  EXPECT_EQ(interpret(failed(F::tls, "certificate verify failed")).verdict, Verdict::certificate);
  EXPECT_EQ(exit_code_of(Verdict::certificate), exit_code::certificate);
  for (F f : {F::url, F::resolve, F::connect, F::timeout}) {
    EXPECT_EQ(interpret(failed(f, "x")).verdict, Verdict::unreachable);
  }
  EXPECT_FALSE(interpret(failed(F::connect, "refused")).answer_lost);  // nothing was sent
  EXPECT_TRUE(interpret(failed(F::timeout, "no answer")).answer_lost);
  auto broken = interpret(failed(F::protocol, "garbled"));
  EXPECT_EQ(broken.verdict, Verdict::mothership_error);
  EXPECT_EQ(broken.detail, "garbled");
  EXPECT_TRUE(broken.answer_lost);
}

BoxUrl example_box(std::uint32_t count = 3) {
  auto box = BoxUrl::make(MsId::from_host("tte-00000A.net", IdPolicy::operational).value(),
                          DevId(0x1000), count, BoxUrl::Key{});
  EXPECT_TRUE(box.ok());
  return box.value();
}

// A state object for Dev ID devid (the vector's, renumbered).
nlohmann::json state_of(std::uint32_t devid, const char* state = "mapped") {
  auto json = nlohmann::json::parse(state_json());
  char id[9];
  std::snprintf(id, sizeof id, "%08x", devid);
  json["devid"] = id;
  json["state"] = state;
  return json;
}

TEST(InterpretBox, MappedListsEveryDeviceInOrder) {
  nlohmann::json body{{"first", "00001000"},
                      {"count", 3},
                      {"devices", {state_of(0x1000), state_of(0x1001), state_of(0x1002)}}};
  BoxAnswer answer = interpret_box(answered(200, body.dump()), example_box());
  ASSERT_EQ(answer.verdict, Verdict::ok) << answer.detail;
  ASSERT_EQ(answer.devices.size(), 3u);
  EXPECT_EQ(answer.devices[2].dev_id.value(), 0x1002u);
}

TEST(InterpretBox, AnAnswerForAnotherBoxIsTheMotherShipsFault) {
  for (const nlohmann::json& body :
       {nlohmann::json{{"first", "00001000"},
                       {"count", 3},
                       {"devices", {state_of(0x1000), state_of(0x1002), state_of(0x1001)}}},
        nlohmann::json{
            {"first", "00001000"}, {"count", 2}, {"devices", {state_of(0x1000), state_of(0x1001)}}},
        nlohmann::json{{"first", "00001001"},
                       {"count", 3},
                       {"devices", {state_of(0x1000), state_of(0x1001), state_of(0x1002)}}},
        nlohmann::json{
            {"first", "00001000"},
            {"count", 3},
            {"devices", {state_of(0x1000), state_of(0x1001, "unmapped"), state_of(0x1002)}}},
        nlohmann::json{{"first", "00001000"}, {"count", 3}}, nlohmann::json::array()}) {
    EXPECT_EQ(interpret_box(answered(200, body.dump()), example_box()).verdict,
              Verdict::mothership_error)
        << body;
  }
}

// Found by a black-box test: 300,000 '[' in a 200 crashed the Introducer (a
// recursive dump() past the stack). Deep JSON is now refused before parsing.
TEST(InterpretBox, DeeplyNestedJsonIsTheMotherShipsFaultNotACrash) {
  const std::string deep =
      "{\"first\":\"00001000\",\"count\":3,\"devices\":" + std::string(300000, '[') +
      std::string(300000, ']') + "}";
  EXPECT_EQ(interpret_box(answered(200, deep), example_box()).verdict, Verdict::mothership_error);
  EXPECT_EQ(interpret_box(answered(409, deep), example_box()).verdict, Verdict::already_used);
}

TEST(InterpretBox, AlreadyUsedNamesExactlyTheUsedDevices) {
  nlohmann::json body = nlohmann::json::parse(problem_json());
  body["devices"] = {state_of(0x1001), state_of(0x1002, "revoked")};
  BoxAnswer answer = interpret_box(answered(409, body.dump()), example_box());
  EXPECT_EQ(answer.verdict, Verdict::already_used);
  EXPECT_EQ(exit_code_of(answer.verdict), exit_code::already_used);
  ASSERT_EQ(answer.devices.size(), 2u);
  EXPECT_EQ(answer.devices[1].state, DeviceState::revoked);
  body["devices"] = {state_of(0x2000)};  // not of this box
  EXPECT_EQ(interpret_box(answered(409, body.dump()), example_box()).verdict,
            Verdict::mothership_error);
  EXPECT_EQ(interpret_box(answered(429, "{}", {{"Retry-After", "30"}}), example_box()).retry_after,
            30);
  EXPECT_EQ(interpret_box(answered(403, "{}"), example_box()).verdict, Verdict::not_recognised);
  EXPECT_EQ(interpret_box(failed(http::FetchResult::Failure::tls, "bad"), example_box()).verdict,
            Verdict::certificate);
}

TEST(BoxClaimQuery, CarriesTheBoxAndTheControllerButNoDeviceOtp) {
  ClaimRequest claim{DevId(0x1000),
                     Otp(0x123456789abcdef0ull),
                     ControllerAddress::parse("192.0.2.7:5684").value(),
                     Fingerprint::parse(std::string(64, 'a')).value(),
                     "Hall 2",
                     std::nullopt};
  EXPECT_EQ(box_claim_query(example_box(24), claim),
            "first=00001000&count=24&key=00000000000000000000000000000000&cip=192.0.2.7&cport=5684"
            "&cfingerprint=" +
                std::string(64, 'a') + "&description=Hall%202");
}

TEST(ExitCodes, AreDistinctPerVerdict) {
  std::set<int> codes;
  for (Verdict v : {Verdict::ok, Verdict::already_used, Verdict::not_recognised, Verdict::revoked,
                    Verdict::throttled, Verdict::rejected, Verdict::certificate,
                    Verdict::unreachable, Verdict::mothership_error}) {
    EXPECT_TRUE(codes.insert(exit_code_of(v)).second) << verdict_name(v);
  }
}

}  // namespace
}  // namespace tte::introducer
