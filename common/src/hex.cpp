#include "tte/hex.hpp"

namespace tte {

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::uint64_t> parse_hex_number(std::string_view text, std::size_t max_digits,
                                       const char* field) {
  if (text.empty()) return make_error(Errc::missing, "empty hex number", field);
  if (text.size() > max_digits) return make_error(Errc::too_long, "too many hex digits", field);
  std::uint64_t value = 0;
  for (char c : text) {
    int digit = hex_digit_value(c);
    if (digit < 0) return make_error(Errc::syntax, "not a hex digit", field);
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

Status parse_hex_bytes(std::string_view text, MutableByteView out, const char* field) {
  if (text.size() != 2 * out.size())
    return make_error(Errc::syntax, "wrong number of hex digits", field);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int high = hex_digit_value(text[2 * i]);
    int low = hex_digit_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return make_error(Errc::syntax, "not a hex digit", field);
    out[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return ok_status();
}

void write_hex_lower(ByteView bytes, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::uint8_t b : bytes) {
    *out++ = kDigits[b >> 4];
    *out++ = kDigits[b & 0x0f];
  }
}

void write_hex_number(std::uint64_t value, std::size_t digits, bool upper, char* out) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (std::size_t i = 0; i < digits; ++i) {
    out[digits - 1 - i] = alphabet[value & 0x0f];
    value >>= 4;
  }
}

}  // namespace tte
