// IP addresses and the Controller address ("C Addr" of the draft: an IPv4 or
// IPv6 address and a UDP port), parsed and printed without the C library.
#ifndef TTE_IP_ADDRESS_HPP
#define TTE_IP_ADDRESS_HPP

#include <array>
#include <cstdint>
#include <string_view>

#include "tte/fixed_string.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

class IpAddress {
 public:
  enum class Family : std::uint8_t { v4, v6 };
  // Longest canonical text: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45.
  static constexpr std::size_t kMaxTextLength = 45;
  using Text = FixedString<kMaxTextLength>;

  IpAddress() = default;
  static IpAddress v4(const std::array<std::uint8_t, 4>& bytes);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  // 4 bytes give IPv4, 16 give IPv6. Errors: syntax (any other length).
  static Result<IpAddress> from_bytes(ByteView bytes);

  // Dotted-quad IPv4 (no leading zeros, which some parsers read as octal) or
  // any RFC 4291 text form of IPv6 (including an embedded IPv4 tail). Zone IDs
  // ("%eth0") are refused: they mean nothing to a remote Device.
  // Errors: missing, syntax, unsupported (zone ID).
  static Result<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  // 4 or 16 bytes in network byte order.
  ByteView bytes() const { return ByteView(bytes_.data(), family_ == Family::v4 ? 4 : 16); }
  // IPv4 dotted quad, or IPv6 in the RFC 5952 canonical form.
  Text to_string() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) { return !(a == b); }

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

// Where a Device finds its Controller (or MotherShip): address and UDP port.
struct ControllerAddress {
  // "192.0.2.7:5684" or "[2001:db8::7]:5684".
  static constexpr std::size_t kMaxTextLength = IpAddress::kMaxTextLength + 8;
  using Text = FixedString<kMaxTextLength>;

  IpAddress ip;
  std::uint16_t port = 0;

  // Parses "IPv4:port" or "[IPv6]:port"; port 1-65535.
  // Errors: missing, syntax, out_of_range, unsupported.
  static Result<ControllerAddress> parse(std::string_view text);
  Text to_string() const;

  friend bool operator==(const ControllerAddress& a, const ControllerAddress& b) {
    return a.ip == b.ip && a.port == b.port;
  }
  friend bool operator!=(const ControllerAddress& a, const ControllerAddress& b) {
    return !(a == b);
  }
};

// Parses a UDP/TCP port, 1-65535, decimal. Errors: missing, syntax, out_of_range.
Result<std::uint16_t> parse_port(std::string_view text, const char* field);

}  // namespace tte

#endif  // TTE_IP_ADDRESS_HPP
