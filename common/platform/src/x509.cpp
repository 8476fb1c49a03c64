#include "tte/platform/x509.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tte/host/fingerprint.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::x509 {
namespace {

[[noreturn]] void fail(const std::string& what) {
  unsigned long code = ERR_get_error();
  char reason[256] = "";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw StartupError(what + (code ? std::string(": ") + reason : std::string()));
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (extension == nullptr) fail("cannot build certificate extension " + value);
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

}  // namespace

PrivateKey PrivateKey::generate_p256() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail("cannot generate a P-256 key");
  return PrivateKey(key);
}

PrivateKey PrivateKey::from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) fail("not a PEM private key");
  return PrivateKey(key);
}

std::string PrivateKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    fail("cannot write a private key");
  }
  return bio_string(bio.get());
}

std::string PrivateKey::public_key_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(bio.get(), key_.get())) fail("cannot write a public key");
  return bio_string(bio.get());
}

std::vector<std::uint8_t> PrivateKey::public_key_der() const {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key_.get(), &der);
  if (length <= 0) fail("cannot encode a public key");
  std::vector<std::uint8_t> bytes(der, der + length);
  OPENSSL_free(der);
  return bytes;
}

Fingerprint PrivateKey::fingerprint() const {
  auto fingerprint = fingerprint_of_public_key_der(public_key_der());
  if (!fingerprint.ok()) fail("cannot fingerprint a key");
  return fingerprint.value();
}

Certificate Certificate::from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) fail("not a PEM certificate");
  return Certificate(cert);
}

std::string Certificate::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert_.get())) fail("cannot write a certificate");
  return bio_string(bio.get());
}

std::vector<std::uint8_t> Certificate::to_der() const {
  unsigned char* der = nullptr;
  int length = i2d_X509(cert_.get(), &der);
  if (length <= 0) fail("cannot encode a certificate");
  std::vector<std::uint8_t> bytes(der, der + length);
  OPENSSL_free(der);
  return bytes;
}

Fingerprint Certificate::key_fingerprint() const {
  auto fingerprint = fingerprint_of_certificate_der(to_der());
  if (!fingerprint.ok()) fail("cannot fingerprint a certificate");
  return fingerprint.value();
}

Certificate sign(const EVP_PKEY* signer, const Certificate* issuer, EVP_PKEY* subject_key,
                 const Subject& subject) {
  X509* cert = X509_new();
  if (cert == nullptr) fail("out of memory");
  Certificate result(cert);
  X509_set_version(cert, 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("the CSPRNG failed");
  serial[0] &= 0x7f;  // positive
  BIGNUM* serial_number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(serial_number, X509_get_serialNumber(cert));
  BN_free(serial_number);
  ASN1_TIME_set(X509_getm_notBefore(cert), static_cast<time_t>(subject.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert), static_cast<time_t>(subject.not_after));
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(subject.common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer->get()) : name);
  if (X509_set_pubkey(cert, subject_key) != 1) fail("cannot set a certificate's key");

  X509* issuer_cert = issuer ? issuer->get() : cert;
  if (subject.is_ca) {
    add_extension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert, issuer_cert, NID_key_usage, "critical,digitalSignature,keyAgreement");
  }
  add_extension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer) add_extension(cert, issuer_cert, NID_authority_key_identifier, "keyid:always");
  std::string alt_names;
  for (const auto& dns : subject.dns_names)
    alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : subject.ip_addresses)
    alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
  if (!alt_names.empty()) add_extension(cert, issuer_cert, NID_subject_alt_name, alt_names);
  if (!subject.is_ca && !subject.dns_names.empty()) {
    add_extension(cert, issuer_cert, NID_ext_key_usage, "serverAuth");
  }
  if (X509_sign(cert, const_cast<EVP_PKEY*>(signer), EVP_sha256()) <= 0)
    fail("cannot sign a certificate");
  return result;
}

Certificate self_signed(const PrivateKey& key, const Subject& subject) {
  return sign(key.get(), nullptr, key.get(), subject);
}

Certificate issue(const PrivateKey& ca_key, const Certificate& ca_cert,
                  const PrivateKey& subject_key, const Subject& subject) {
  return sign(ca_key.get(), &ca_cert, subject_key.get(), subject);
}

}  // namespace tte::x509
