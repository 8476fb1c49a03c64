// The LED frame of draft Section 5.1 (docs/protocol.md "LED enrollment"):
//
//   0x0001 (16) | MS ID (32) | Dev ID (32) | OTP (64) | checksum (8)
//
// network byte order, most significant bit first; the checksum is the two's
// complement of the byte sum, so all 19 bytes sum to 0 mod 256. The bits are
// sent NRZI as USB does it: a 0 toggles the LED, a 1 holds it. The start
// constant's fifteen zeros thus blink a steady square wave (a preamble to lock
// onto). Frames repeat back to back at 15 bit/s.
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

// The frame for a device's MS ID, Dev ID and OTP.
Frame build_frame(const EnrollmentUrl& device);

// Two's complement of the byte sum of bytes.
std::uint8_t checksum(ByteView bytes);

// Reads a frame. Errors: syntax (wrong start constant), checksum, reserved (MS ID).
Result<EnrollmentUrl> parse_frame(const Frame& frame, IdPolicy policy);

// Bit i of the frame (0 = most significant bit of byte 0).
inline bool frame_bit(const Frame& frame, std::size_t i) {
  return (frame[i / 8] >> (7 - i % 8)) & 1;
}

// NRZI: the LED level for each of the frame's bits, starting from the level the
// LED had before the frame. levels must hold kFrameBits entries (0 or 1). The
// returned level is the one the LED ends on, where the next frame starts.
bool encode_levels(const Frame& frame, bool level_before, MutableByteView levels);

// Finds the first complete, valid frame in a sequence of ideal levels (one
// sample per bit period, 0 = off, 1 = on, as a perfect camera would see them).
// The first sample only serves as the reference level for the second.
// Errors: not_found (no valid frame in the samples), reserved (MS ID).
Result<EnrollmentUrl> decode_levels(ByteView levels, IdPolicy policy);

}  // namespace tte::led

#endif  // TTE_LED_FRAME_HPP
