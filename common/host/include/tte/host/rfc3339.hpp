// RFC 3339 timestamps, the text form of every time in TTE's JSON messages.
// Pure functions: the caller supplies the time.
#ifndef TTE_HOST_RFC3339_HPP
#define TTE_HOST_RFC3339_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "tte/result.hpp"

namespace tte {

// Seconds since 1970-01-01T00:00:00Z as "2026-11-28T05:28:40Z" (UTC, whole seconds).
std::string format_rfc3339(std::int64_t unix_seconds);

// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" ('t' and 'z' too) to
// seconds since the epoch; fractions are truncated. Errors: syntax, out_of_range.
Result<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace tte

#endif  // TTE_HOST_RFC3339_HPP
