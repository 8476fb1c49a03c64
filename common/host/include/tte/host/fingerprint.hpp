// Computing fingerprints from certificates and keys (hosts only: OpenSSL).
#ifndef TTE_HOST_FINGERPRINT_HPP
#define TTE_HOST_FINGERPRINT_HPP

#include <string_view>

#include "tte/identifiers.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

// OpenSSL's X509, without including OpenSSL's headers here.
struct x509_st;

namespace tte {

// SHA-256 over the certificate's DER SubjectPublicKeyInfo, as encoded in the
// certificate (no key decoding: cheap enough for every DTLS handshake).
// Errors: crypto.
Result<Fingerprint> fingerprint_of_x509(const x509_st* certificate);

// SHA-256 over the DER SubjectPublicKeyInfo of the certificate's key.
// Errors: syntax (not a DER X.509 certificate).
Result<Fingerprint> fingerprint_of_certificate_der(ByteView der);

// SHA-256 over a DER SubjectPublicKeyInfo (re-encoded canonically).
// Errors: syntax (not a DER public key).
Result<Fingerprint> fingerprint_of_public_key_der(ByteView der);

// Accepts what an operator has at hand: a PEM certificate, PEM public key or
// PEM private key (its public half), or the same in DER.
// Errors: syntax (none of these).
Result<Fingerprint> fingerprint_of_key_material(ByteView pem_or_der);

}  // namespace tte

#endif  // TTE_HOST_FINGERPRINT_HPP
