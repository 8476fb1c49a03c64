#include "tte/identifiers.hpp"

#include "tte/ascii.hpp"
#include "tte/hex.hpp"

namespace tte {

Result<MsId> MsId::from_value(std::uint32_t value, IdPolicy policy) {
  if ((value >> 24) != 0) {
    return make_error(Errc::reserved, "MS IDs with a high byte other than 0x00 are reserved",
                      "ms_id");
  }
  if (value == kExample && policy != IdPolicy::allow_example) {
    return make_error(Errc::reserved,
                      "MS ID 0 is reserved for examples and refused by operational systems",
                      "ms_id");
  }
  return MsId(value);
}

Result<MsId> MsId::parse_number(std::string_view text, IdPolicy policy) {
  if (text.empty()) return make_error(Errc::missing, "empty MS ID", "ms_id");
  std::uint64_t value = 0;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    TTE_ASSIGN_OR_RETURN(value, parse_hex_number(text.substr(2), 8, "ms_id"));
  } else {
    if (text.size() > 10) return make_error(Errc::out_of_range, "MS ID exceeds 32 bits", "ms_id");
    for (char c : text) {
      if (c < '0' || c > '9') return make_error(Errc::syntax, "MS ID is not a number", "ms_id");
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > 0xffffffffu)
      return make_error(Errc::out_of_range, "MS ID exceeds 32 bits", "ms_id");
  }
  return from_value(static_cast<std::uint32_t>(value), policy);
}

Result<MsId> MsId::from_host(std::string_view host, IdPolicy policy) {
  constexpr std::string_view kPrefix = "tte-";
  constexpr std::string_view kSuffix = ".net";
  if (host.size() != kHostLength || !ascii::equals_ignoring_case(host.substr(0, 4), kPrefix) ||
      !ascii::equals_ignoring_case(host.substr(10), kSuffix)) {
    return make_error(Errc::syntax, "not a MotherShip host name of the form tte-XXXXXX.net",
                      "host");
  }
  std::uint32_t value = 0;
  for (char c : host.substr(4, 6)) {
    int digit = hex_digit_value(c);
    if (digit < 0) {
      return make_error(Errc::syntax, "MotherShip host name must carry six hex digits", "host");
    }
    value = (value << 4) | static_cast<std::uint32_t>(digit);
  }
  return from_value(value, policy);
}

MsId::Host MsId::host() const {
  char text[kHostLength] = {'t', 't', 'e', '-'};
  write_hex_number(value_ & 0xffffffu, 6, /*upper=*/true, text + 4);
  text[10] = '.';
  text[11] = 'n';
  text[12] = 'e';
  text[13] = 't';
  Host host;
  host.append(std::string_view(text, kHostLength));
  return host;
}

Result<DevId> DevId::parse(std::string_view text) {
  TTE_ASSIGN_OR_RETURN(std::uint64_t value, parse_hex_number(text, 8, "devid"));
  return DevId(static_cast<std::uint32_t>(value));
}

DevId::Text DevId::to_string() const {
  char digits[8];
  write_hex_number(value_, 8, /*upper=*/false, digits);
  Text text;
  text.append(std::string_view(digits, 8));
  return text;
}

Result<Otp> Otp::parse(std::string_view text) {
  TTE_ASSIGN_OR_RETURN(std::uint64_t value, parse_hex_number(text, 16, "otp"));
  return Otp(value);
}

Otp::Text Otp::to_string() const {
  char digits[16];
  write_hex_number(value_, 16, /*upper=*/false, digits);
  Text text;
  text.append(std::string_view(digits, 16));
  return text;
}

std::array<std::uint8_t, 8> Otp::to_bytes() const {
  std::array<std::uint8_t, 8> bytes{};
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(value_ >> (56 - 8 * i));
  }
  return bytes;
}

Result<Fingerprint> Fingerprint::parse(std::string_view text) {
  if (text.empty()) return make_error(Errc::missing, "empty fingerprint", "fingerprint");
  Bytes bytes{};
  if (text.size() == 2 * kSize) {
    TTE_TRY(parse_hex_bytes(text, bytes, "fingerprint"));
    return Fingerprint(bytes);
  }
  // "AB:CD:..." as printed by `openssl x509 -fingerprint`.
  if (text.size() != 3 * kSize - 1) {
    return make_error(Errc::syntax, "a fingerprint is 64 hex digits (SHA-256)", "fingerprint");
  }
  for (std::size_t i = 0; i < kSize; ++i) {
    if (i + 1 < kSize && text[3 * i + 2] != ':') {
      return make_error(Errc::syntax, "fingerprint separators must all be ':'", "fingerprint");
    }
    TTE_TRY(parse_hex_bytes(text.substr(3 * i, 2), MutableByteView(&bytes[i], 1), "fingerprint"));
  }
  return Fingerprint(bytes);
}

Result<Fingerprint> Fingerprint::from_bytes(ByteView bytes) {
  if (bytes.size() != kSize) {
    return make_error(Errc::syntax, "a fingerprint is 32 bytes (SHA-256)", "fingerprint");
  }
  Bytes copy{};
  for (std::size_t i = 0; i < kSize; ++i)
    copy[i] = bytes[i];
  return Fingerprint(copy);
}

Fingerprint::Text Fingerprint::to_string() const {
  char digits[2 * kSize];
  write_hex_lower(bytes_, digits);
  Text text;
  text.append(std::string_view(digits, sizeof digits));
  return text;
}

bool Fingerprint::matches(const Fingerprint& other) const {
  return equal_constant_time(bytes_, other.bytes_);
}

}  // namespace tte
