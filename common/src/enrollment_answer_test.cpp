#include "tte/enrollment_answer.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

EnrollmentAnswer answer_of(const nlohmann::json& json) {
  EnrollmentAnswer answer;
  answer.controller.ip = *IpAddress::parse(json["cip"].get<std::string>());
  answer.controller.port = json["cport"].get<std::uint16_t>();
  answer.controller_fingerprint = *Fingerprint::parse(json["cfingerprint"].get<std::string>());
  if (json.contains("cpsk")) {
    auto psk = testing::from_hex(json["cpsk"].get<std::string>());
    std::copy(psk.begin(), psk.end(), answer.psk.begin());
    answer.has_psk = true;
  }
  return answer;
}

TEST(EnrollmentAnswer, ValidVectorsRoundTripByteForByte) {
  for (const auto& c : testing::load_vectors("enrollment_answer.json")["valid"]) {
    SCOPED_TRACE(c.dump());
    EnrollmentAnswer expected = answer_of(c["json"]);
    std::uint8_t buffer[EnrollmentAnswer::kMaxEncodedSize];
    auto encoded = expected.encode_cbor(buffer);
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(testing::to_hex(encoded->data(), encoded->size()), c["cbor"].get<std::string>());
    auto bytes = testing::from_hex(c["cbor"].get<std::string>());
    auto decoded = EnrollmentAnswer::decode_cbor(bytes);
    ASSERT_TRUE(decoded.ok()) << testing::describe(decoded);
    EXPECT_EQ(*decoded, expected);
  }
}

TEST(EnrollmentAnswer, DecodeOnlyVectors) {
  for (const auto& c : testing::load_vectors("enrollment_answer.json")["decode_only"]) {
    SCOPED_TRACE(c.dump());
    auto bytes = testing::from_hex(c["cbor"].get<std::string>());
    auto decoded = EnrollmentAnswer::decode_cbor(bytes);
    ASSERT_TRUE(decoded.ok()) << testing::describe(decoded);
    EXPECT_EQ(*decoded, answer_of(c["json"]));
  }
}

TEST(EnrollmentAnswer, InvalidVectors) {
  for (const auto& c : testing::load_vectors("enrollment_answer.json")["invalid"]) {
    SCOPED_TRACE(c.dump());
    auto bytes = testing::from_hex(c["cbor"].get<std::string>());
    EXPECT_TRUE(testing::matches_case(EnrollmentAnswer::decode_cbor(bytes), c));
  }
}

TEST(EnrollmentAnswer, LargestAnswerFitsItsBound) {
  EnrollmentAnswer answer;
  std::array<std::uint8_t, 16> v6{};
  v6.fill(0xff);
  answer.controller.ip = IpAddress::v6(v6);
  answer.controller.port = 65535;
  answer.has_psk = true;
  std::uint8_t buffer[EnrollmentAnswer::kMaxEncodedSize];
  auto encoded = answer.encode_cbor(buffer);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->size(), EnrollmentAnswer::kMaxEncodedSize);
  std::uint8_t small[EnrollmentAnswer::kMaxEncodedSize - 1];
  EXPECT_EQ(answer.encode_cbor(small).error().code, Errc::too_long);
}

TEST(EnrollmentAnswer, EveryTruncationIsRefused) {
  const auto vectors = testing::load_vectors("enrollment_answer.json");
  const auto& c = vectors["valid"][4];
  auto bytes = testing::from_hex(c["cbor"].get<std::string>());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(EnrollmentAnswer::decode_cbor(ByteView(bytes.data(), length)).ok()) << length;
  }
}

}  // namespace
}  // namespace tte
