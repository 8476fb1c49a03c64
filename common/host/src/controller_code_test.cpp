#include "tte/host/controller_code.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

constexpr const char* kFingerprint =
    "98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4";

TEST(ControllerCode, RoundTripsWithAndWithoutTheIntake) {
  ControllerCode code{ControllerAddress::parse("[2001:db8::7]:5684").value(),
                      Fingerprint::parse(kFingerprint).value(), "http://192.0.2.7:8080",
                      "s3cret&=/"};
  std::string text = code.to_string();
  EXPECT_EQ(text,
            "tte:controller?c=%5B2001%3Adb8%3A%3A7%5D%3A5684&fp=" + std::string(kFingerprint) +
                "&notify=http%3A%2F%2F192.0.2.7%3A8080&token=s3cret%26%3D%2F");
  auto back = ControllerCode::parse(text);
  ASSERT_TRUE(back.ok()) << testing::describe(back);
  EXPECT_EQ(back->address.to_string().view(), "[2001:db8::7]:5684");
  EXPECT_EQ(back->fingerprint, code.fingerprint);
  EXPECT_EQ(back->notify_url, "http://192.0.2.7:8080");
  EXPECT_EQ(back->token, "s3cret&=/");

  ControllerCode bare{ControllerAddress::parse("192.0.2.7:5684").value(),
                      Fingerprint::parse(kFingerprint).value(), "", ""};
  auto parsed = ControllerCode::parse(bare.to_string());
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->notify_url.empty());
  EXPECT_TRUE(parsed->token.empty());
  // Hand-written codes need not encode ':' and may add parameters of later versions.
  EXPECT_TRUE(ControllerCode::parse(
                  "TTE:controller?c=192.0.2.7:5684&fp=" + std::string(kFingerprint) + "&v=2")
                  .ok());
}

TEST(ControllerCode, NamesWhatIsWrong) {
  const std::string fp = std::string("&fp=") + kFingerprint;
  EXPECT_EQ(ControllerCode::parse("https://example.com").error().code, Errc::syntax);
  EXPECT_EQ(ControllerCode::parse("tte:controller?fp=" + std::string(kFingerprint)).error().field,
            std::string("c"));
  EXPECT_EQ(ControllerCode::parse("tte:controller?c=192.0.2.7:5684").error().code, Errc::missing);
  EXPECT_EQ(ControllerCode::parse("tte:controller?c=192.0.2.7" + fp).error().field,
            std::string("c"));
  EXPECT_EQ(ControllerCode::parse("tte:controller?c=192.0.2.7:5684&fp=abc").error().field,
            std::string("fp"));
  EXPECT_EQ(
      ControllerCode::parse("tte:controller?c=192.0.2.7:5684&c=192.0.2.8:5684" + fp).error().code,
      Errc::duplicate);
  EXPECT_EQ(ControllerCode::parse("tte:controller?c=192.0.2.7:5684" + fp + "&notify=ftp%3A%2F%2Fx")
                .error()
                .field,
            std::string("notify"));
  EXPECT_EQ(
      ControllerCode::parse("tte:controller?c=192.0.2.7:5684" + fp + "&token=%zz").error().code,
      Errc::syntax);
}

}  // namespace
}  // namespace tte
