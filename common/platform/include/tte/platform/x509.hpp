// Keys and certificates for TTE's DTLS and HTTPS endpoints (OpenSSL): P-256 key
// pairs, self-signed certificates that carry a DTLS key, and a small local CA
// for a MotherShip's HTTPS name. Control plane: failures throw StartupError.
#ifndef TTE_PLATFORM_X509_HPP
#define TTE_PLATFORM_X509_HPP

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tte/identifiers.hpp"

namespace tte::x509 {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};

class PrivateKey {
 public:
  static PrivateKey generate_p256();
  static PrivateKey from_pem(const std::string& pem);
  std::string to_pem() const;                        // PKCS#8 "PRIVATE KEY"
  std::string public_key_pem() const;                // "PUBLIC KEY"
  std::vector<std::uint8_t> public_key_der() const;  // SubjectPublicKeyInfo
  Fingerprint fingerprint() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(EVP_PKEY* key) : key_(key, PkeyDeleter()) {}
  std::shared_ptr<EVP_PKEY> key_;
};

class Certificate {
 public:
  static Certificate from_pem(const std::string& pem);
  std::string to_pem() const;
  std::vector<std::uint8_t> to_der() const;
  Fingerprint key_fingerprint() const;  // of the certificate's public key
  X509* get() const { return cert_.get(); }

 private:
  friend Certificate sign(const EVP_PKEY*, const Certificate*, EVP_PKEY*, const struct Subject&);
  explicit Certificate(X509* cert) : cert_(cert, X509Deleter()) {}
  std::shared_ptr<X509> cert_;
};

struct Subject {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
  std::int64_t not_before = 0;            // seconds since the epoch
  std::int64_t not_after = 0;
  bool is_ca = false;
};

// A certificate for `key`, signed by `key` itself.
Certificate self_signed(const PrivateKey& key, const Subject& subject);
// A certificate for `subject_key`, signed by the CA.
Certificate issue(const PrivateKey& ca_key, const Certificate& ca_cert,
                  const PrivateKey& subject_key, const Subject& subject);

}  // namespace tte::x509

#endif  // TTE_PLATFORM_X509_HPP
