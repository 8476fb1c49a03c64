// Hexadecimal text <-> numbers and bytes, strict and allocation-free.
#ifndef TTE_HEX_HPP
#define TTE_HEX_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

// Value of one hex digit (any case), or -1.
int hex_digit_value(char c);

// Parses 1..max_digits hex digits (any case, no prefix, no sign, no spaces).
// Errors: missing (empty), too_long (more than max_digits), syntax (a non-hex character).
Result<std::uint64_t> parse_hex_number(std::string_view text, std::size_t max_digits,
                                       const char* field);

// Decodes exactly out.size() bytes from 2*out.size() hex digits (any case).
// Errors: syntax (wrong length or a non-hex character).
Status parse_hex_bytes(std::string_view text, MutableByteView out, const char* field);

// Writes 2*bytes.size() lower-case hex digits to out (no NUL).
void write_hex_lower(ByteView bytes, char* out);

// Writes the value as exactly `digits` hex digits (lower or upper case) to out (no NUL).
void write_hex_number(std::uint64_t value, std::size_t digits, bool upper, char* out);

}  // namespace tte

#endif  // TTE_HEX_HPP
