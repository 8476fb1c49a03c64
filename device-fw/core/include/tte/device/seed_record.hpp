// The entropy seed a Device without a hardware random number generator carries
// from one boot to the next (docs/device.md, "Random numbers"). At boot the
// board seeds its DRBG with the factory's seed (the provisioning image) and this
// one, then stores a fresh seed drawn from the DRBG before it uses a single
// random number: every boot of every Device draws different numbers.
//
// Two slots (ab_slots.hpp), each kSlotSize bytes, big-endian:
//   0  4  magic "TTER"     8 32  seed
//   4  4  sequence        40  4  CRC-32 of bytes 0-39
#ifndef TTE_DEVICE_SEED_RECORD_HPP
#define TTE_DEVICE_SEED_RECORD_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include "tte/device/ab_slots.hpp"

namespace tte::device {

class SeedRecord {
 public:
  static constexpr std::size_t kSeedSize = 32;
  static constexpr std::size_t kSlotSize = 44;
  static constexpr std::size_t kSlotStride = 64;
  static constexpr std::size_t kStorageSize = 2 * kSlotStride;
  static_assert(kSlotSize <= AbSlots::kMaxSlotSize, "AbSlots reads a slot into a fixed buffer");
  // Where boards keep it: right after the NvRecord, in the same NV memory.
  static constexpr std::size_t kNvOffset = 256;
  using Seed = std::array<std::uint8_t, kSeedSize>;

  // The slots at [base, base + kStorageSize) of the storage.
  SeedRecord(Storage& storage, std::size_t base) : slots_(storage, base, kSlotStride, kSlotSize) {}

  // Reads both slots. Afterwards seed() is the stored seed, if any.
  void load();
  const Seed* seed() const { return has_seed_ ? &seed_ : nullptr; }
  // False if the storage refused the write (the previous seed stays).
  bool store(const Seed& seed);

  // The slot encoding, for tests. out must hold kSlotSize bytes.
  static void encode_slot(std::uint32_t sequence, const Seed& seed, MutableByteView out);
  static bool decode_slot(ByteView slot, std::uint32_t* sequence, Seed* seed);

 private:
  AbSlots slots_;
  bool has_seed_ = false;
  Seed seed_{};
};

}  // namespace tte::device

#endif  // TTE_DEVICE_SEED_RECORD_HPP
