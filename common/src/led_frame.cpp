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

namespace {

void put_be32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
}

// MS ID, Dev ID and OTP, 16 bytes, as both frame versions carry them (in
// 32-bit pieces: 64-bit shifts are library calls on a Cortex-M3).
void put_fields(std::uint8_t* out, const EnrollmentUrl& device) {
  put_be32(out, device.ms_id().value());
  put_be32(out + 4, device.dev_id().value());
  put_be32(out + 8, static_cast<std::uint32_t>(device.otp().value() >> 32));
  put_be32(out + 12, static_cast<std::uint32_t>(device.otp().value()));
}

}  // namespace

Frame build_frame(const EnrollmentUrl& device) {
  Frame frame{};
  put_be(&frame[0], kStartOfMessage, 2);
  put_fields(&frame[2], device);
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

std::uint8_t crc8(ByteView bytes) {
  std::uint8_t crc = 0;
  for (std::uint8_t b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i)
      crc = static_cast<std::uint8_t>((crc & 0x80) ? (crc << 1) ^ 0x1D : crc << 1);
  }
  return crc;
}

std::array<std::uint8_t, kV2BodyBytes> build_v2_body(const EnrollmentUrl& device) {
  std::array<std::uint8_t, kV2BodyBytes> body{};
  body[0] = kVersion2;
  put_fields(&body[1], device);
  body[17] = crc8(ByteView(body.data(), kV2BodyBytes - 1));
  return body;
}

Pattern pattern_v1(const Frame& frame) {
  Pattern pattern;
  for (std::size_t i = 0; i < kFrameBytes; ++i)
    pattern.bits[i] = frame[i];
  pattern.length = kFrameBits;
  return pattern;
}

Pattern pattern_v2(const EnrollmentUrl& device) {
  return pattern_of(device, FrameVersion::v2);
}

// Both versions in one loop (the firmware links only this): the preamble, then
// version 1's fields and byte sum as they are, or version 2's body stuffed.
Pattern pattern_of(const EnrollmentUrl& device, FrameVersion version) {
  const bool v2 = version == FrameVersion::v2;
  std::uint8_t body[kV2BodyBytes];
  std::uint8_t* fields = v2 ? body + 1 : body;
  body[0] = kVersion2;
  put_fields(fields, device);
  // Version 1's byte sum covers the start constant 00 01 too.
  std::uint8_t sum = 1;
  for (std::size_t i = 0; i < 16; ++i)
    sum = static_cast<std::uint8_t>(sum + fields[i]);
  fields[16] = v2 ? crc8(ByteView(body, kV2BodyBytes - 1)) : static_cast<std::uint8_t>(-sum);
  const std::size_t body_bits = v2 ? 8 * kV2BodyBytes : kFrameBits - kPreambleBits;
  const std::size_t stuff_after = v2 ? kStuffAfter : kMaxPatternBits;
  Pattern pattern;
  pattern.bits[1] = 0x01;  // the preamble: fifteen 0s and a 1
  std::size_t length = kPreambleBits;
  std::size_t run = 0;
  bool last = false;
  for (std::size_t i = 0; i < body_bits; ++i) {
    bool bit = (body[i / 8] >> (7 - i % 8)) & 1;
    for (;;) {  // the bit, and after seven equal ones the opposite (stuffed)
      if (bit) pattern.bits[length / 8] |= static_cast<std::uint8_t>(0x80 >> (length % 8));
      ++length;
      run = (run > 0 && bit == last) ? run + 1 : 1;
      last = bit;
      if (run < stuff_after) break;
      bit = !bit;
    }
  }
  pattern.length = static_cast<std::uint16_t>(length);
  return pattern;
}

bool encode_pattern(const Pattern& pattern, bool level_before, MutableByteView levels) {
  bool level = level_before;
  for (std::size_t i = 0; i < pattern.length && i < levels.size(); ++i) {
    if (!pattern.bit(i)) level = !level;
    levels[i] = level ? 1 : 0;
  }
  return level;
}

namespace {

// Reads a version 2 body from bit(first), bit(first + 1), ... (bit(i) for i < end).
template <typename BitAt>
Result<EnrollmentUrl> parse_v2(BitAt bit_at, std::size_t first, std::size_t end, IdPolicy policy) {
  std::array<std::uint8_t, kV2BodyBytes> body{};
  std::size_t taken = 0;
  std::size_t run = 0;
  bool last = false;
  for (std::size_t i = first; taken < 8 * kV2BodyBytes; ++i) {
    if (i >= end) return make_error(Errc::not_found, "the LED frame is cut off", "bits");
    const bool bit = bit_at(i);
    const bool stuffed = run == kStuffAfter;
    if (stuffed && bit == last)
      return make_error(Errc::syntax, "an LED frame's stuffed bit is wrong", "bits");
    run = (run > 0 && bit == last) ? run + 1 : 1;
    last = bit;
    if (stuffed) continue;
    if (bit) body[taken / 8] |= static_cast<std::uint8_t>(0x80 >> (taken % 8));
    ++taken;
  }
  if (body[0] != kVersion2) return make_error(Errc::syntax, "not a version 2 LED frame", "bits");
  if (crc8(ByteView(body.data(), kV2BodyBytes)) != 0)
    return make_error(Errc::checksum, "LED frame CRC mismatch", "bits");
  TTE_ASSIGN_OR_RETURN(MsId ms_id,
                       MsId::from_value(static_cast<std::uint32_t>(get_be(&body[1], 4)), policy));
  return EnrollmentUrl(ms_id, DevId(static_cast<std::uint32_t>(get_be(&body[5], 4))),
                       Otp(get_be(&body[9], 8)));
}

}  // namespace

Result<EnrollmentUrl> parse_v2_bits(ByteView bits, IdPolicy policy) {
  return parse_v2([&](std::size_t i) { return bits[i] != 0; }, 0, bits.size(), policy);
}

Result<Decoded> decode_frames(ByteView levels, IdPolicy policy) {
  if (levels.size() < kFrameBits + 1) {
    return make_error(Errc::not_found, "too few samples for one LED frame", "levels");
  }
  // Bit k (k >= 1) is 1 when sample k equals sample k - 1.
  auto bit_at = [&](std::size_t k) { return (levels[k] != 0) == (levels[k - 1] != 0); };
  const std::size_t count = levels.size();

  // A recording may start anywhere in the repeating frame. In version 1, a frame
  // whose data holds the bytes 00 01 also "starts" there: the byte sum is the
  // same for every rotation by whole bytes, so such a rotation passes the
  // checksum too (docs/protocol.md section 13.1). Every start is tried; two
  // different devices found means the samples cannot tell which is meant.
  bool saw_reserved = false;
  bool ambiguous = false;
  std::optional<Decoded> found;
  auto consider = [&](Result<EnrollmentUrl> parsed, FrameVersion version, std::size_t start) {
    if (parsed.ok()) {
      if (!found) found = Decoded{parsed.value(), version, start};
      if (!(parsed.value() == found->device)) ambiguous = true;
    } else if (parsed.error().code == Errc::reserved) {
      saw_reserved = true;
    }
  };
  std::size_t zeros = 0;
  for (std::size_t k = 1; k < count && !ambiguous; ++k) {
    if (k + kFrameBits <= count) {
      Frame frame{};
      for (std::size_t i = 0; i < kFrameBits; ++i)
        if (bit_at(k + i)) frame[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
      consider(parse_frame(frame, policy), FrameVersion::v1, k);
    }
    // A version 2 body follows a 1 after at least eight zeros, which only the
    // preamble has.
    const bool bit = bit_at(k);
    if (bit && zeros >= kSyncZeros)
      consider(parse_v2(bit_at, k + 1, count, policy), FrameVersion::v2,
               k >= kPreambleBits - 1 ? k + 1 - kPreambleBits : 1);
    zeros = bit ? 0 : zeros + 1;
  }
  // A version 1 frame that, rotated, is another valid frame is ambiguous however
  // much was recorded: the repeating stream holds both (a recording that ends
  // before the second one is complete would otherwise name the wrong Device).
  if (found && !ambiguous && found->version == FrameVersion::v1) {
    const Frame frame = build_frame(found->device);
    for (std::size_t r = 1; r < kFrameBits && !ambiguous; ++r) {
      Frame rotated{};
      for (std::size_t i = 0; i < kFrameBits; ++i)
        if (frame_bit(frame, (i + r) % kFrameBits))
          rotated[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
      auto other = parse_frame(rotated, policy);
      if (other.ok() && !(other.value() == found->device)) ambiguous = true;
    }
  }
  if (ambiguous) {
    return make_error(Errc::duplicate,
                      "two different LED frames fit the samples (the frame's data contains "
                      "its own start constant): read the label instead",
                      "levels");
  }
  if (found) return *found;
  if (saw_reserved) {
    return make_error(Errc::reserved, "the LED frame names a reserved MS ID", "levels");
  }
  return make_error(Errc::not_found, "no valid LED frame in the samples", "levels");
}

Result<EnrollmentUrl> decode_levels(ByteView levels, IdPolicy policy) {
  TTE_ASSIGN_OR_RETURN(Decoded decoded, decode_frames(levels, policy));
  return decoded.device;
}

}  // namespace tte::led
