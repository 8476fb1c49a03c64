// SHA256_CTX is deprecated in OpenSSL 3 but is the fast way to reuse HMAC pads.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "tte/host/otp_crypto.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>

namespace tte {
namespace {

static_assert(sizeof(SHA256_CTX) <= 112, "SHA256_CTX grew: enlarge HmacSha256's buffers");

void put_be32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

}  // namespace

Result<HmacSha256> HmacSha256::with_key(ByteView key) {
  if (key.empty()) return make_error(Errc::crypto, "empty HMAC key", "key");
  std::uint8_t block[64] = {};
  if (key.size() > sizeof block) {
    SHA256(key.data(), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  std::uint8_t ipad[64], opad[64];
  for (std::size_t i = 0; i < 64; ++i) {
    ipad[i] = static_cast<std::uint8_t>(block[i] ^ 0x36);
    opad[i] = static_cast<std::uint8_t>(block[i] ^ 0x5c);
  }
  SHA256_CTX inner, outer;
  SHA256_Init(&inner);
  SHA256_Update(&inner, ipad, sizeof ipad);
  SHA256_Init(&outer);
  SHA256_Update(&outer, opad, sizeof opad);
  HmacSha256 hmac;
  std::memcpy(hmac.inner_.data(), &inner, sizeof inner);
  std::memcpy(hmac.outer_.data(), &outer, sizeof outer);
  return hmac;
}

std::array<std::uint8_t, 32> HmacSha256::mac(ByteView message) const {
  SHA256_CTX ctx;
  std::memcpy(&ctx, inner_.data(), sizeof ctx);
  SHA256_Update(&ctx, message.data(), message.size());
  std::uint8_t inner_hash[32];
  SHA256_Final(inner_hash, &ctx);
  std::memcpy(&ctx, outer_.data(), sizeof ctx);
  SHA256_Update(&ctx, inner_hash, sizeof inner_hash);
  std::array<std::uint8_t, 32> out{};
  SHA256_Final(out.data(), &ctx);
  return out;
}

OtpDigest OtpHasher::digest(DevId dev_id, Otp otp) const {
  std::uint8_t message[12];
  put_be32(message, dev_id.value());
  auto otp_bytes = otp.to_bytes();
  std::memcpy(message + 4, otp_bytes.data(), otp_bytes.size());
  return hmac_.mac(message);
}

Result<OtpDigest> otp_digest(ByteView server_key, DevId dev_id, Otp otp) {
  TTE_ASSIGN_OR_RETURN(HmacSha256 hmac, HmacSha256::with_key(server_key));
  return OtpHasher(hmac).digest(dev_id, otp);
}

Result<Otp> box_device_otp(const BoxUrl::Key& box_key, DevId dev_id) {
  TTE_ASSIGN_OR_RETURN(BoxOtps otps, BoxOtps::with_key(box_key));
  return otps.otp(dev_id);
}

Result<BoxOtps> BoxOtps::with_key(const BoxUrl::Key& box_key) {
  TTE_ASSIGN_OR_RETURN(HmacSha256 hmac, HmacSha256::with_key(box_key));
  return BoxOtps(hmac);
}

Otp BoxOtps::otp(DevId dev_id) const {
  std::uint8_t message[4];
  put_be32(message, dev_id.value());
  auto mac = hmac_.mac(message);
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
