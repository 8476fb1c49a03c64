// How a Device image runs, beside its provisioning image in flash: which
// profile it is, how it gets an address, and its retry and registration
// timings. The factory's provisioning image says who the Device is; these say
// how this image of it behaves (a light or a switch, DHCP or a fixed address,
// the protocol's timings or a test bed's). tte-firmware-image writes them
// (docs/device.md, "The image"); the board reads them at boot.
//
// kSize bytes, big-endian:
//   0  4  magic "TTEO"                  12  4  gateway (static)
//   4  1  version (1)                   16  4  first retry wait, ms
//   5  1  profile: 0 light, 1 switch,   20  4  longest retry wait, ms
//         2 sensor                      24  4  registration lifetime, s
//   6  1  network: 0 DHCP, 1 static     28  4  CRC-32 of bytes 0-27
//   7  1  prefix length (static)
//   8  4  IPv4 address (static)
#ifndef TTE_DEVICE_SETTINGS_HPP
#define TTE_DEVICE_SETTINGS_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include "tte/device/device.hpp"
#include "tte/result.hpp"

namespace tte::device {

struct DeviceSettings {
  static constexpr std::size_t kSize = 32;
  static constexpr Millis kMaxRetry = 86'400'000;  // a day

  Profile profile = Profile::light;
  bool dhcp = true;
  std::array<std::uint8_t, 4> address{};  // static only
  std::array<std::uint8_t, 4> gateway{};  // static only
  std::uint8_t prefix_length = 0;         // static only, 1-32
  Millis retry_min = Timing().retry_min;
  Millis retry_max = Timing().retry_max;
  std::uint32_t lifetime = Timing().lifetime;

  // The Device's timings: the protocol's, with these retries and lifetime.
  Timing timing() const;

  // Errors: out_of_range (the field is named): retries of 0 or over a day, a
  // longest retry under the first, a lifetime under 60 s (RFC 9176), a prefix
  // outside 1-32, a static address that is no host's (0/8, loopback, multicast
  // and above, the network's own or broadcast address), a gateway that is not
  // another host on the Device's network.
  Status check() const;
  // Writes kSize bytes. Errors: those of check(), too_long (out too small).
  Status encode(MutableByteView out) const;
  // Errors: syntax (magic, a field), unsupported (version), checksum (CRC),
  // and those of check().
  static Result<DeviceSettings> decode(ByteView bytes);
};

}  // namespace tte::device

#endif  // TTE_DEVICE_SETTINGS_HPP
