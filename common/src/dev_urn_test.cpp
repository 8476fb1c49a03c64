#include "tte/dev_urn.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

const char* kind_name(DevUrn::Kind kind) {
  switch (kind) {
    case DevUrn::Kind::mac:
      return "mac";
    case DevUrn::Kind::ow:
      return "ow";
    case DevUrn::Kind::org:
      return "org";
    case DevUrn::Kind::os:
      return "os";
    case DevUrn::Kind::ops:
      return "ops";
    case DevUrn::Kind::other:
      return "other";
  }
  return "?";
}

TEST(DevUrn, Vectors) {
  for (const auto& c : testing::load_vectors("identifiers.json")["urn"]) {
    SCOPED_TRACE(c.dump());
    auto urn = DevUrn::parse(c["input"].get<std::string>());
    ASSERT_TRUE(testing::matches_case(urn, c));
    if (!urn.ok()) continue;
    EXPECT_EQ(urn->view(), c["canonical"].get<std::string>());
    EXPECT_STREQ(kind_name(urn->kind()), c["kind"].get<std::string>().c_str());
    auto suggested = urn->suggested_dev_id();
    if (c.contains("suggested_devid")) {
      ASSERT_TRUE(suggested.ok());
      EXPECT_EQ(suggested->to_string(), c["suggested_devid"].get<std::string>());
    } else {
      EXPECT_EQ(suggested.error().code, Errc::unsupported);
    }
  }
}

TEST(DevUrn, SubtypeAndEquality) {
  auto a = DevUrn::parse("URN:DEV:ops:32473-Refrigerator-5002");
  auto b = DevUrn::parse("urn:dev:ops:32473-Refrigerator-5002");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->subtype(), "ops");
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *DevUrn::parse("urn:dev:ops:32473-Refrigerator-5003"));
}

TEST(DevUrn, RefusesEveryCharacterOutsideTheAbnf) {
  for (int c = 0; c < 256; ++c) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == ':' || c == '_';
    std::string text = "urn:dev:example:ab";
    text += static_cast<char>(c);
    text += "cd";
    auto urn = DevUrn::parse(text);
    EXPECT_EQ(urn.ok(), allowed) << "character " << c;
  }
}

TEST(DevUrn, ShortHexKeepsItsValue) {
  // Fewer than 4 bytes: the whole identifier is the Dev ID.
  EXPECT_EQ(DevUrn::parse("urn:dev:mac:0102")->suggested_dev_id()->value(), 0x0102u);
  EXPECT_EQ(DevUrn::parse("urn:dev:ow:10e2073a01080063_temp")->suggested_dev_id()->value(),
            0x01080063u);
}

}  // namespace
}  // namespace tte
