#include "tte/led_frame.hpp"

#include <optional>

namespace tte::led {
namespace {

void put_be(std::uint8_t* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (8 * (bytes - 1 - i)));
}

std::uint64_t get_be(const std::uint8_t* in, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i)
    value = (value << 8) | in[i];
  return value;
}

}  // namespace

std::uint8_t checksum(ByteView bytes) {
  std::uint8_t sum = 0;
  for (std::uint8_t b : bytes)
    sum = static_cast<std::uint8_t>(sum + b);
  return static_cast<std::uint8_t>(-sum);
}

Frame build_frame(const EnrollmentUrl& device) {
  Frame frame{};
  put_be(&frame[0], kStartOfMessage, 2);
  put_be(&frame[2], device.ms_id().value(), 4);
  put_be(&frame[6], device.dev_id().value(), 4);
  put_be(&frame[10], device.otp().value(), 8);
  frame[18] = checksum(ByteView(frame.data(), kFrameBytes - 1));
  return frame;
}

Result<EnrollmentUrl> parse_frame(const Frame& frame, IdPolicy policy) {
  if (get_be(&frame[0], 2) != kStartOfMessage) {
    return make_error(Errc::syntax, "an LED frame starts with 0x0001", "frame");
  }
  if (checksum(ByteView(frame.data(), kFrameBytes)) != 0) {
    return make_error(Errc::checksum, "LED frame checksum mismatch", "frame");
  }
  TTE_ASSIGN_OR_RETURN(MsId ms_id,
                       MsId::from_value(static_cast<std::uint32_t>(get_be(&frame[2], 4)), policy));
  return EnrollmentUrl(ms_id, DevId(static_cast<std::uint32_t>(get_be(&frame[6], 4))),
                       Otp(get_be(&frame[10], 8)));
}

bool encode_levels(const Frame& frame, bool level_before, MutableByteView levels) {
  bool level = level_before;
  for (std::size_t i = 0; i < kFrameBits && i < levels.size(); ++i) {
    if (!frame_bit(frame, i)) level = !level;
    levels[i] = level ? 1 : 0;
  }
  return level;
}

Result<EnrollmentUrl> decode_levels(ByteView levels, IdPolicy policy) {
  if (levels.size() < kFrameBits + 1) {
    return make_error(Errc::not_found, "too few samples for one LED frame", "levels");
  }
  // Bit k (k >= 1) is 1 when sample k equals sample k - 1. A recording may
  // start anywhere in the repeating frame, and a frame whose data holds the
  // bytes 00 01 also "starts" there: the byte sum is the same for every
  // rotation by whole bytes, so such a rotation passes the checksum too
  // (docs/protocol.md section 13.1). Every start is tried; two different
  // devices found means the samples cannot tell which is meant.
  bool saw_reserved = false;
  std::optional<EnrollmentUrl> device;
  for (std::size_t start = 1; start + kFrameBits <= levels.size(); ++start) {
    Frame frame{};
    for (std::size_t i = 0; i < kFrameBits; ++i) {
      bool bit = (levels[start + i] != 0) == (levels[start + i - 1] != 0);
      if (bit) frame[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
    }
    auto parsed = parse_frame(frame, policy);
    if (parsed.ok()) {
      if (device && !(parsed.value() == *device)) {
        return make_error(Errc::duplicate,
                          "two different LED frames fit the samples (the frame's data contains "
                          "its own start constant): read the label instead",
                          "levels");
      }
      device = parsed.value();
    } else if (parsed.error().code == Errc::reserved) {
      saw_reserved = true;
    }
  }
  if (device) return *device;
  if (saw_reserved) {
    return make_error(Errc::reserved, "the LED frame names a reserved MS ID", "levels");
  }
  return make_error(Errc::not_found, "no valid LED frame in the samples", "levels");
}

}  // namespace tte::led
