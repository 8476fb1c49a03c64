// Message 10: the MotherShip's answer to a Device's enrollment query
// (docs/protocol.md §8), as a CBOR map
//
//   { 1: cip (bstr, 4 or 16 bytes), 2: cport (uint), 3: cfingerprint (bstr, 32),
//     ? 4: cpsk (bstr, 16) }
//
// encoded with the keys in ascending order. Decoding ignores keys it does not
// know (so later versions can add some) and refuses duplicates.
#ifndef TTE_ENROLLMENT_ANSWER_HPP
#define TTE_ENROLLMENT_ANSWER_HPP

#include <array>
#include <cstdint>

#include "tte/identifiers.hpp"
#include "tte/ip_address.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

// CoAP Content-Format numbers used by TTE.
inline constexpr std::uint16_t kContentFormatJson = 50;
inline constexpr std::uint16_t kContentFormatCbor = 60;

struct EnrollmentAnswer {
  static constexpr std::size_t kPskSize = 16;
  // Largest encoding: map(4) + 4 keys + bstr(16) + uint16 + bstr(32) + bstr(16).
  static constexpr std::size_t kMaxEncodedSize = 1 + 4 + 17 + 3 + 34 + 17;

  ControllerAddress controller;
  Fingerprint controller_fingerprint;
  bool has_psk = false;
  std::array<std::uint8_t, kPskSize> psk{};

  // Errors: too_long (out smaller than needed).
  Result<ByteView> encode_cbor(MutableByteView out) const;
  // Errors: syntax (malformed CBOR, wrong types or lengths, trailing bytes),
  // missing (keys 1-3), duplicate, out_of_range (port 0), unsupported.
  static Result<EnrollmentAnswer> decode_cbor(ByteView in);

  friend bool operator==(const EnrollmentAnswer& a, const EnrollmentAnswer& b) {
    return a.controller == b.controller && a.controller_fingerprint == b.controller_fingerprint &&
           a.has_psk == b.has_psk && (!a.has_psk || a.psk == b.psk);
  }
};

}  // namespace tte

#endif  // TTE_ENROLLMENT_ANSWER_HPP
