// Factory PSKs at rest (docs/protocol.md §13.3): the MotherShip keeps each PSK
// Device's factory PSK sealed with AES-256-GCM under a key outside the database
// (psk.key in the data directory), so that a copy of the database alone gives
// away no PSK. The Dev ID is authenticated with the PSK, so a sealed PSK moved to
// another device's row does not open.
#ifndef TTE_HOST_PSK_SEAL_HPP
#define TTE_HOST_PSK_SEAL_HPP

#include <array>
#include <cstdint>

#include "tte/identifiers.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

// A factory PSK: 16 random bytes, shared by the Device and the MotherShip.
using FactoryPsk = std::array<std::uint8_t, 16>;

// Version byte (1) || nonce (12) || ciphertext (16) || GCM tag (16).
using SealedPsk = std::array<std::uint8_t, 45>;

class PskSealer {
 public:
  static constexpr std::size_t kKeySize = 32;
  static constexpr std::uint8_t kVersion = 1;

  // Errors: crypto (a key that is not 32 bytes).
  static Result<PskSealer> with_key(ByteView key);

  // A fresh random nonce for every seal. Errors: crypto.
  Result<SealedPsk> seal(DevId dev_id, const FactoryPsk& psk) const;
  // Errors: syntax (not a sealed PSK of this version), crypto (wrong key, another
  // Dev ID, or altered bytes: the tag does not match).
  Result<FactoryPsk> unseal(DevId dev_id, ByteView sealed) const;

 private:
  PskSealer() = default;
  std::array<std::uint8_t, kKeySize> key_{};
};

}  // namespace tte

#endif  // TTE_HOST_PSK_SEAL_HPP
