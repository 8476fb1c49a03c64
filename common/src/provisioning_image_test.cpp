#include "tte/provisioning_image.hpp"

#include <gtest/gtest.h>

#include "tte/crc32.hpp"
#include "vectors.hpp"

namespace tte {
namespace {

TEST(Crc32, Vectors) {
  for (const auto& c : testing::load_vectors("provisioning_image.json")["crc32"]) {
    auto bytes = testing::from_hex(c["input_hex"].get<std::string>());
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", crc32(bytes));
    EXPECT_EQ(std::string(hex), c["crc32"].get<std::string>());
  }
  // Continuing a CRC over two pieces equals one pass.
  const std::uint8_t text[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(crc32(ByteView(text + 4, 5), crc32(ByteView(text, 4))), 0xCBF43926u);
}

TEST(ProvisioningImage, VectorsRoundTripByteForByte) {
  for (const auto& c : testing::load_vectors("provisioning_image.json")["valid"]) {
    SCOPED_TRACE(c["urn"].get<std::string>());
    auto image = testing::from_hex(c["image"].get<std::string>());
    auto decoded = ProvisioningImage::decode(image, IdPolicy::operational);
    ASSERT_TRUE(decoded.ok()) << testing::describe(decoded);
    EXPECT_EQ(decoded->ms_id.value(), c["ms_id"].get<std::uint32_t>());
    EXPECT_EQ(decoded->dev_id.to_string(), c["devid"].get<std::string>());
    EXPECT_EQ(decoded->otp.to_string(), c["otp"].get<std::string>());
    EXPECT_EQ(decoded->urn.view(), c["urn"].get<std::string>());
    EXPECT_EQ(decoded->mothership.to_string(), c["mothership"].get<std::string>());
    EXPECT_EQ(decoded->mothership_fingerprint.to_string(),
              c["mothership_fingerprint"].get<std::string>());
    EXPECT_EQ(testing::to_hex(decoded->private_key.data(), decoded->private_key.size()),
              c["private_key"].get<std::string>());
    EXPECT_EQ(testing::to_hex(decoded->certificate.data(), decoded->certificate.size()),
              c["certificate"].get<std::string>());
    EXPECT_EQ(testing::to_hex(decoded->entropy_seed.data(), decoded->entropy_seed.size()),
              c["entropy_seed"].get<std::string>());
    EXPECT_EQ(testing::to_hex(decoded->factory_psk.data(), decoded->factory_psk.size()),
              c["factory_psk"].get<std::string>());
    EXPECT_EQ(decoded.value().entropy_seed.empty() ? 1 : 2, c["version"].get<int>());
    EXPECT_EQ(static_cast<int>(decoded->led_frame), c["led_frame"].get<int>());
    std::vector<std::uint8_t> buffer(ProvisioningImage::kMaxSize);
    auto encoded = decoded->encode(buffer);
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(testing::to_hex(encoded->data(), encoded->size()), c["image"].get<std::string>());
  }
}

TEST(ProvisioningImage, InvalidVectors) {
  for (const auto& c : testing::load_vectors("provisioning_image.json")["invalid"]) {
    SCOPED_TRACE(c["error"].get<std::string>());
    auto image = testing::from_hex(c["image"].get<std::string>());
    EXPECT_TRUE(testing::matches_case(ProvisioningImage::decode(image, IdPolicy::operational), c));
  }
}

TEST(ProvisioningImage, EveryFlippedBitIsCaught) {
  for (int vector : {1, 3, 5}) {  // version 1, version 2, a PSK Device's
    auto image =
        testing::from_hex(testing::load_vectors("provisioning_image.json")["valid"][vector]["image"]
                              .get<std::string>());
    for (std::size_t bit = 0; bit < 8 * image.size(); ++bit) {
      auto damaged = image;
      damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      ASSERT_FALSE(ProvisioningImage::decode(damaged, IdPolicy::allow_example).ok()) << bit;
    }
  }
}

TEST(ProvisioningImage, AnEntropySeedIsExactly32Bytes) {
  auto image = ProvisioningImage::decode(
      testing::from_hex(
          testing::load_vectors("provisioning_image.json")["valid"][3]["image"].get<std::string>()),
      IdPolicy::operational);
  ASSERT_TRUE(image.ok());
  const std::uint8_t short_seed[16] = {};
  ProvisioningImage copy = image.value();
  copy.entropy_seed = ByteView(short_seed);
  std::vector<std::uint8_t> buffer(ProvisioningImage::kMaxSize);
  auto encoded = copy.encode(buffer);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().code, Errc::syntax);
}

}  // namespace
}  // namespace tte

namespace tte {
namespace {

TEST(ProvisioningImage, AFactoryPskIs16BytesWithASeedAndNoKey) {
  auto vectors = testing::load_vectors("provisioning_image.json")["valid"];
  auto psk_bytes = testing::from_hex(vectors[5]["image"].get<std::string>());
  auto psk_image = ProvisioningImage::decode(psk_bytes, IdPolicy::operational);
  ASSERT_TRUE(psk_image.ok());
  EXPECT_EQ(psk_image->factory_psk.size(), ProvisioningImage::kFactoryPskSize);
  EXPECT_TRUE(psk_image->private_key.empty());
  std::vector<std::uint8_t> buffer(ProvisioningImage::kMaxSize);
  const std::uint8_t short_psk[8] = {};
  ProvisioningImage copy = psk_image.value();
  copy.factory_psk = ByteView(short_psk);
  EXPECT_EQ(copy.encode(buffer).error().code, Errc::syntax);
  copy = psk_image.value();
  copy.entropy_seed = ByteView();  // version 1 has no room for a PSK
  EXPECT_EQ(copy.encode(buffer).error().code, Errc::syntax);
  auto keyed_bytes = testing::from_hex(vectors[3]["image"].get<std::string>());
  auto keyed = ProvisioningImage::decode(keyed_bytes, IdPolicy::operational);
  ASSERT_TRUE(keyed.ok());
  copy = keyed.value();
  copy.factory_psk = psk_image->factory_psk;
  EXPECT_EQ(copy.encode(buffer).error().code, Errc::syntax);
}

}  // namespace
}  // namespace tte
