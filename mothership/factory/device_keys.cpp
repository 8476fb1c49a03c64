#include "device_keys.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <ctime>

#include "tte/platform/startup_error.hpp"

namespace tte::factory {
namespace {

using Bytes = std::vector<std::uint8_t>;

// DER pieces (X.690). Lengths here are always < 65536.
void append_length(Bytes& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
  } else if (length < 0x100) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(length));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
  }
}

Bytes tlv(std::uint8_t tag, const Bytes& content) {
  Bytes out;
  out.reserve(content.size() + 4);
  out.push_back(tag);
  append_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

const Bytes kEcPublicKeyOid = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
const Bytes kPrime256v1Oid = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
const Bytes kEcdsaSha256Oid = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
const Bytes kCommonNameOid = {0x06, 0x03, 0x55, 0x04, 0x03};

Bytes name(const std::string& common_name) {
  Bytes value(common_name.begin(), common_name.end());
  return tlv(0x30, tlv(0x31, tlv(0x30, concat({kCommonNameOid, tlv(0x0c, value)}))));
}

Bytes utc_time(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%02d%02d%02d%02d%02d%02dZ", utc.tm_year % 100, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return tlv(0x17, Bytes(text, text + 13));
}

[[noreturn]] void fail(const char* what) {
  throw StartupError(std::string("OpenSSL: ") + what);
}

}  // namespace

std::string pem_encode(const std::string& label, const std::vector<std::uint8_t>& der) {
  std::string out = "-----BEGIN " + label + "-----\n";
  unsigned char line[65];
  for (std::size_t at = 0; at < der.size(); at += 48) {
    int length = EVP_EncodeBlock(line, der.data() + at,
                                 static_cast<int>(std::min<std::size_t>(48, der.size() - at)));
    out.append(reinterpret_cast<char*>(line), static_cast<std::size_t>(length));
    out += '\n';
  }
  return out + "-----END " + label + "-----\n";
}

std::string DeviceCredentials::private_key_pem() const {
  return pem_encode("EC PRIVATE KEY", private_key_der);
}
std::string DeviceCredentials::certificate_pem() const {
  return pem_encode("CERTIFICATE", certificate_der);
}

struct DeviceKeyMaker::Impl {
  EVP_PKEY_CTX* keygen = nullptr;
};

DeviceKeyMaker::DeviceKeyMaker() : impl_(std::make_unique<Impl>()) {
  impl_->keygen = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  if (!impl_->keygen || EVP_PKEY_keygen_init(impl_->keygen) != 1 ||
      EVP_PKEY_CTX_set_group_name(impl_->keygen, "P-256") != 1) {
    fail("cannot set up P-256 key generation");
  }
}

DeviceKeyMaker::~DeviceKeyMaker() {
  EVP_PKEY_CTX_free(impl_->keygen);
}

DeviceCredentials DeviceKeyMaker::make(const std::string& urn, std::int64_t now) {
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(impl_->keygen, &key) != 1) fail("key generation failed");
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> owned(key, EVP_PKEY_free);
  Bytes secret(32), point(65);
  BIGNUM* scalar = nullptr;
  std::size_t point_length = 0;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar) != 1 ||
      BN_bn2binpad(scalar, secret.data(), 32) != 32 ||
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                      &point_length) != 1 ||
      point_length != 65) {
    BN_clear_free(scalar);
    fail("cannot read a key's components");
  }
  BN_clear_free(scalar);

  DeviceCredentials credentials;
  // RFC 5915 ECPrivateKey: version 1, the secret, the curve, the public point.
  credentials.private_key_der = tlv(0x30, concat({{0x02, 0x01, 0x01},
                                                  tlv(0x04, secret),
                                                  tlv(0xa0, kPrime256v1Oid),
                                                  tlv(0xa1, tlv(0x03, concat({{0x00}, point})))}));
  OPENSSL_cleanse(secret.data(), secret.size());

  Bytes spki = tlv(0x30, concat({tlv(0x30, concat({kEcPublicKeyOid, kPrime256v1Oid})),
                                 tlv(0x03, concat({{0x00}, point}))}));
  Fingerprint::Bytes digest{};
  unsigned int digest_length = 0;
  if (EVP_Digest(spki.data(), spki.size(), digest.data(), &digest_length, EVP_sha256(), nullptr) !=
      1) {
    fail("SHA-256 failed");
  }
  credentials.fingerprint = Fingerprint(digest);

  Bytes serial(16);
  if (RAND_bytes(serial.data(), 16) != 1) fail("the CSPRNG failed");
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x3f) | 0x40);  // positive, minimal, 16 bytes
  const Bytes algorithm = tlv(0x30, kEcdsaSha256Oid);
  const Bytes subject = name(urn);
  // RFC 5280: 99991231235959Z means "no well-defined expiration date".
  const std::string forever = "99991231235959Z";
  const Bytes tbs = tlv(
      0x30,
      concat({tlv(0xa0, {0x02, 0x01, 0x02}), tlv(0x02, serial), algorithm, subject,
              tlv(0x30, concat({utc_time(now), tlv(0x18, Bytes(forever.begin(), forever.end()))})),
              subject, spki}));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Bytes signature(80);
  std::size_t signature_length = signature.size();
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), signature.data(), &signature_length, tbs.data(), tbs.size()) != 1) {
    fail("signing a certificate failed");
  }
  signature.resize(signature_length);
  credentials.certificate_der =
      tlv(0x30, concat({tbs, algorithm, tlv(0x03, concat({{0x00}, signature}))}));
  return credentials;
}

}  // namespace tte::factory
