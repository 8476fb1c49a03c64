#include "tte/device/settings.hpp"

#include "tte/crc32.hpp"
#include "tte/device/ab_slots.hpp"

namespace tte::device {
namespace {

constexpr std::uint8_t kMagic[4] = {'T', 'T', 'E', 'O'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kDhcp = 0, kStatic = 1;
constexpr std::size_t kCrcAt = 28;

Error settings_error(Errc code, const char* message, const char* field) {
  return make_error(code, message, field);
}

std::uint32_t value_of(const std::array<std::uint8_t, 4>& a) {
  return static_cast<std::uint32_t>(a[0]) << 24 | static_cast<std::uint32_t>(a[1]) << 16 |
         static_cast<std::uint32_t>(a[2]) << 8 | a[3];
}

// An address a host can have on a network: not 0.0.0.0/8, not loopback, not
// multicast or the reserved range above it.
bool host_address(std::uint32_t a) {
  const std::uint32_t first = a >> 24;
  return first != 0 && first != 127 && first < 224;
}

}  // namespace

Timing DeviceSettings::timing() const {
  Timing timing;
  timing.retry_min = retry_min;
  timing.retry_max = retry_max;
  timing.lifetime = lifetime;
  return timing;
}

Status DeviceSettings::check() const {
  if (retry_min == 0 || retry_min > kMaxRetry)
    return settings_error(Errc::out_of_range, "first retry wait outside 1 ms to a day",
                          "retry-min");
  if (retry_max < retry_min || retry_max > kMaxRetry) {
    return settings_error(Errc::out_of_range, "longest retry wait under the first or over a day",
                          "retry-max");
  }
  if (lifetime < 60)
    return settings_error(Errc::out_of_range, "lifetime under 60 s (RFC 9176)", "lifetime");
  if (!dhcp) {
    if (prefix_length < 1 || prefix_length > 32)
      return settings_error(Errc::out_of_range, "prefix length outside 1-32", "address");
    const std::uint32_t own = value_of(address), router = value_of(gateway);
    const std::uint32_t mask = prefix_length == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_length);
    if (!host_address(own))
      return settings_error(Errc::out_of_range, "not an address a Device can have", "address");
    if (prefix_length <= 30 && ((own & ~mask) == 0 || (own & ~mask) == ~mask)) {
      return settings_error(Errc::out_of_range, "the network's own or broadcast address",
                            "address");
    }
    if (!host_address(router) || router == own || (router & mask) != (own & mask)) {
      return settings_error(Errc::out_of_range,
                            "the gateway must be another address on the Device's network",
                            "gateway");
    }
  }
  return ok_status();
}

Status DeviceSettings::encode(MutableByteView out) const {
  TTE_TRY(check());
  if (out.size() < kSize) return settings_error(Errc::too_long, "output too small", nullptr);
  std::uint8_t* p = out.data();
  for (std::size_t i = 0; i < kSize; ++i)
    p[i] = 0;
  for (std::size_t i = 0; i < 4; ++i)
    p[i] = kMagic[i];
  p[4] = kVersion;
  p[5] = static_cast<std::uint8_t>(profile);
  p[6] = dhcp ? kDhcp : kStatic;
  if (!dhcp) {
    p[7] = prefix_length;
    for (std::size_t i = 0; i < 4; ++i) {
      p[8 + i] = address[i];
      p[12 + i] = gateway[i];
    }
  }
  put_be32(p + 16, static_cast<std::uint32_t>(retry_min));
  put_be32(p + 20, static_cast<std::uint32_t>(retry_max));
  put_be32(p + 24, lifetime);
  put_be32(p + kCrcAt, crc32(ByteView(p, kCrcAt)));
  return ok_status();
}

Result<DeviceSettings> DeviceSettings::decode(ByteView bytes) {
  if (bytes.size() < kSize) return settings_error(Errc::syntax, "settings too short", nullptr);
  const std::uint8_t* p = bytes.data();
  for (std::size_t i = 0; i < 4; ++i) {
    if (p[i] != kMagic[i]) return settings_error(Errc::syntax, "no settings here", nullptr);
  }
  if (get_be32(p + kCrcAt) != crc32(ByteView(p, kCrcAt)))
    return settings_error(Errc::checksum, "settings CRC mismatch", nullptr);
  if (p[4] != kVersion)
    return settings_error(Errc::unsupported, "unknown settings version", nullptr);
  DeviceSettings settings;
  if (p[5] > static_cast<std::uint8_t>(Profile::sensor))
    return settings_error(Errc::syntax, "unknown profile", "profile");
  settings.profile = static_cast<Profile>(p[5]);
  if (p[6] != kDhcp && p[6] != kStatic)
    return settings_error(Errc::syntax, "unknown network mode", "network");
  settings.dhcp = p[6] == kDhcp;
  if (settings.dhcp) {
    for (std::size_t i = 7; i < 16; ++i) {
      if (p[i] != 0) return settings_error(Errc::syntax, "a static address with DHCP", "network");
    }
  } else {
    settings.prefix_length = p[7];
    for (std::size_t i = 0; i < 4; ++i) {
      settings.address[i] = p[8 + i];
      settings.gateway[i] = p[12 + i];
    }
  }
  settings.retry_min = get_be32(p + 16);
  settings.retry_max = get_be32(p + 20);
  settings.lifetime = get_be32(p + 24);
  TTE_TRY(settings.check());
  return settings;
}

}  // namespace tte::device
