// Computing fingerprints from certificates and keys (hosts only: OpenSSL).
#ifndef TTE_HOST_FINGERPRINT_HPP
#define TTE_HOST_FINGERPRINT_HPP

#include <string_view>

#include "tte/identifiers.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

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
