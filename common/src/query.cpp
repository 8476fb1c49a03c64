#include "tte/query.hpp"

#include "tte/ascii.hpp"
#include "tte/hex.hpp"

namespace tte {

Result<HttpsUrl> split_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (!ascii::starts_with_ignoring_case(url, kScheme)) {
    return make_error(Errc::syntax, "the URL must start with https://", "url");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('#') != std::string_view::npos) {
    return make_error(Errc::syntax, "the URL must not have a fragment (#...)", "url");
  }
  std::size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return make_error(Errc::syntax, "the URL must not carry user information", "url");
  }
  HttpsUrl parts;
  std::size_t colon = authority.find(':');
  parts.host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    if (authority.substr(colon + 1) != "443") {
      return make_error(Errc::unsupported, "TTE URLs use the default HTTPS port", "url");
    }
  }
  if (parts.host.empty()) return make_error(Errc::syntax, "the URL has no host", "url");
  for (char c : parts.host) {
    if (!(ascii::is_alpha(c) || ascii::is_digit(c) || c == '-' || c == '.')) {
      return make_error(Errc::syntax, "the URL's host has a character not allowed in a host name",
                        "url");
    }
  }
  std::size_t question = rest.find('?');
  parts.path = rest.substr(0, question);
  if (parts.path.empty()) parts.path = "/";
  if (question != std::string_view::npos) parts.query = rest.substr(question + 1);
  return parts;
}

bool QueryReader::next(QueryParameter& out) {
  const std::string_view separators = style_ == QueryStyle::url ? "&;," : "&";
  while (!rest_.empty()) {
    std::size_t end = rest_.find_first_of(separators);
    std::string_view piece = rest_.substr(0, end);
    rest_ = end == std::string_view::npos ? std::string_view() : rest_.substr(end + 1);
    if (piece.empty()) continue;
    std::size_t equals = piece.find('=');
    out.name = piece.substr(0, equals);
    out.has_value = equals != std::string_view::npos;
    out.value = out.has_value ? piece.substr(equals + 1) : std::string_view();
    return true;
  }
  return false;
}

Result<std::string_view> percent_decode(std::string_view text, Span<char> out, QueryStyle style,
                                        const char* field) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || hex_digit_value(text[i + 1]) < 0 ||
          hex_digit_value(text[i + 2]) < 0) {
        return make_error(Errc::syntax, "'%' must be followed by two hex digits", field);
      }
      c = static_cast<char>((hex_digit_value(text[i + 1]) << 4) | hex_digit_value(text[i + 2]));
      i += 2;
    } else if (c == '+' && style == QueryStyle::form) {
      c = ' ';
    }
    if (n == out.size()) return make_error(Errc::too_long, "value too long", field);
    out[n++] = c;
  }
  return std::string_view(out.data(), n);
}

bool is_url_unreserved(char c) {
  return ascii::is_alpha(c) || ascii::is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace tte
