#include "tte/host/psk_seal.hpp"

#include <gtest/gtest.h>

namespace tte {
namespace {

std::array<std::uint8_t, 32> key(std::uint8_t first) {
  std::array<std::uint8_t, 32> k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

const FactoryPsk kPsk = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                         0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

TEST(PskSealer, RoundTrip) {
  auto sealer = PskSealer::with_key(key(0));
  ASSERT_TRUE(sealer.ok());
  auto sealed = sealer->seal(DevId(0xabcdef01), kPsk);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed.value()[0], PskSealer::kVersion);
  auto opened = sealer->unseal(DevId(0xabcdef01), sealed.value());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value(), kPsk);
}

TEST(PskSealer, TheSealedFormHoldsNoPskBytesAndNeverRepeats) {
  auto sealer = PskSealer::with_key(key(0)).value();
  auto a = sealer.seal(DevId(1), kPsk).value();
  auto b = sealer.seal(DevId(1), kPsk).value();
  EXPECT_NE(a, b);  // a fresh nonce each time
  auto found = std::search(a.begin(), a.end(), kPsk.begin(), kPsk.begin() + 8);
  EXPECT_EQ(found, a.end());
}

TEST(PskSealer, AWrongKeyFails) {
  auto sealed = PskSealer::with_key(key(0)).value().seal(DevId(1), kPsk).value();
  auto other = PskSealer::with_key(key(1)).value().unseal(DevId(1), sealed);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::crypto);
}

TEST(PskSealer, AnotherDevIdOrAnyFlippedBitFails) {
  auto sealer = PskSealer::with_key(key(0)).value();
  auto sealed = sealer.seal(DevId(1), kPsk).value();
  EXPECT_FALSE(sealer.unseal(DevId(2), sealed).ok());
  for (std::size_t bit = 0; bit < 8 * sealed.size(); ++bit) {
    auto damaged = sealed;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(sealer.unseal(DevId(1), damaged).ok()) << bit;
  }
  EXPECT_EQ(sealer.unseal(DevId(1), ByteView(sealed.data(), 44)).error().code, Errc::syntax);
}

// The MotherShip's factory PSKs and the Controller's link PSKs are sealed for
// their purpose: one never opens as the other, even under the same key.
TEST(PskSealer, APskSealedForOnePurposeDoesNotOpenForTheOther) {
  auto factory = PskSealer::with_key(key(0), PskSealer::Purpose::factory).value();
  auto link = PskSealer::with_key(key(0), PskSealer::Purpose::controller).value();
  auto sealed = link.seal(DevId(1), kPsk).value();
  EXPECT_EQ(link.unseal(DevId(1), sealed).value(), kPsk);
  EXPECT_EQ(factory.unseal(DevId(1), sealed).error().code, Errc::crypto);
  EXPECT_EQ(link.unseal(DevId(1), factory.seal(DevId(1), kPsk).value()).error().code, Errc::crypto);
}

TEST(PskSealer, KeysAre32Bytes) {
  std::array<std::uint8_t, 16> short_key{};
  EXPECT_EQ(PskSealer::with_key(short_key).error().code, Errc::crypto);
}

}  // namespace
}  // namespace tte
