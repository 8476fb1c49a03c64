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

// RFC 4231 test case 2 (a key shorter than the block) and 6 (longer than the block).
TEST(HmacSha256, Rfc4231) {
  std::string key = "Jefe";
  std::string data = "what do ya want for nothing?";
  auto hmac =
      HmacSha256::with_key(ByteView(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()));
  ASSERT_TRUE(hmac.ok());
  auto mac = hmac->mac(ByteView(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
  EXPECT_EQ(testing::to_hex(mac.data(), mac.size()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::vector<std::uint8_t> long_key(131, 0xaa);
  std::string text = "Test Using Larger Than Block-Size Key - Hash Key First";
  auto long_hmac = HmacSha256::with_key(long_key);
  auto long_mac =
      long_hmac->mac(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  EXPECT_EQ(testing::to_hex(long_mac.data(), long_mac.size()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
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
    auto otps = BoxOtps::with_key(key);
    ASSERT_TRUE(otps.ok());
    EXPECT_EQ(otps->otp(*DevId::parse(c["devid"].get<std::string>())), *otp);
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
