#include "tte/platform/x509.hpp"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <ctime>

#include "tte/host/fingerprint.hpp"

namespace tte::x509 {
namespace {

Subject subject(const char* name, bool ca) {
  Subject s;
  s.common_name = name;
  s.not_before = std::time(nullptr) - 60;
  s.not_after = std::time(nullptr) + 86400;
  s.is_ca = ca;
  return s;
}

TEST(X509, KeysRoundTripAndFingerprintTheirPublicHalf) {
  PrivateKey key = PrivateKey::generate_p256();
  PrivateKey again = PrivateKey::from_pem(key.to_pem());
  EXPECT_EQ(again.fingerprint(), key.fingerprint());
  auto from_public = fingerprint_of_public_key_der(key.public_key_der());
  ASSERT_TRUE(from_public.ok());
  EXPECT_EQ(*from_public, key.fingerprint());
  EXPECT_NE(PrivateKey::generate_p256().fingerprint(), key.fingerprint());
}

TEST(X509, SelfSignedCertificateCarriesTheKey) {
  PrivateKey key = PrivateKey::generate_p256();
  Certificate cert = self_signed(key, subject("device", false));
  EXPECT_EQ(cert.key_fingerprint(), key.fingerprint());
  Certificate parsed = Certificate::from_pem(cert.to_pem());
  EXPECT_EQ(parsed.to_der(), cert.to_der());
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1);
}

TEST(X509, CaIssuedServerCertificateVerifies) {
  PrivateKey ca_key = PrivateKey::generate_p256();
  Certificate ca = self_signed(ca_key, subject("Test CA", true));
  PrivateKey server_key = PrivateKey::generate_p256();
  Subject s = subject("tte-00000A.net", false);
  s.dns_names = {"tte-00000A.net"};
  Certificate server = issue(ca_key, ca, server_key, s);

  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, server.get(), nullptr);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), "tte-00000a.net", 0);
  EXPECT_EQ(X509_verify_cert(ctx), 1)
      << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);

  // The same certificate does not verify for another name.
  ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, server.get(), nullptr);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), "tte-00000B.net", 0);
  EXPECT_NE(X509_verify_cert(ctx), 1);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
}

}  // namespace
}  // namespace tte::x509
