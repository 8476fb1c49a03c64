// The Device's one piece of learned state, its Controller (docs/protocol.md §12),
// kept in two slots, A and B, so that a power cut at any byte of a write leaves
// the old record or the new one, never a corrupt one.
//
// Slot layout (big-endian), kSlotSize bytes, slot A at offset 0, B at kSlotStride:
//
//   0  4  magic "TTEC"          29  2  Controller port
//   4  1  version (1)           31 32  Controller key fingerprint
//   5  1  kind: 1 Controller,   63  1  1 when a PSK follows (draft 5.3)
//         0 erased (reset)      64 16  PSK (zero when none)
//   6  2  reserved (0)          80  4  CRC-32 of bytes 0-79
//   8  4  sequence number
//  12  1  address family 4 or 6
//  13 16  Controller IP (IPv4 in the first 4 bytes)
//
// A write goes to the slot not holding the newest record, with the next
// sequence number, CRC last. Boot takes the valid slot with the newer sequence
// number (serial-number arithmetic, so it may wrap; ab_slots.hpp). A factory
// reset writes an "erased" record the same way.
#ifndef TTE_DEVICE_NV_RECORD_HPP
#define TTE_DEVICE_NV_RECORD_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include "tte/device/ab_slots.hpp"
#include "tte/device/hal.hpp"
#include "tte/enrollment_answer.hpp"

namespace tte::device {

struct StoredController {
  ControllerAddress address;
  Fingerprint fingerprint;
  bool has_psk = false;
  std::array<std::uint8_t, EnrollmentAnswer::kPskSize> psk{};

  friend bool operator==(const StoredController& a, const StoredController& b) {
    return a.address == b.address && a.fingerprint == b.fingerprint && a.has_psk == b.has_psk &&
           a.psk == b.psk;
  }
};

class NvRecord {
 public:
  static constexpr std::size_t kSlotSize = 84;
  static constexpr std::size_t kSlotStride = 128;  // slots on separate flash write units
  static constexpr std::size_t kStorageSize = 2 * kSlotStride;
  static_assert(kSlotSize <= AbSlots::kMaxSlotSize, "AbSlots reads a slot into a fixed buffer");

  explicit NvRecord(Storage& storage) : slots_(storage, 0, kSlotStride, kSlotSize) {}

  // Reads both slots. Afterwards controller() is the stored Controller, if any.
  void load();
  const StoredController* controller() const { return has_controller_ ? &controller_ : nullptr; }

  // Stores a new Controller. False if the storage refused the write (then the
  // old record, if any, is still the one found at the next boot).
  bool store(const StoredController& controller);
  // Factory reset: the next boot finds no Controller.
  bool erase();

  // The slot encoding, for tests and tools. out must hold kSlotSize bytes.
  static void encode_slot(std::uint32_t sequence, const StoredController* controller,
                          MutableByteView out);
  // Null when the slot is not a valid record; sets *sequence and, for a
  // Controller record, *controller.
  static bool decode_slot(ByteView slot, std::uint32_t* sequence, bool* erased,
                          StoredController* controller);

 private:
  bool write(const StoredController* controller);

  AbSlots slots_;
  bool has_controller_ = false;
  StoredController controller_;
};

}  // namespace tte::device

#endif  // TTE_DEVICE_NV_RECORD_HPP
