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

// The value of a Crockford base32 symbol after look-alike folding, or -1.
int symbol_value(char c);
// The check symbol's value (0-31) for 24 data symbol values.
std::uint8_t check_value(const std::uint8_t* data_values);

}  // namespace tte::manual_code

#endif  // TTE_MANUAL_CODE_HPP
