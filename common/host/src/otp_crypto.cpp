#include "tte/host/otp_crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace tte {
namespace {

void put_be32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

Result<std::array<std::uint8_t, 32>> hmac_sha256(ByteView key, ByteView message) {
  if (key.empty()) return make_error(Errc::crypto, "empty HMAC key", "key");
  std::array<std::uint8_t, 32> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(),
           mac.data(), &length) == nullptr ||
      length != mac.size()) {
    return make_error(Errc::crypto, "HMAC-SHA256 failed", "key");
  }
  return mac;
}

}  // namespace

Result<OtpDigest> otp_digest(ByteView server_key, DevId dev_id, Otp otp) {
  std::uint8_t message[12];
  put_be32(message, dev_id.value());
  auto otp_bytes = otp.to_bytes();
  for (std::size_t i = 0; i < 8; ++i)
    message[4 + i] = otp_bytes[i];
  return hmac_sha256(server_key, message);
}

Result<Otp> box_device_otp(const BoxUrl::Key& box_key, DevId dev_id) {
  std::uint8_t message[4];
  put_be32(message, dev_id.value());
  TTE_ASSIGN_OR_RETURN(auto mac, hmac_sha256(box_key, message));
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i)
    value = (value << 8) | mac[i];
  return Otp(value);
}

Status random_bytes(MutableByteView out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    return make_error(Errc::crypto, "the CSPRNG failed", "random");
  }
  return ok_status();
}

}  // namespace tte
