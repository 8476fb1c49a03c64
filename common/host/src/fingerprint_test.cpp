#include "tte/host/fingerprint.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

ByteView bytes_of(const std::string& text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

TEST(Fingerprint, OfEveryKeyFormInTheVectors) {
  for (const auto& key : testing::load_vectors("crypto.json")["keys"]) {
    SCOPED_TRACE(key["name"].get<std::string>());
    const std::string expected = key["fingerprint"];
    auto spki = testing::from_hex(key["public_key_der_hex"].get<std::string>());
    EXPECT_EQ(fingerprint_of_public_key_der(spki)->to_string(), expected);
    EXPECT_EQ(fingerprint_of_key_material(spki)->to_string(), expected);
    const std::string private_pem =
        testing::read_proto_file(key["private_key_pem"].get<std::string>());
    EXPECT_EQ(fingerprint_of_key_material(bytes_of(private_pem))->to_string(), expected);
    if (key.contains("certificate_der_hex")) {
      auto der = testing::from_hex(key["certificate_der_hex"].get<std::string>());
      EXPECT_EQ(fingerprint_of_certificate_der(der)->to_string(), expected);
      EXPECT_EQ(fingerprint_of_key_material(der)->to_string(), expected);
      const std::string cert_pem =
          testing::read_proto_file(key["certificate_pem"].get<std::string>());
      EXPECT_EQ(fingerprint_of_key_material(bytes_of(cert_pem))->to_string(), expected);
      const std::string pub_pem =
          testing::read_proto_file(key["public_key_pem"].get<std::string>());
      EXPECT_EQ(fingerprint_of_key_material(bytes_of(pub_pem))->to_string(), expected);
    }
  }
}

TEST(Fingerprint, RefusesWhatIsNotAKey) {
  EXPECT_EQ(fingerprint_of_key_material(bytes_of("hello")).error().code, Errc::syntax);
  EXPECT_EQ(fingerprint_of_key_material(
                bytes_of("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
                .error()
                .code,
            Errc::syntax);
  EXPECT_EQ(fingerprint_of_certificate_der(ByteView()).error().code, Errc::syntax);
  // A certificate with a byte cut off, and with a byte added, is not a certificate.
  auto der = testing::from_hex(
      testing::load_vectors("crypto.json")["keys"][0]["certificate_der_hex"].get<std::string>());
  EXPECT_FALSE(fingerprint_of_certificate_der(ByteView(der.data(), der.size() - 1)).ok());
  der.push_back(0);
  EXPECT_FALSE(fingerprint_of_certificate_der(der).ok());
}

}  // namespace
}  // namespace tte
