#include "tte/host/fingerprint.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string_view>

namespace tte {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

Result<Fingerprint> sha256_fingerprint(const unsigned char* der, int length) {
  Fingerprint::Bytes digest{};
  unsigned int digest_length = 0;
  if (EVP_Digest(der, static_cast<std::size_t>(length), digest.data(), &digest_length, EVP_sha256(),
                 nullptr) != 1 ||
      digest_length != digest.size()) {
    return make_error(Errc::crypto, "SHA-256 failed", "key");
  }
  return Fingerprint(digest);
}

Result<Fingerprint> fingerprint_of_key(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return make_error(Errc::crypto, "cannot encode the public key", "key");
  auto fingerprint = sha256_fingerprint(der, length);
  OPENSSL_free(der);
  return fingerprint;
}

Result<Fingerprint> fingerprint_of_certificate(X509* cert) {
  return fingerprint_of_x509(cert);
}

BioPtr memory_bio(ByteView bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

}  // namespace

Result<Fingerprint> fingerprint_of_x509(const x509_st* certificate) {
  // The SubjectPublicKeyInfo as the certificate carries it: re-encoding the
  // parsed structure needs no key decoding.
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(const_cast<X509*>(certificate));
  unsigned char* der = nullptr;
  int length = spki ? i2d_X509_PUBKEY(spki, &der) : -1;
  if (length <= 0)
    return make_error(Errc::crypto, "cannot encode the certificate's key", "certificate");
  auto fingerprint = sha256_fingerprint(der, length);
  OPENSSL_free(der);
  return fingerprint;
}

Result<Fingerprint> fingerprint_of_certificate_der(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    return make_error(Errc::syntax, "not a DER X.509 certificate", "certificate");
  }
  return fingerprint_of_certificate(cert.get());
}

Result<Fingerprint> fingerprint_of_public_key_der(ByteView der) {
  const unsigned char* p = der.data();
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size()) {
    return make_error(Errc::syntax, "not a DER SubjectPublicKeyInfo", "key");
  }
  return fingerprint_of_key(key.get());
}

Result<Fingerprint> fingerprint_of_key_material(ByteView bytes) {
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.find("-----BEGIN ") != std::string_view::npos) {
    if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
      BioPtr bio = memory_bio(bytes);
      X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (cert) return fingerprint_of_certificate(cert.get());
    } else if (text.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos) {
      BioPtr bio = memory_bio(bytes);
      PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
      if (key) return fingerprint_of_key(key.get());
    } else if (text.find("PRIVATE KEY-----") != std::string_view::npos) {
      BioPtr bio = memory_bio(bytes);
      // An empty passphrase callback result makes encrypted keys fail instead of prompting.
      PkeyPtr key(PEM_read_bio_PrivateKey(
          bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
      if (key) return fingerprint_of_key(key.get());
    }
    return make_error(Errc::syntax,
                      "unreadable PEM (certificate, public key or private key expected)", "key");
  }
  auto from_certificate = fingerprint_of_certificate_der(bytes);
  if (from_certificate.ok()) return from_certificate;
  auto from_key = fingerprint_of_public_key_der(bytes);
  if (from_key.ok()) return from_key;
  return make_error(Errc::syntax, "neither a certificate nor a public key (PEM or DER)", "key");
}

}  // namespace tte
