#include "tte/host/rfc3339.hpp"

#include <cstdio>

#include "tte/ascii.hpp"

namespace tte {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool read_digits(std::string_view text, std::size_t pos, std::size_t count, unsigned& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (!ascii::is_digit(c)) return false;
    out = out * 10 + static_cast<unsigned>(c - '0');
  }
  return true;
}

Error time_error(const char* message) {
  return make_error(Errc::syntax, message, "time");
}

}  // namespace

std::string format_rfc3339(std::int64_t unix_seconds) {
  std::int64_t days = unix_seconds / 86400;
  std::int64_t seconds_of_day = unix_seconds % 86400;
  if (seconds_of_day < 0) {
    seconds_of_day += 86400;
    days -= 1;
  }
  std::int64_t year;
  unsigned month, day;
  civil_from_days(days, year, month, day);
  char text[64];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(year), month, day,
                static_cast<long long>(seconds_of_day / 3600),
                static_cast<long long>(seconds_of_day / 60 % 60),
                static_cast<long long>(seconds_of_day % 60));
  return text;
}

Result<std::int64_t> parse_rfc3339(std::string_view text) {
  unsigned year, month, day, hour, minute, second;
  if (!read_digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, hour) || text[13] != ':' ||
      !read_digits(text, 14, 2, minute) || text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return time_error("not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)");
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return make_error(Errc::out_of_range, "RFC 3339 date-time field out of range", "time");
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < text.size() && ascii::is_digit(text[pos]))
      ++pos;
    if (pos == start) return time_error("RFC 3339 fraction without digits");
  }
  std::int64_t offset = 0;
  if (pos + 1 == text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    pos += 1;
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-')) {
    unsigned offset_hour, offset_minute;
    if (!read_digits(text, pos + 1, 2, offset_hour) || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, offset_minute) || offset_hour > 23 || offset_minute > 59) {
      return time_error("bad RFC 3339 time offset");
    }
    offset = (text[pos] == '+' ? 1 : -1) *
             static_cast<std::int64_t>(offset_hour * 3600 + offset_minute * 60);
    pos += 6;
  } else {
    return time_error("RFC 3339 date-time needs Z or an offset");
  }
  std::int64_t days = days_from_civil(year, month, day);
  return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

}  // namespace tte
