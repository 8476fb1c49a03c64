// Device key pairs and their self-signed certificates, made fast enough for a
// production line: OpenSSL generates the P-256 key and signs; the DER of the
// key, the SubjectPublicKeyInfo and the certificate are built here from fixed
// templates, because OpenSSL 3.0's generic encoders cost several times the
// cryptography (see docs/factory.md).
#ifndef TTE_FACTORY_DEVICE_KEYS_HPP
#define TTE_FACTORY_DEVICE_KEYS_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tte/identifiers.hpp"

namespace tte::factory {

struct DeviceCredentials {
  std::vector<std::uint8_t> private_key_der;  // SEC1 ECPrivateKey
  std::vector<std::uint8_t> certificate_der;  // self-signed, CN = the URN, no expiry
  Fingerprint fingerprint;                    // SHA-256 of the SubjectPublicKeyInfo

  std::string private_key_pem() const;  // "EC PRIVATE KEY"
  std::string certificate_pem() const;
};

// One per thread: holds a reusable key-generation context.
class DeviceKeyMaker {
 public:
  DeviceKeyMaker();  // throws StartupError if OpenSSL cannot make P-256 keys
  ~DeviceKeyMaker();
  DeviceKeyMaker(const DeviceKeyMaker&) = delete;
  DeviceKeyMaker& operator=(const DeviceKeyMaker&) = delete;

  // A new key pair and a certificate for it naming `urn`, valid from `now`.
  // Throws StartupError if OpenSSL fails.
  DeviceCredentials make(const std::string& urn, std::int64_t now);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// PEM armour: "-----BEGIN <label>-----", base64 in 64-column lines, "-----END <label>-----".
std::string pem_encode(const std::string& label, const std::vector<std::uint8_t>& der);

}  // namespace tte::factory

#endif  // TTE_FACTORY_DEVICE_KEYS_HPP
