#include "tte/host/messages.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

using Json = nlohmann::json;

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

}  // namespace
}  // namespace tte
