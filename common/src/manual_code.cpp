#include "tte/manual_code.hpp"

#include "tte/ascii.hpp"

namespace tte::manual_code {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kPayloadBytes = 15;

// Multiplication by x in GF(2^5) = GF(2)[x] / (x^5 + x^2 + 1). x is primitive
// (order 31), so the weights x^0..x^24 are distinct and non-zero.
std::uint8_t times_x(std::uint8_t a) {
  a = static_cast<std::uint8_t>(a << 1);
  if (a & 0x20) a ^= 0x25;
  return a;
}

}  // namespace

int symbol_value(char c) {
  c = ascii::to_upper(c);
  if (c == 'O') return 0;
  if (c == 'I' || c == 'L') return 1;
  for (int v = 0; v < 32; ++v) {
    if (kAlphabet[v] == c) return v;
  }
  return -1;
}

// S = sum over i of v[i] * x^(24 - i) with the check symbol at i = 24: a valid
// code has S = 0, so check = sum over i < 24 of v[i] * x^(24 - i) (addition is
// XOR in characteristic 2). A single error e at position i changes S by
// e * x^(24-i) != 0; swapping a != b at i, i+1 changes it by
// (a ^ b) * x^(23-i) * (x + 1) != 0. Both are products of non-zero field elements.
std::uint8_t check_value(const std::uint8_t* data_values) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < kDataSymbols; ++i)
    sum = times_x(static_cast<std::uint8_t>(sum ^ data_values[i]));
  return sum;
}

Text encode(const EnrollmentUrl& url) {
  std::uint8_t payload[kPayloadBytes];
  std::uint32_t ms = url.ms_id().value();
  payload[0] = static_cast<std::uint8_t>(ms >> 16);
  payload[1] = static_cast<std::uint8_t>(ms >> 8);
  payload[2] = static_cast<std::uint8_t>(ms);
  std::uint32_t dev = url.dev_id().value();
  for (std::size_t i = 0; i < 4; ++i)
    payload[3 + i] = static_cast<std::uint8_t>(dev >> (24 - 8 * i));
  auto otp = url.otp().to_bytes();
  for (std::size_t i = 0; i < 8; ++i)
    payload[7 + i] = otp[i];

  std::uint8_t values[kSymbols];
  for (std::size_t s = 0; s < kDataSymbols; ++s) {
    // Symbol s holds payload bits [5s, 5s + 5), most significant first.
    std::size_t bit = 5 * s;
    unsigned window = static_cast<unsigned>(payload[bit / 8]) << 8;
    if (bit / 8 + 1 < kPayloadBytes) window |= payload[bit / 8 + 1];
    values[s] = static_cast<std::uint8_t>((window >> (11 - bit % 8)) & 0x1f);
  }
  values[kDataSymbols] = check_value(values);

  Text text;
  text.append("TTE");
  for (std::size_t s = 0; s < kSymbols; ++s) {
    if (s % 4 == 0) text.push_back('-');
    text.push_back(kAlphabet[values[s]]);
  }
  return text;
}

Result<EnrollmentUrl> decode(std::string_view text, IdPolicy policy) {
  // Normalise: drop separators, keep at most kSymbols + 3 symbols ("TTE" prefix).
  char symbols[kSymbols + 3];
  std::size_t n = 0;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    if (n == sizeof symbols) {
      return make_error(Errc::syntax, "a manual code has 25 characters after TTE", "code");
    }
    symbols[n++] = c;
  }
  if (n == 0) return make_error(Errc::missing, "empty manual code", "code");
  const char* start = symbols;
  if (n == kSymbols + 3 && ascii::equals_ignoring_case(std::string_view(symbols, 3), "TTE")) {
    start += 3;
    n -= 3;
  }
  if (n != kSymbols) {
    return make_error(Errc::syntax, "a manual code has 25 characters after TTE", "code");
  }
  std::uint8_t values[kSymbols];
  for (std::size_t s = 0; s < kSymbols; ++s) {
    int v = symbol_value(start[s]);
    if (v < 0) {
      return make_error(Errc::syntax, "the manual code has a character that is never printed",
                        "code");
    }
    values[s] = static_cast<std::uint8_t>(v);
  }
  if (check_value(values) != values[kDataSymbols]) {
    return make_error(Errc::checksum, "the manual code has a typing error", "code");
  }
  std::uint8_t payload[kPayloadBytes] = {};
  for (std::size_t s = 0; s < kDataSymbols; ++s) {
    for (std::size_t b = 0; b < 5; ++b) {
      std::size_t bit = 5 * s + b;
      if ((values[s] >> (4 - b)) & 1)
        payload[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    }
  }
  std::uint32_t ms =
      (std::uint32_t{payload[0]} << 16) | (std::uint32_t{payload[1]} << 8) | payload[2];
  std::uint32_t dev = 0;
  for (std::size_t i = 0; i < 4; ++i)
    dev = (dev << 8) | payload[3 + i];
  std::uint64_t otp = 0;
  for (std::size_t i = 0; i < 8; ++i)
    otp = (otp << 8) | payload[7 + i];
  TTE_ASSIGN_OR_RETURN(MsId ms_id, MsId::from_value(ms, policy));
  return EnrollmentUrl(ms_id, DevId(dev), Otp(otp));
}

}  // namespace tte::manual_code
