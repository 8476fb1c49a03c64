// Two copies of a small record in NV memory, slots A and B, so that a power cut
// at any byte of a write leaves the old record or the new one: each slot holds
// a sequence number and ends with a CRC-32, a write goes to the slot not holding
// the newest record, and boot takes the valid slot with the newer sequence
// number (RFC 1982 serial-number arithmetic, so it may wrap). NvRecord (the
// Controller) and SeedRecord (the entropy seed) are both kept so.
#ifndef TTE_DEVICE_AB_SLOTS_HPP
#define TTE_DEVICE_AB_SLOTS_HPP

#include <cstddef>
#include <cstdint>

#include "tte/device/hal.hpp"

namespace tte::device {

class AbSlots {
 public:
  // Slot A at base, slot B at base + stride; each slot_size bytes (<= kMaxSlotSize).
  static constexpr std::size_t kMaxSlotSize = 96;
  AbSlots(Storage& storage, std::size_t base, std::size_t stride, std::size_t slot_size)
      : storage_(storage), base_(base), stride_(stride), slot_size_(slot_size) {}

  // Reads both slots. `decode(slot, bytes, &sequence)` says whether slot 0 or 1
  // holds a record (its CRC checked), sets its sequence number and keeps what it
  // decoded. Returns the newest valid slot, or -1 when neither is valid.
  template <typename Decode>
  int load(Decode decode) {
    any_valid_ = false;
    newest_ = 1;  // so that the first write goes to slot A
    for (std::size_t slot = 0; slot < 2; ++slot) {
      std::uint8_t bytes[kMaxSlotSize];
      if (!storage_.read(base_ + slot * stride_, MutableByteView(bytes, slot_size_))) continue;
      std::uint32_t sequence = 0;
      if (!decode(slot, ByteView(bytes, slot_size_), &sequence)) continue;
      if (any_valid_ && !newer(sequence, sequence_)) continue;
      any_valid_ = true;
      sequence_ = sequence;
      newest_ = slot;
    }
    return any_valid_ ? static_cast<int>(newest_) : -1;
  }

  // The sequence number the next record must carry.
  std::uint32_t next_sequence() const { return any_valid_ ? sequence_ + 1 : 1; }
  // Writes a record encoded with next_sequence() to the older slot. False if the
  // storage refused (then the previous record stays the newest).
  bool write(ByteView slot);

  // True when a was written after b.
  static bool newer(std::uint32_t a, std::uint32_t b) {
    return a != b && static_cast<std::uint32_t>(a - b) < 0x80000000u;
  }

 private:
  Storage& storage_;
  std::size_t base_, stride_, slot_size_;
  bool any_valid_ = false;
  std::uint32_t sequence_ = 0;  // of the newest valid slot
  std::size_t newest_ = 1;
};

// Big-endian helpers for the slot encodings.
inline void put_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}
inline std::uint32_t get_be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

}  // namespace tte::device

#endif  // TTE_DEVICE_AB_SLOTS_HPP
