// URL splitting, query strings and percent-encoding for the HTTPS side of TTE.
#ifndef TTE_QUERY_HPP
#define TTE_QUERY_HPP

#include <string_view>
#include <type_traits>

#include "tte/fixed_string.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

// The parts of an https:// URL that TTE looks at.
struct HttpsUrl {
  std::string_view host;   // as written (case preserved)
  std::string_view path;   // "/..." ("/" if the URL had none)
  std::string_view query;  // after '?', without it; empty if none
};

// Splits an absolute https URL. A port, if written, must be 443: TTE URLs use
// the default port (draft Section 2). Fragments and user information are refused.
// Errors: syntax, unsupported (a port other than 443).
Result<HttpsUrl> split_https_url(std::string_view url);

// Which characters separate parameters. URL queries accept '&', ';' and the
// draft example's ','; form bodies (application/x-www-form-urlencoded) only '&'.
enum class QueryStyle : unsigned char { url, form };

struct QueryParameter {
  std::string_view name;   // still percent-encoded
  std::string_view value;  // still percent-encoded; empty if there was no '='
  bool has_value = false;  // whether the parameter had an '='
};

// Iterates over the parameters of a query string, skipping empty ones ("a=1&&b=2").
class QueryReader {
 public:
  QueryReader(std::string_view query, QueryStyle style) : rest_(query), style_(style) {}
  bool next(QueryParameter& out);

 private:
  std::string_view rest_;
  QueryStyle style_;
};

// Percent-decodes text into out. In form style '+' decodes to a space.
// Errors: syntax (a '%' not followed by two hex digits), too_long (out too small).
Result<std::string_view> percent_decode(std::string_view text, Span<char> out, QueryStyle style,
                                        const char* field);

// Whether c passes through percent-encoding unchanged (RFC 3986 "unreserved").
bool is_url_unreserved(char c);

// Which characters percent-encoding leaves as they are: the RFC 3986
// "unreserved" ones (query values, anything), or those and ':' and '@', which
// a path segment holds as they are (RFC 3986 "pchar" without the sub-delims):
// a URN in a path then stays readable ("/devices/urn:dev:ops:32473-Light-1").
enum class PercentSet : unsigned char { unreserved, path_segment };

// Appends text percent-encoded (everything but the characters of `keep`) to
// out, a FixedString or std::string. Returns false if a FixedString is too small.
template <typename Out>
bool append_percent_encoded(Out& out, std::string_view text,
                            PercentSet keep = PercentSet::unreserved) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (char c : text) {
    if (is_url_unreserved(c) || (keep == PercentSet::path_segment && (c == ':' || c == '@'))) {
      if constexpr (std::is_same_v<decltype(out.push_back(c)), bool>) {
        if (!out.push_back(c)) return false;
      } else {
        out.push_back(c);
      }
    } else {
      unsigned char byte = static_cast<unsigned char>(c);
      const char escaped[3] = {'%', kDigits[byte >> 4], kDigits[byte & 0x0f]};
      if constexpr (std::is_same_v<decltype(out.append(std::string_view())), bool>) {
        if (!out.append(std::string_view(escaped, 3))) return false;
      } else {
        out.append(escaped, 3);
      }
    }
  }
  return true;
}

}  // namespace tte

#endif  // TTE_QUERY_HPP
