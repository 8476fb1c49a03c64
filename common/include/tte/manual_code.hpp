// The manual code: the label's (MS ID, Dev ID, OTP) as a string an installer can
// type when no camera works (docs/protocol.md "Manual code").
//
//   TTE-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-C
//
// 24 Crockford base32 symbols carry the 15 bytes (3 low bytes of the MS ID, the
// Dev ID, the OTP; big-endian, most significant bit first) and C is a check
// symbol over GF(32) that detects every single-symbol error and every swap of
// two adjacent symbols (the proof is in docs/protocol.md and manual_code_test).
#ifndef TTE_MANUAL_CODE_HPP
#define TTE_MANUAL_CODE_HPP

#include <cstdint>
#include <string_view>

#include "tte/enrollment_url.hpp"
#include "tte/fixed_string.hpp"
#include "tte/result.hpp"

namespace tte::manual_code {

inline constexpr std::size_t kDataSymbols = 24;
inline constexpr std::size_t kSymbols = kDataSymbols + 1;
// "TTE-" + 6 groups of "XXXX-" + the check symbol.
inline constexpr std::size_t kLength = 4 + 6 * 5 + 1;
using Text = FixedString<kLength>;

// The canonical, grouped, upper-case form.
Text encode(const EnrollmentUrl& url);

// Accepts the code with or without "TTE", in any case, with any hyphens or spaces,
// and with the Crockford look-alikes O->0, I->1, L->1.
// Errors: missing, syntax (length or a character outside the alphabet),
// checksum (a typing error), reserved (MS ID).
Result<EnrollmentUrl> decode(std::string_view text, IdPolicy policy);

// A box's manual code (docs/protocol.md §13.2): the box URL's (MS ID, first Dev
// ID, count, box key) as 25 bytes (3 low bytes of the MS ID, the Dev ID, the
// count in 2 bytes, the key; big-endian) in 40 symbols and the same kind of
// check symbol:
//
//   TTB-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-C
inline constexpr std::size_t kBoxDataSymbols = 40;
inline constexpr std::size_t kBoxSymbols = kBoxDataSymbols + 1;
// "TTB-" + 10 groups of "XXXX-" + the check symbol.
inline constexpr std::size_t kBoxLength = 4 + 10 * 5 + 1;
using BoxText = FixedString<kBoxLength>;

BoxText encode_box(const BoxUrl& box);

// Same leniency as decode, with or without "TTB".
// Errors: missing, syntax, checksum, reserved (MS ID), out_of_range (count).
Result<BoxUrl> decode_box(std::string_view text, IdPolicy policy);

// Whether text looks like a box's manual code rather than a Device's: it has
// a box code's number of symbols (with or without "TTB"). Decides nothing
// about its validity.
bool looks_like_box_code(std::string_view text);

// The value of a Crockford base32 symbol after look-alike folding, or -1.
int symbol_value(char c);
// The check symbol's value (0-31) for 24 data symbol values.
std::uint8_t check_value(const std::uint8_t* data_values);
// The check symbol's value for `count` data symbol values.
std::uint8_t check_value(const std::uint8_t* data_values, std::size_t count);

}  // namespace tte::manual_code

#endif  // TTE_MANUAL_CODE_HPP
