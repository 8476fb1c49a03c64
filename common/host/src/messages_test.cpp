#include "tte/host/messages.hpp"

#include <gtest/gtest.h>

#include "tte/host/json_fields.hpp"
#include "vectors.hpp"

namespace tte {
namespace {

using Json = nlohmann::json;

TEST(JsonNesting, DeepTextIsRefusedBeforeParsingAndBracketsInStringsDoNotCount) {
  EXPECT_TRUE(json::nesting_within(R"({"a":[[1]],"b":"[[[[["})", 3));
  EXPECT_FALSE(json::nesting_within(R"({"a":[[[1]]]})", 3));
  EXPECT_TRUE(json::nesting_within(R"({"a":"\"[[[[","b":1})", 1));
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(json::nesting_within(deep));
  EXPECT_TRUE(json::parse_untrusted(deep).is_discarded());
  EXPECT_FALSE(json::parse_object("{\"a\":" + deep + "}").ok());
  const std::string fine =
      std::string(json::kMaxJsonDepth, '[') + std::string(json::kMaxJsonDepth, ']');
  EXPECT_TRUE(json::parse_untrusted(fine).is_array());
}

TEST(StateObject, VectorsRoundTrip) {
  for (const auto& c : testing::load_vectors("messages.json")["state_object"]) {
    SCOPED_TRACE(c.dump());
    auto state = StateObject::from_json(c["json"].dump());
    ASSERT_TRUE(state.ok()) << testing::describe(state);
    EXPECT_EQ(Json::parse(state->to_json()), c["json"]);
  }
}

TEST(StateObject, InvalidVectors) {
  for (const auto& c : testing::load_vectors("messages.json")["state_object_invalid"]) {
    SCOPED_TRACE(c.dump());
    EXPECT_TRUE(testing::matches_case(StateObject::from_json(c["text"].get<std::string>()), c));
  }
}

TEST(StateObject, IgnoresMembersItDoesNotKnow) {
  Json json = testing::load_vectors("messages.json")["state_object"][0]["json"];
  json["future"] = {1, 2};
  EXPECT_TRUE(StateObject::from_json(json.dump()).ok());
}

TEST(EnrollmentAnswerJson, MatchesTheCborVectors) {
  for (const auto& c : testing::load_vectors("enrollment_answer.json")["valid"]) {
    SCOPED_TRACE(c.dump());
    auto cbor = testing::from_hex(c["cbor"].get<std::string>());
    auto from_cbor = EnrollmentAnswer::decode_cbor(cbor);
    ASSERT_TRUE(from_cbor.ok());
    EXPECT_EQ(Json::parse(enrollment_answer_to_json(*from_cbor)), c["json"]);
    auto from_json = enrollment_answer_from_json(c["json"].dump());
    ASSERT_TRUE(from_json.ok()) << testing::describe(from_json);
    EXPECT_EQ(*from_json, *from_cbor);
  }
  EXPECT_EQ(
      enrollment_answer_from_json(R"({"cip":"1.2.3.4","cport":0,"cfingerprint":""})").error().code,
      Errc::out_of_range);
  EXPECT_EQ(enrollment_answer_from_json(R"({"cip":"1.2.3.4","cport":"5684"})").error().code,
            Errc::syntax);
}

TEST(DeviceNotice, Vectors) {
  for (const auto& c : testing::load_vectors("messages.json")["device_notice"]) {
    SCOPED_TRACE(c.dump());
    auto notice = DeviceNotice::from_json(c["json"].dump(), IdPolicy::operational);
    ASSERT_TRUE(notice.ok()) << testing::describe(notice);
    EXPECT_EQ(Json::parse(notice->to_json()), c["json"]);
  }
  for (const auto& c : testing::load_vectors("messages.json")["device_notice_invalid"]) {
    SCOPED_TRACE(c.dump());
    EXPECT_TRUE(testing::matches_case(
        DeviceNotice::from_json(c["text"].get<std::string>(), IdPolicy::operational), c));
  }
}

TEST(ClaimRequest, Vectors) {
  for (const auto& c : testing::load_vectors("messages.json")["claim_request"]) {
    SCOPED_TRACE(c.dump());
    auto claim = ClaimRequest::parse(c["query"].get<std::string>(), c["body"].get<std::string>());
    ASSERT_TRUE(claim.ok()) << testing::describe(claim);
    EXPECT_EQ(claim->dev_id.to_string(), c["devid"].get<std::string>());
    EXPECT_EQ(claim->otp.to_string(), c["otp"].get<std::string>());
    EXPECT_EQ(claim->controller.to_string(), c["controller"].get<std::string>());
    EXPECT_EQ(claim->controller_fingerprint.to_string(), c["cfingerprint"].get<std::string>());
    EXPECT_EQ(claim->description, c["description"].get<std::string>());
    EXPECT_EQ(claim->to_query(), c["canonical_query"].get<std::string>());
    auto again = ClaimRequest::parse(claim->to_query(), "");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->to_query(), claim->to_query());
  }
  for (const auto& c : testing::load_vectors("messages.json")["claim_request_invalid"]) {
    SCOPED_TRACE(c.dump());
    EXPECT_TRUE(testing::matches_case(
        ClaimRequest::parse(c["query"].get<std::string>(), c["body"].get<std::string>()), c));
  }
}

TEST(Description, Utf8Rules) {
  EXPECT_TRUE(validate_description("").ok());
  EXPECT_TRUE(validate_description("BLD30/2/361 - Thermostat").ok());
  EXPECT_TRUE(validate_description("Küche – 💡").ok());
  EXPECT_TRUE(validate_description(std::string(256, 'x')).ok());
  EXPECT_EQ(validate_description(std::string(257, 'x')).error().code, Errc::too_long);
  for (const char* bad : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "a\tb",
                          "\x7f", "\xc2\x85", "\xff"}) {
    EXPECT_EQ(validate_description(bad).error().code, Errc::syntax)
        << testing::to_hex(reinterpret_cast<const std::uint8_t*>(bad), std::strlen(bad));
  }
}

TEST(Problem, VectorsRoundTrip) {
  for (const auto& c : testing::load_vectors("messages.json")["problem"]) {
    SCOPED_TRACE(c.dump());
    auto problem = Problem::from_json(c["json"].dump());
    ASSERT_TRUE(problem.ok()) << testing::describe(problem);
    EXPECT_EQ(Json::parse(problem->to_json()), c["json"]);
  }
  EXPECT_EQ(Problem::from_json("{}").error().code, Errc::missing);
}

TEST(BoxClaimRequest, QueryAndFormBody) {
  const std::string fingerprint(64, 'a');
  auto claim = BoxClaimRequest::parse(
      "FIRST=00001000,Count=24;key=000102030405060708090A0B0C0D0E0F",
      "cip=%5B2001%3Adb8%3A%3A7%5D&cport=5684&cfingerprint=" + fingerprint + "&description=Box+1");
  ASSERT_TRUE(claim.ok()) << testing::describe(claim);
  EXPECT_EQ(claim->box.first.value(), 0x1000u);
  EXPECT_EQ(claim->box.count, 24u);
  EXPECT_EQ(claim->box.key[15], 0x0f);
  EXPECT_EQ(claim->controller.to_string(), "[2001:db8::7]:5684");
  EXPECT_EQ(claim->description, "Box 1");
  EXPECT_EQ(claim->to_query(),
            "first=00001000&count=24&key=000102030405060708090a0b0c0d0e0f&cip=2001%3Adb8%3A%3A7&"
            "cport=5684&cfingerprint=" +
                fingerprint + "&description=Box%201");
  auto again = BoxClaimRequest::parse(claim->to_query(), "");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->to_query(), claim->to_query());
}

TEST(BoxClaimRequest, RefusesNamingTheField) {
  const std::string rest = "&cip=192.0.2.7&cport=5684&cfingerprint=" + std::string(64, 'a');
  const std::string key = "&key=" + std::string(32, '0');
  struct Case {
    std::string query;
    std::string body;
    Errc code;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {"count=2" + key + rest, "", Errc::missing, "first"},
           {"first=1&count=10001" + key + rest, "", Errc::out_of_range, "count"},
           {"first=ffffffff&count=2" + key + rest, "", Errc::out_of_range, "count"},
           {"first=1&count=2&key=00" + rest, "", Errc::syntax, "key"},
           {"first=1&count=2" + key + rest, "count=2", Errc::duplicate, "count"},
           {"first=1&count=2" + key, "", Errc::missing, "cip"},
           {"first=1&count=2" + key + rest + "&cport", "", Errc::duplicate, "cport"},
       }) {
    SCOPED_TRACE(c.query + " | " + c.body);
    auto claim = BoxClaimRequest::parse(c.query, c.body);
    ASSERT_FALSE(claim.ok());
    EXPECT_EQ(claim.error().code, c.code);
    ASSERT_NE(claim.error().field, nullptr);
    EXPECT_STREQ(claim.error().field, c.field);
  }
}

StateObject example_state(std::uint32_t dev_id, DeviceState state) {
  auto parsed = StateObject::from_json(
      testing::load_vectors("messages.json")["state_object"][0]["json"].dump());
  StateObject object = parsed.value();
  object.dev_id = DevId(dev_id);
  object.state = state;
  return object;
}

TEST(BoxClaimAnswer, RoundTripsAndChecksTheList) {
  BoxClaimAnswer answer{
      DevId(0x1000),
      2,
      {example_state(0x1000, DeviceState::mapped), example_state(0x1001, DeviceState::mapped)}};
  std::string text = answer.to_json();
  EXPECT_EQ(
      text.rfind("{\"first\":\"00001000\",\"count\":2,\"devices\":[{\"devid\":\"00001000\"", 0), 0u)
      << text;
  auto parsed = BoxClaimAnswer::from_json(text);
  ASSERT_TRUE(parsed.ok()) << testing::describe(parsed);
  EXPECT_EQ(parsed->to_json(), text);
  Json json = Json::parse(text);
  json["count"] = 3;
  EXPECT_EQ(BoxClaimAnswer::from_json(json.dump()).error().code, Errc::out_of_range);
  json = Json::parse(text);
  std::swap(json["devices"][0], json["devices"][1]);
  EXPECT_EQ(BoxClaimAnswer::from_json(json.dump()).error().code, Errc::syntax);
  json = Json::parse(text);
  json["count"] = 10001;
  EXPECT_EQ(BoxClaimAnswer::from_json(json.dump()).error().code, Errc::out_of_range);
  EXPECT_EQ(BoxClaimAnswer::from_json("{\"first\":\"00001000\",\"count\":1}").error().code,
            Errc::missing);
}

TEST(Problem, NamesABoxsUsedDevices) {
  Problem problem;
  problem.status = 409;
  problem.type = "https://iana.org/assignments/http-problem-types#tte-otp-used";
  problem.title = "OTP already used";
  problem.devices = {example_state(0x1003, DeviceState::registered)};
  auto parsed = Problem::from_json(problem.to_json());
  ASSERT_TRUE(parsed.ok()) << testing::describe(parsed);
  ASSERT_EQ(parsed->devices.size(), 1u);
  EXPECT_EQ(parsed->devices[0].dev_id.value(), 0x1003u);
  EXPECT_EQ(parsed->to_json(), problem.to_json());
  // No devices: no member (the single claim's problems are unchanged).
  problem.devices.clear();
  EXPECT_EQ(problem.to_json().find("devices"), std::string::npos);
}

}  // namespace
}  // namespace tte
