#include "tte/host/otp_crypto.hpp"

#include <gtest/gtest.h>

#include <set>

#include "vectors.hpp"

namespace tte {
namespace {

TEST(OtpDigest, Vectors) {
  for (const auto& c : testing::load_vectors("crypto.json")["otp_digest"]) {
    SCOPED_TRACE(c.dump());
    auto key = testing::from_hex(c["server_key"].get<std::string>());
    auto digest = otp_digest(key, *DevId::parse(c["devid"].get<std::string>()),
                             *Otp::parse(c["otp"].get<std::string>()));
    ASSERT_TRUE(digest.ok());
    EXPECT_EQ(testing::to_hex(digest->data(), digest->size()), c["digest"].get<std::string>());
  }
  EXPECT_EQ(otp_digest(ByteView(), DevId(1), Otp(1)).error().code, Errc::crypto);
}

TEST(BoxOtp, Vectors) {
  for (const auto& c : testing::load_vectors("crypto.json")["box_otp"]) {
    SCOPED_TRACE(c.dump());
    auto key_bytes = testing::from_hex(c["box_key"].get<std::string>());
    BoxUrl::Key key{};
    std::copy(key_bytes.begin(), key_bytes.end(), key.begin());
    auto otp = box_device_otp(key, *DevId::parse(c["devid"].get<std::string>()));
    ASSERT_TRUE(otp.ok());
    EXPECT_EQ(otp->to_string(), c["otp"].get<std::string>());
  }
}

TEST(RandomBytes, AreNotConstant) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    std::uint8_t bytes[8];
    ASSERT_TRUE(random_bytes(bytes).ok());
    std::uint64_t value = 0;
    for (auto b : bytes)
      value = value << 8 | b;
    seen.insert(value);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace tte
