// The identifiers of TTE (draft Section 2, docs/protocol.md "Identifiers"):
// MS ID, Dev ID, OTP and Fingerprint, each with strict parsing and one
// canonical text form.
#ifndef TTE_IDENTIFIERS_HPP
#define TTE_IDENTIFIERS_HPP

#include <array>
#include <cstdint>
#include <string_view>

#include "tte/fixed_string.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

// Whether the reserved example MotherShip ID 0 is acceptable. Operational
// systems refuse it (draft Section 3.4); demos and tests opt in.
enum class IdPolicy : std::uint8_t { operational, allow_example };

// MotherShip ID: 32 bits, high byte 0x00 (other high bytes are reserved for
// future specifications), 0 reserved for examples.
class MsId {
 public:
  static constexpr std::uint32_t kExample = 0;
  static constexpr std::size_t kHostLength = 14;  // "tte-" + 6 hex + ".net"
  using Host = FixedString<kHostLength>;

  // Errors: reserved (high byte not zero; 0 under IdPolicy::operational).
  static Result<MsId> from_value(std::uint32_t value, IdPolicy policy);
  // Parses a number as an operator types it: decimal ("10") or hex with 0x ("0xA").
  // Errors: missing, syntax, out_of_range, reserved.
  static Result<MsId> parse_number(std::string_view text, IdPolicy policy);
  // Parses a MotherShip host name, "tte-00000A.net", case-insensitively.
  // Errors: syntax (not of the form), reserved.
  static Result<MsId> from_host(std::string_view host, IdPolicy policy);

  std::uint32_t value() const { return value_; }
  bool is_example() const { return value_ == kExample; }
  // "tte-" + six upper-case hex digits of the low 24 bits + ".net".
  Host host() const;

  friend bool operator==(MsId a, MsId b) { return a.value_ == b.value_; }
  friend bool operator!=(MsId a, MsId b) { return a.value_ != b.value_; }

 private:
  explicit MsId(std::uint32_t value) : value_(value) {}
  std::uint32_t value_ = 0;
};

// Device ID: 32 bits, unique per MotherShip. Text: 8 lower-case hex digits;
// parsed from 1-8 hex digits in any case.
class DevId {
 public:
  using Text = FixedString<8>;

  constexpr explicit DevId(std::uint32_t value) : value_(value) {}
  // Errors: missing, too_long, syntax.
  static Result<DevId> parse(std::string_view text);

  constexpr std::uint32_t value() const { return value_; }
  Text to_string() const;

  friend constexpr bool operator==(DevId a, DevId b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(DevId a, DevId b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(DevId a, DevId b) { return a.value_ < b.value_; }

 private:
  std::uint32_t value_;
};

// One-time password: 64 random bits. Text: 16 lower-case hex digits; parsed
// from 1-16 hex digits in any case.
class Otp {
 public:
  using Text = FixedString<16>;

  constexpr explicit Otp(std::uint64_t value) : value_(value) {}
  // Errors: missing, too_long, syntax.
  static Result<Otp> parse(std::string_view text);

  constexpr std::uint64_t value() const { return value_; }
  Text to_string() const;
  // The 8 bytes in network byte order (what HMACs and frames are computed over).
  std::array<std::uint8_t, 8> to_bytes() const;

  friend constexpr bool operator==(Otp a, Otp b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(Otp a, Otp b) { return a.value_ != b.value_; }

 private:
  std::uint64_t value_;
};

// SHA-256 over the DER SubjectPublicKeyInfo of a DTLS key. Text: 64 lower-case
// hex digits; parsed from 64 hex digits in any case, or 32 colon-separated pairs.
// (Computing one from a certificate or key needs a crypto library: see
// tte/host/x509.hpp on hosts, the DTLS stack on the Device.)
class Fingerprint {
 public:
  static constexpr std::size_t kSize = 32;
  using Bytes = std::array<std::uint8_t, kSize>;
  using Text = FixedString<2 * kSize>;

  Fingerprint() = default;
  explicit Fingerprint(const Bytes& bytes) : bytes_(bytes) {}
  // Errors: missing, syntax.
  static Result<Fingerprint> parse(std::string_view text);
  // Errors: syntax (not exactly 32 bytes).
  static Result<Fingerprint> from_bytes(ByteView bytes);

  const Bytes& bytes() const { return bytes_; }
  Text to_string() const;

  // Constant-time comparison: use it wherever a fingerprint authenticates a peer.
  bool matches(const Fingerprint& other) const;
  friend bool operator==(const Fingerprint& a, const Fingerprint& b) { return a.matches(b); }
  friend bool operator!=(const Fingerprint& a, const Fingerprint& b) { return !a.matches(b); }

 private:
  Bytes bytes_{};
};

}  // namespace tte

#endif  // TTE_IDENTIFIERS_HPP
