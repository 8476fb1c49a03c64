// PSKs at rest (docs/protocol.md §11, §13.3): the MotherShip keeps each PSK
// Device's factory PSK, and the Controller each Device's link PSK (message 6),
// sealed with AES-256-GCM under a key outside the database (psk.key in the data
// directory), so that a copy of the database alone gives away no PSK. The purpose
// and the Dev ID are authenticated with the PSK, so a sealed PSK moved to another
// device's row, or from one program's database to the other's, does not open.
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

  // What the sealed PSKs are: the label at the head of the additional data.
  enum class Purpose : std::uint8_t {
    factory,     // "tte-factory-psk": a PSK Device's factory PSK, at the MotherShip
    controller,  // "tte-link-psk": the Device-Controller PSK, at the Controller
  };

  // Errors: crypto (a key that is not 32 bytes).
  static Result<PskSealer> with_key(ByteView key, Purpose purpose = Purpose::factory);

  // The same key, sealing for another purpose.
  PskSealer for_purpose(Purpose purpose) const {
    PskSealer other = *this;
    other.purpose_ = purpose;
    return other;
  }

  // A fresh random nonce for every seal. Errors: crypto.
  Result<SealedPsk> seal(DevId dev_id, const FactoryPsk& psk) const;
  // Errors: syntax (not a sealed PSK of this version), crypto (wrong key, another
  // Dev ID, or altered bytes: the tag does not match).
  Result<FactoryPsk> unseal(DevId dev_id, ByteView sealed) const;

 private:
  PskSealer() = default;
  std::array<std::uint8_t, kKeySize> key_{};
  Purpose purpose_ = Purpose::factory;
};

}  // namespace tte

#endif  // TTE_HOST_PSK_SEAL_HPP
