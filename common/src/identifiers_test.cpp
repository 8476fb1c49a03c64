#include "tte/identifiers.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

using testing::load_vectors;
using testing::matches_case;
using testing::policy_of;

TEST(MsId, VectorsFromValue) {
  for (const auto& c : load_vectors("identifiers.json")["ms_id"]["from_value"]) {
    SCOPED_TRACE(c.dump());
    auto id = MsId::from_value(c["value"].get<std::uint32_t>(), policy_of(c));
    ASSERT_TRUE(matches_case(id, c));
    if (id.ok()) {
      EXPECT_EQ(id->host(), c["host"].get<std::string>());
    }
  }
}

TEST(MsId, VectorsFromHost) {
  for (const auto& c : load_vectors("identifiers.json")["ms_id"]["from_host"]) {
    SCOPED_TRACE(c.dump());
    auto id = MsId::from_host(c["input"].get<std::string>(), policy_of(c));
    ASSERT_TRUE(matches_case(id, c));
    if (id.ok()) {
      EXPECT_EQ(id->value(), c["value"].get<std::uint32_t>());
    }
  }
}

TEST(MsId, VectorsParseNumber) {
  for (const auto& c : load_vectors("identifiers.json")["ms_id"]["parse_number"]) {
    SCOPED_TRACE(c.dump());
    auto id = MsId::parse_number(c["input"].get<std::string>(), policy_of(c));
    ASSERT_TRUE(matches_case(id, c));
    if (id.ok()) {
      EXPECT_EQ(id->value(), c["value"].get<std::uint32_t>());
    }
  }
}

TEST(MsId, HostIsTheDraftsExample) {
  // Draft Section 3.4: "the host name for the MotherShip ID 10 would be tte-00000A.net".
  EXPECT_EQ(MsId::from_value(10, IdPolicy::operational)->host(), "tte-00000A.net");
  auto example = MsId::from_value(0, IdPolicy::allow_example);
  ASSERT_TRUE(example.ok());
  EXPECT_TRUE(example->is_example());
  EXPECT_EQ(example->host(), "tte-000000.net");
}

TEST(MsId, EveryHighByteIsReserved) {
  for (std::uint32_t high = 1; high <= 0xff; ++high) {
    auto id = MsId::from_value(high << 24 | 1, IdPolicy::allow_example);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.error().code, Errc::reserved);
  }
}

TEST(DevId, Vectors) {
  for (const auto& c : load_vectors("identifiers.json")["dev_id"]) {
    SCOPED_TRACE(c.dump());
    auto id = DevId::parse(c["input"].get<std::string>());
    ASSERT_TRUE(matches_case(id, c));
    if (id.ok()) {
      EXPECT_EQ(id->to_string(), c["canonical"].get<std::string>());
    }
  }
}

TEST(DevId, EveryLengthAndBoundary) {
  for (std::size_t digits = 1; digits <= 8; ++digits) {
    auto id = DevId::parse(std::string(digits, 'F'));
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id->value(), digits == 8 ? 0xffffffffu : (1u << (4 * digits)) - 1);
  }
  EXPECT_EQ(DevId::parse(std::string(9, '0')).error().code, Errc::too_long);
  EXPECT_EQ(DevId::parse(std::string("\0", 1)).error().code, Errc::syntax);
  EXPECT_EQ(DevId(0xABCDEF01).to_string(), "abcdef01");
}

TEST(Otp, Vectors) {
  for (const auto& c : load_vectors("identifiers.json")["otp"]) {
    SCOPED_TRACE(c.dump());
    auto otp = Otp::parse(c["input"].get<std::string>());
    ASSERT_TRUE(matches_case(otp, c));
    if (otp.ok()) {
      EXPECT_EQ(otp->to_string(), c["canonical"].get<std::string>());
    }
  }
}

TEST(Otp, BytesAreBigEndian) {
  auto bytes = Otp(0x123456789abcdef0).to_bytes();
  EXPECT_EQ(testing::to_hex(bytes.data(), bytes.size()), "123456789abcdef0");
  EXPECT_EQ(Otp::parse("FFFFFFFFFFFFFFFF")->value(), 0xffffffffffffffffu);
}

TEST(Fingerprint, Vectors) {
  for (const auto& c : load_vectors("identifiers.json")["fingerprint"]) {
    SCOPED_TRACE(c.dump());
    auto fingerprint = Fingerprint::parse(c["input"].get<std::string>());
    ASSERT_TRUE(matches_case(fingerprint, c));
    if (fingerprint.ok()) {
      EXPECT_EQ(fingerprint->to_string(), c["canonical"].get<std::string>());
    }
  }
}

TEST(Fingerprint, ComparesWholeValue) {
  Fingerprint::Bytes a{};
  Fingerprint::Bytes b{};
  b[31] = 1;
  EXPECT_TRUE(Fingerprint(a).matches(Fingerprint(a)));
  EXPECT_FALSE(Fingerprint(a).matches(Fingerprint(b)));
  b[31] = 0;
  b[0] = 0x80;
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
  std::uint8_t short_bytes[31] = {};
  EXPECT_EQ(Fingerprint::from_bytes(short_bytes).error().code, Errc::syntax);
}

}  // namespace
}  // namespace tte
