// The LED frame of draft Section 5.1 (docs/protocol.md "LED enrollment"):
//
//   0x0001 (16) | MS ID (32) | Dev ID (32) | OTP (64) | checksum (8)
//
// network byte order, most significant bit first; the checksum is the two's
// complement of the byte sum, so all 19 bytes sum to 0 mod 256. The bits are
// sent NRZI as USB does it: a 0 toggles the LED, a 1 holds it. The start
// constant's fifteen zeros thus blink a steady square wave (a preamble to lock
// onto). Frames repeat back to back at 15 bit/s.
//
// Version 2 (docs/protocol.md section 13.1.1) keeps the preamble and sends after it
//
//   0x02 (8) | MS ID (32) | Dev ID (32) | OTP (64) | CRC-8/GSM-A (8)
//
// bit-stuffed: after seven equal bits the opposite bit is inserted, so the
// preamble's run of fifteen zeros cannot occur in the body (the start is
// unambiguous) and the LED never holds or toggles for more than seven bits.
#ifndef TTE_LED_FRAME_HPP
#define TTE_LED_FRAME_HPP

#include <array>
#include <cstdint>

#include "tte/enrollment_url.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte::led {

inline constexpr std::size_t kFrameBytes = 19;
inline constexpr std::size_t kFrameBits = 8 * kFrameBytes;
inline constexpr std::uint16_t kStartOfMessage = 0x0001;
inline constexpr unsigned kBitsPerSecond = 15;

using Frame = std::array<std::uint8_t, kFrameBytes>;

// Which frame a Device blinks.
enum class FrameVersion : std::uint8_t { v1 = 1, v2 = 2 };

inline constexpr std::uint8_t kVersion2 = 0x02;
inline constexpr std::size_t kPreambleBits = 16;     // fifteen 0s and a 1, in both versions
inline constexpr std::size_t kV2BodyBytes = 18;      // version, MS ID, Dev ID, OTP, CRC-8
inline constexpr std::size_t kStuffAfter = 7;        // equal body bits before a stuffed bit
inline constexpr std::size_t kSyncZeros = 8;         // zeros before a 1 that mark a v2 start
inline constexpr std::size_t kMaxPatternBits = 184;  // 16 + 144 + at most 23 stuffed bits

// The bits a Device blinks, one frame (repeated back to back).
struct Pattern {
  std::array<std::uint8_t, kMaxPatternBits / 8> bits{};
  std::uint16_t length = 0;

  bool bit(std::size_t i) const { return (bits[i / 8] >> (7 - i % 8)) & 1; }
};

// The frame for a device's MS ID, Dev ID and OTP.
Frame build_frame(const EnrollmentUrl& device);

// Two's complement of the byte sum of bytes.
std::uint8_t checksum(ByteView bytes);

// Reads a frame. Errors: syntax (wrong start constant), checksum, reserved (MS ID).
Result<EnrollmentUrl> parse_frame(const Frame& frame, IdPolicy policy);

// CRC-8/GSM-A: polynomial 0x1D, initial value 0, not reflected, no final XOR.
// Appended to a message it makes the CRC of the whole 0.
std::uint8_t crc8(ByteView bytes);

// The version 2 body (before stuffing) for a device.
std::array<std::uint8_t, kV2BodyBytes> build_v2_body(const EnrollmentUrl& device);

// The bits a Device blinks: the version 1 frame as it is, or the version 2
// preamble and stuffed body.
Pattern pattern_v1(const Frame& frame);
Pattern pattern_v2(const EnrollmentUrl& device);
Pattern pattern_of(const EnrollmentUrl& device, FrameVersion version);

// Bit i of the frame (0 = most significant bit of byte 0).
inline bool frame_bit(const Frame& frame, std::size_t i) {
  return (frame[i / 8] >> (7 - i % 8)) & 1;
}

// NRZI: the LED level for each of the frame's bits, starting from the level the
// LED had before the frame. levels must hold kFrameBits entries (0 or 1). The
// returned level is the one the LED ends on, where the next frame starts.
bool encode_levels(const Frame& frame, bool level_before, MutableByteView levels);

// The same for any pattern; returns the level the LED ends on.
bool encode_pattern(const Pattern& pattern, bool level_before, MutableByteView levels);

// Reads a version 2 body from bits (one per byte, 0 or 1) that follow a
// preamble: removes the stuffed bits and checks them, the version and the CRC.
// Errors: not_found (too few bits), syntax (a stuffed bit that is not the
// opposite of the seven before it, or another version), checksum, reserved.
Result<EnrollmentUrl> parse_v2_bits(ByteView bits, IdPolicy policy);

// What decode_levels found: the device and the frame version that named it.
struct Decoded {
  EnrollmentUrl device;
  FrameVersion version;
  std::size_t start;  // the index in the levels of the frame's first bit (its preamble)
};

// Finds the complete, valid frames (version 1 or 2) in a sequence of ideal
// levels (one sample per bit period, 0 = off, 1 = on, as a perfect camera
// would see them). The first sample only serves as the reference level for
// the second. Errors: not_found (no valid frame in the samples), reserved (MS
// ID), duplicate (two different devices fit: a version 1 frame whose data
// holds its own start constant).
Result<Decoded> decode_frames(ByteView levels, IdPolicy policy);
// The same, the device only.
Result<EnrollmentUrl> decode_levels(ByteView levels, IdPolicy policy);

}  // namespace tte::led

#endif  // TTE_LED_FRAME_HPP
