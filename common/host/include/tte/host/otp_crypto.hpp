// Keyed derivations around OTPs (hosts only: OpenSSL's HMAC-SHA256).
#ifndef TTE_HOST_OTP_CRYPTO_HPP
#define TTE_HOST_OTP_CRYPTO_HPP

#include <array>
#include <cstdint>

#include "tte/enrollment_url.hpp"
#include "tte/identifiers.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

using OtpDigest = std::array<std::uint8_t, 32>;

// What the MotherShip stores instead of an OTP: HMAC-SHA256(server key,
// Dev ID (4 bytes, big-endian) || OTP (8 bytes, big-endian)).
// Errors: crypto (empty key or HMAC failure).
Result<OtpDigest> otp_digest(ByteView server_key, DevId dev_id, Otp otp);

// Bulk enrollment: a Device's OTP is the first 8 bytes (big-endian) of
// HMAC-SHA256(box key, Dev ID (4 bytes, big-endian)).
// Errors: crypto.
Result<Otp> box_device_otp(const BoxUrl::Key& box_key, DevId dev_id);

// Fills out with bytes from the operating system's CSPRNG (via OpenSSL).
// Errors: crypto.
Status random_bytes(MutableByteView out);

}  // namespace tte

#endif  // TTE_HOST_OTP_CRYPTO_HPP
