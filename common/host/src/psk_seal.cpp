#include "tte/host/psk_seal.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "tte/host/otp_crypto.hpp"

namespace tte {
namespace {

constexpr std::size_t kNonceAt = 1, kNonceSize = 12, kCipherAt = kNonceAt + kNonceSize,
                      kTagAt = kCipherAt + 16, kTagSize = 16;
static_assert(kTagAt + kTagSize == std::tuple_size<SealedPsk>::value);

// The additional data: the purpose's label, the format's version and the Dev ID
// (big-endian). "tte-factory-psk" is 15 bytes, "tte-link-psk" 12.
std::vector<std::uint8_t> associated_data(PskSealer::Purpose purpose, DevId dev_id) {
  const std::string_view label =
      purpose == PskSealer::Purpose::factory ? "tte-factory-psk" : "tte-link-psk";
  std::vector<std::uint8_t> aad(label.begin(), label.end());
  aad.push_back(PskSealer::kVersion);
  for (int i = 0; i < 4; ++i)
    aad.push_back(static_cast<std::uint8_t>(dev_id.value() >> (24 - 8 * i)));
  return aad;
}

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

Error crypto_error(const char* message) {
  return make_error(Errc::crypto, message, "psk");
}

}  // namespace

Result<PskSealer> PskSealer::with_key(ByteView key, Purpose purpose) {
  if (key.size() != kKeySize) return crypto_error("the PSK sealing key is not 32 bytes");
  PskSealer sealer;
  sealer.purpose_ = purpose;
  std::memcpy(sealer.key_.data(), key.data(), kKeySize);
  return sealer;
}

Result<SealedPsk> PskSealer::seal(DevId dev_id, const FactoryPsk& psk) const {
  SealedPsk sealed{};
  sealed[0] = kVersion;
  TTE_TRY(random_bytes(MutableByteView(sealed.data() + kNonceAt, kNonceSize)));
  auto aad = associated_data(purpose_, dev_id);
  CipherContext ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(),
                         sealed.data() + kNonceAt) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, aad.data(), static_cast<int>(aad.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), sealed.data() + kCipherAt, &length, psk.data(),
                        static_cast<int>(psk.size())) != 1 ||
      length != static_cast<int>(psk.size()) ||
      EVP_EncryptFinal_ex(ctx.get(), sealed.data() + kCipherAt + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, sealed.data() + kTagAt) != 1) {
    return crypto_error("AES-256-GCM sealing failed");
  }
  return sealed;
}

Result<FactoryPsk> PskSealer::unseal(DevId dev_id, ByteView sealed) const {
  if (sealed.size() != std::tuple_size<SealedPsk>::value || sealed[0] != kVersion)
    return make_error(Errc::syntax, "not a sealed PSK", "psk");
  auto aad = associated_data(purpose_, dev_id);
  std::uint8_t tag[kTagSize];
  std::memcpy(tag, sealed.data() + kTagAt, kTagSize);
  FactoryPsk psk{};
  CipherContext ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(),
                         sealed.data() + kNonceAt) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, aad.data(), static_cast<int>(aad.size())) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), psk.data(), &length, sealed.data() + kCipherAt,
                        static_cast<int>(psk.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1) {
    return crypto_error("AES-256-GCM unsealing failed");
  }
  const int verified = EVP_DecryptFinal_ex(ctx.get(), psk.data() + length, &length);
  if (verified != 1) {
    psk.fill(0);
    return crypto_error("the sealed PSK does not open with this key");
  }
  return psk;
}

}  // namespace tte
