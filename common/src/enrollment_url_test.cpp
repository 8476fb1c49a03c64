#include "tte/enrollment_url.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "vectors.hpp"

namespace tte {
namespace {

TEST(EnrollmentUrl, Vectors) {
  for (const auto& c : testing::load_vectors("enrollment_url.json")["enrollment_url"]) {
    SCOPED_TRACE(c.dump());
    auto url = EnrollmentUrl::parse(c["input"].get<std::string>(), testing::policy_of(c));
    ASSERT_TRUE(testing::matches_case(url, c));
    if (!url.ok()) continue;
    EXPECT_EQ(url->ms_id().value(), c["ms_id"].get<std::uint32_t>());
    EXPECT_EQ(url->dev_id().to_string(), c["devid"].get<std::string>());
    EXPECT_EQ(url->otp().to_string(), c["otp"].get<std::string>());
    EXPECT_EQ(url->to_string(), c["canonical"].get<std::string>());
  }
}

TEST(EnrollmentUrl, DraftExampleRoundTripsOnlyWhenExamplesAreAllowed) {
  const auto example = testing::load_vectors("draft_example.json");
  const std::string canonical = example["enrollment_url"];
  for (const std::string& input : {canonical, example["draft_text_url"].get<std::string>()}) {
    auto url = EnrollmentUrl::parse(input, IdPolicy::allow_example);
    ASSERT_TRUE(url.ok()) << testing::describe(url);
    EXPECT_EQ(url->ms_id().value(), 0u);
    EXPECT_EQ(url->dev_id().value(), 0xABCDEF01u);
    EXPECT_EQ(url->otp().value(), 0x123456789abcdef0u);
    EXPECT_EQ(url->to_string(),
              "https://tte-000000.net/.well-known/tte?otp=123456789abcdef0&devid=abcdef01");
    EXPECT_EQ(url->to_string().size(), EnrollmentUrl::kLength);

    EXPECT_EQ(url->to_string(), canonical);
    EXPECT_EQ(url->ms_id().host(), example["host"].get<std::string>());
    auto refused = EnrollmentUrl::parse(input, IdPolicy::operational);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::reserved);
  }
}

TEST(EnrollmentUrl, CanonicalFormIsAlways74Characters) {
  auto ms = MsId::from_value(0xFFFFFF, IdPolicy::operational);
  for (std::uint64_t otp : {0ull, 1ull, 0xffffffffffffffffull}) {
    EnrollmentUrl url(*ms, DevId(static_cast<std::uint32_t>(otp)), Otp(otp));
    auto text = url.to_string();
    EXPECT_EQ(text.size(), EnrollmentUrl::kLength);
    EXPECT_EQ(*EnrollmentUrl::parse(text.view(), IdPolicy::operational), url);
  }
}

TEST(DeviceCredentials, FromAStatusQuery) {
  auto credentials = parse_device_credentials("devid=2&otp=FF&cip=1.2.3.4");
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->dev_id.value(), 2u);
  EXPECT_EQ(credentials->otp.value(), 0xffu);
  EXPECT_EQ(parse_device_credentials("devid=2").error().code, Errc::missing);
}

TEST(BoxUrl, Vectors) {
  for (const auto& c : testing::load_vectors("enrollment_url.json")["box_url"]) {
    SCOPED_TRACE(c.dump());
    auto box = BoxUrl::parse(c["input"].get<std::string>(), testing::policy_of(c));
    ASSERT_TRUE(testing::matches_case(box, c));
    if (!box.ok()) continue;
    EXPECT_EQ(box->ms_id().value(), c["ms_id"].get<std::uint32_t>());
    EXPECT_EQ(box->first().to_string(), c["first"].get<std::string>());
    EXPECT_EQ(box->count(), c["count"].get<std::uint32_t>());
    EXPECT_EQ(testing::to_hex(box->key().data(), box->key().size()), c["key"].get<std::string>());
    EXPECT_EQ(box->to_string(), c["canonical"].get<std::string>());
  }
}

TEST(BoxUrl, Contains) {
  auto ms = MsId::from_value(10, IdPolicy::operational);
  auto box = BoxUrl::make(*ms, DevId(0xfffffff0), 16, BoxUrl::Key{});
  ASSERT_TRUE(box.ok());
  EXPECT_TRUE(box->contains(DevId(0xfffffff0)));
  EXPECT_TRUE(box->contains(DevId(0xffffffff)));
  EXPECT_FALSE(box->contains(DevId(0xffffffef)));
  EXPECT_EQ(BoxUrl::make(*ms, DevId(0xfffffff0), 17, BoxUrl::Key{}).error().code,
            Errc::out_of_range);
}

TEST(BoxCredentials, FromAClaimQuery) {
  auto box = parse_box_credentials(
      "FIRST=00001000;count=24,Key=000102030405060708090A0B0C0D0E0F&cip=1.2.3.4&&");
  ASSERT_TRUE(box.ok()) << testing::describe(box);
  EXPECT_EQ(box->first.value(), 0x1000u);
  EXPECT_EQ(box->count, 24u);
  EXPECT_EQ(testing::to_hex(box->key.data(), box->key.size()), "000102030405060708090a0b0c0d0e0f");
  auto percent = parse_box_credentials("first=%30%30001000&count=1&key=" + std::string(32, 'a'));
  ASSERT_TRUE(percent.ok());
  EXPECT_EQ(percent->first.value(), 0x1000u);
}

TEST(BoxCredentials, RefusesNamingTheParameter) {
  const std::string key = "&key=" + std::string(32, '0');
  struct Case {
    std::string query;
    std::optional<Errc> code;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {"count=2" + key, Errc::missing, "first"},
           {"first=1" + key, Errc::missing, "count"},
           {"first=1&count=2", Errc::missing, "key"},
           {"first=1&count=2&count=2" + key, Errc::duplicate, "count"},
           {"first=1&first=1&count=2" + key, Errc::duplicate, "first"},
           {"first=1&count=0" + key, Errc::out_of_range, "count"},
           {"first=1&count=10000" + key, std::nullopt, ""},
           {"first=1&count=10001" + key, Errc::out_of_range, "count"},
           {"first=1&count=1000000" + key, Errc::out_of_range, "count"},
           {"first=1&count=-1" + key, Errc::syntax, "count"},
           {"first=1&count=" + key, Errc::missing, "count"},
           {"first=fffffff0&count=16" + key, std::nullopt, ""},
           {"first=fffffff0&count=17" + key, Errc::out_of_range, "count"},
           {"first=xyz&count=2" + key, Errc::syntax, "first"},
           {"first=1&count=2&key=0011", Errc::syntax, "key"},
       }) {
    SCOPED_TRACE(c.query);
    auto box = parse_box_credentials(c.query);
    if (!c.code) {
      EXPECT_TRUE(box.ok()) << testing::describe(box);
      continue;
    }
    ASSERT_FALSE(box.ok());
    EXPECT_EQ(box.error().code, *c.code);
    EXPECT_EQ(std::string(box.error().field ? box.error().field : ""), c.field);
  }
}

}  // namespace
}  // namespace tte
