// Random numbers on a board without a hardware random number generator (QEMU's
// MPS2 has none): Mbed TLS's CTR-DRBG (AES-256), seeded from the factory's
// per-device seed (the provisioning image) and the seed the Device stored at
// its previous boot (SeedRecord). Before the first number is used, a fresh seed
// drawn from the DRBG replaces the stored one, so that no two boots of a Device
// and no two Devices draw the same numbers. Everything random on the Device
// comes from here: DTLS (through mbedtls_hardware_poll), libcoap's message IDs
// and tokens and lwIP's ports (LWIP_RAND), the retry jitter (Entropy).
//
// The numbers are only as unpredictable as the factory seed and the NV memory
// are secret. Silicon with a TRNG (an STM32F4's RNG peripheral) feeds the DRBG
// from it instead: a port replaces entropy_input() in board_random.cpp.
#ifndef TTE_DEVICE_MPS2_BOARD_RANDOM_HPP
#define TTE_DEVICE_MPS2_BOARD_RANDOM_HPP

#include <cstddef>
#include <cstdint>

#include "tte/device/hal.hpp"
#include "tte/device/seed_record.hpp"
#include "tte/result.hpp"

namespace tte::device::mps2 {

class BoardRandom final : public Entropy {
 public:
  // Seeds the DRBG and stores the next boot's seed. Errors: crypto (the DRBG
  // refused), io (the seed could not be stored: the Device must not go on, or
  // its next boot would draw the same numbers).
  Status start(ByteView factory_seed, SeedRecord& record, ByteView personalization);
  bool ready() const;
  // Mixes what timing the Device can observe (when DHCP answered, when a
  // handshake ended) into the DRBG: a little unpredictability even when the NV
  // sector was erased and the stored seed lost with it.
  void mix(std::uint64_t observation);
  // Fills out; traps when called before start() succeeded (a bug).
  void fill(std::uint8_t* out, std::size_t size);
  std::uint32_t next() override;
};

BoardRandom& board_random();

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_BOARD_RANDOM_HPP
