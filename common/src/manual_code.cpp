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
std::uint8_t check_value(const std::uint8_t* data_values, std::size_t count) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < count; ++i)
    sum = times_x(static_cast<std::uint8_t>(sum ^ data_values[i]));
  return sum;
}

std::uint8_t check_value(const std::uint8_t* data_values) {
  return check_value(data_values, kDataSymbols);
}

namespace {

// Symbol s holds payload bits [5s, 5s + 5), most significant first; the last
// symbol is the check symbol. `values` has data_symbols + 1 entries.
void to_symbols(const std::uint8_t* payload, std::size_t payload_bytes, std::size_t data_symbols,
                std::uint8_t* values) {
  for (std::size_t s = 0; s < data_symbols; ++s) {
    std::size_t bit = 5 * s;
    unsigned window = static_cast<unsigned>(payload[bit / 8]) << 8;
    if (bit / 8 + 1 < payload_bytes) window |= payload[bit / 8 + 1];
    values[s] = static_cast<std::uint8_t>((window >> (11 - bit % 8)) & 0x1f);
  }
  values[data_symbols] = check_value(values, data_symbols);
}

void from_symbols(const std::uint8_t* values, std::size_t data_symbols, std::uint8_t* payload) {
  for (std::size_t s = 0; s < data_symbols; ++s) {
    for (std::size_t b = 0; b < 5; ++b) {
      std::size_t bit = 5 * s + b;
      if ((values[s] >> (4 - b)) & 1)
        payload[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    }
  }
}

template <std::size_t N>
void append_grouped(FixedString<N>& text, const char* prefix, const std::uint8_t* values,
                    std::size_t symbols) {
  text.append(prefix);
  for (std::size_t s = 0; s < symbols; ++s) {
    if (s % 4 == 0) text.push_back('-');
    text.push_back(kAlphabet[values[s]]);
  }
}

// Drops separators and an optional 3-letter prefix, folds look-alikes and
// checks the check symbol: the symbol values of a code of `symbols` symbols.
Status read_symbols(std::string_view text, std::string_view prefix, std::size_t symbols,
                    const char* length_message, std::uint8_t* values) {
  char kept[64];
  std::size_t n = 0;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    if (n == symbols + 3 || n == sizeof kept)
      return make_error(Errc::syntax, length_message, "code");
    kept[n++] = c;
  }
  if (n == 0) return make_error(Errc::missing, "empty manual code", "code");
  const char* start = kept;
  if (n == symbols + 3 && ascii::equals_ignoring_case(std::string_view(kept, 3), prefix)) {
    start += 3;
    n -= 3;
  }
  if (n != symbols) return make_error(Errc::syntax, length_message, "code");
  for (std::size_t s = 0; s < symbols; ++s) {
    int v = symbol_value(start[s]);
    if (v < 0) {
      return make_error(Errc::syntax, "the manual code has a character that is never printed",
                        "code");
    }
    values[s] = static_cast<std::uint8_t>(v);
  }
  if (check_value(values, symbols - 1) != values[symbols - 1]) {
    return make_error(Errc::checksum, "the manual code has a typing error", "code");
  }
  return ok_status();
}

constexpr std::size_t kBoxPayloadBytes = 25;

}  // namespace

BoxText encode_box(const BoxUrl& box) {
  std::uint8_t payload[kBoxPayloadBytes];
  std::uint32_t ms = box.ms_id().value();
  payload[0] = static_cast<std::uint8_t>(ms >> 16);
  payload[1] = static_cast<std::uint8_t>(ms >> 8);
  payload[2] = static_cast<std::uint8_t>(ms);
  std::uint32_t first = box.first().value();
  for (std::size_t i = 0; i < 4; ++i)
    payload[3 + i] = static_cast<std::uint8_t>(first >> (24 - 8 * i));
  payload[7] = static_cast<std::uint8_t>(box.count() >> 8);
  payload[8] = static_cast<std::uint8_t>(box.count());
  for (std::size_t i = 0; i < BoxUrl::kKeySize; ++i)
    payload[9 + i] = box.key()[i];
  std::uint8_t values[kBoxSymbols];
  to_symbols(payload, kBoxPayloadBytes, kBoxDataSymbols, values);
  BoxText text;
  append_grouped(text, "TTB", values, kBoxSymbols);
  return text;
}

Result<BoxUrl> decode_box(std::string_view text, IdPolicy policy) {
  std::uint8_t values[kBoxSymbols];
  TTE_TRY(read_symbols(text, "TTB", kBoxSymbols, "a box's manual code has 41 characters after TTB",
                       values));
  std::uint8_t payload[kBoxPayloadBytes] = {};
  from_symbols(values, kBoxDataSymbols, payload);
  std::uint32_t ms =
      (std::uint32_t{payload[0]} << 16) | (std::uint32_t{payload[1]} << 8) | payload[2];
  std::uint32_t first = 0;
  for (std::size_t i = 0; i < 4; ++i)
    first = (first << 8) | payload[3 + i];
  const std::uint32_t count = (std::uint32_t{payload[7]} << 8) | payload[8];
  BoxUrl::Key key{};
  for (std::size_t i = 0; i < BoxUrl::kKeySize; ++i)
    key[i] = payload[9 + i];
  TTE_ASSIGN_OR_RETURN(MsId ms_id, MsId::from_value(ms, policy));
  return BoxUrl::make(ms_id, DevId(first), count, key);
}

bool looks_like_box_code(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if (c != '-' && c != ' ') ++n;
  }
  return n == kBoxSymbols || n == kBoxSymbols + 3;
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
  to_symbols(payload, kPayloadBytes, kDataSymbols, values);
  Text text;
  append_grouped(text, "TTE", values, kSymbols);
  return text;
}

Result<EnrollmentUrl> decode(std::string_view text, IdPolicy policy) {
  std::uint8_t values[kSymbols];
  TTE_TRY(read_symbols(text, "TTE", kSymbols, "a manual code has 25 characters after TTE", values));
  std::uint8_t payload[kPayloadBytes] = {};
  from_symbols(values, kDataSymbols, payload);
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
