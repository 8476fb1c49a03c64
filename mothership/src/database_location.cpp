#include "database_location.hpp"

#include <algorithm>
#include <cctype>

#include "tte/query.hpp"

namespace tte::mothership {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// libpq's keyword/value form: a keyword, then '=' ("dbname=tte", "host = db ...").
bool looks_like_keywords(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  const std::size_t keyword = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_'))
    ++i;
  if (i == keyword) return false;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
    ++i;
  return i < text.size() && text[i] == '=';
}

// Whether a parameter name, percent-decoded as libpq reads it, names a password.
bool names_a_password(std::string_view name) {
  char buffer[16];
  auto decoded = percent_decode(name, Span<char>(buffer, sizeof buffer), QueryStyle::url, "name");
  return decoded.ok() && (decoded.value() == "password" || decoded.value() == "sslpassword");
}

// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db", and
// the values of password= and sslpassword= parameters (however their names are
// percent-encoded) -> "***". Like libpq, the user's part ends at an '@' before
// the first '/'; it is taken to end at the last such '@' (a password with an
// '@' in it is hidden whole). A parameter is taken to start after any '?' or
// '&', even where libpq would not read one: this hides more, never less.
// `found` (if given): whether there was a password.
std::string redact_uri(std::string uri, bool* found = nullptr) {
  bool any = false;
  const std::size_t scheme_end = uri.find("://");
  const std::size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  if (scheme_end != std::string::npos) {
    const std::size_t path = uri.find('/', authority);
    const std::size_t at = uri.rfind('@', path == std::string::npos ? std::string::npos : path - 1);
    if (at != std::string::npos && at >= authority) {
      const std::size_t colon = uri.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        uri.replace(colon + 1, at - colon - 1, "***");
        any = true;
      }
    }
  }
  for (std::size_t i = authority; i < uri.size(); ++i) {
    if (uri[i] != '?' && uri[i] != '&') continue;
    const std::size_t name = i + 1;
    const std::size_t equals = uri.find_first_of("?&=", name);
    if (equals == std::string::npos || uri[equals] != '=') continue;
    if (!names_a_password(std::string_view(uri).substr(name, equals - name))) continue;
    const std::size_t end = uri.find('&', equals + 1);
    uri.replace(equals + 1, (end == std::string::npos ? uri.size() : end) - equals - 1, "***");
    any = true;
    i = equals + 3;
  }
  if (found) *found = any;
  return uri;
}

// libpq's keyword/value form, "host=db password=secret" -> "host=db password=***"
// (sslpassword too; blanks around '=', a quoted value, a backslash escaping the
// next character as libpq reads it). An unquoted value runs to the next blank.
std::string redact_keyword_values(std::string text) {
  auto blank = [&](std::size_t i) {
    return std::isspace(static_cast<unsigned char>(text[i])) != 0;
  };
  for (std::size_t at = text.find("password"); at != std::string::npos;
       at = text.find("password", at + 1)) {
    std::size_t i = at + 8;
    while (i < text.size() && blank(i))
      ++i;
    if (i >= text.size() || text[i] != '=') continue;
    ++i;
    while (i < text.size() && blank(i))
      ++i;
    std::size_t end = i;
    if (text.compare(i, 3, "***") == 0) continue;  // a URI's, hidden already
    if (end < text.size() && text[end] == '\'') {
      for (++end; end < text.size() && text[end] != '\''; ++end) {
        if (text[end] == '\\') ++end;
      }
      end = std::min(end + 1, text.size());
    } else {
      for (; end < text.size() && !blank(end); ++end) {
        if (text[end] == '\\') ++end;
      }
      end = std::min(end, text.size());
    }
    text.replace(i, end - i, "***");
    at = i;
  }
  return text;
}

}  // namespace

Result<DatabaseLocation> DatabaseLocation::parse(std::string_view text, std::string_view data_dir) {
  if (text.empty()) return make_error(Errc::missing, "no database given", "database");
  if (starts_with(text, "postgresql://") || starts_with(text, "postgres://")) {
    return DatabaseLocation{Kind::postgresql, std::string(text)};
  }
  std::string_view path = text;
  if (starts_with(text, "sqlite:")) {
    path = text.substr(7);
    if (path.empty()) return make_error(Errc::syntax, "sqlite: needs a file name", "database");
  } else if (looks_like_keywords(text)) {
    // libpq's keyword/value form ("host=db dbname=tte"): not a file name to make.
    return make_error(Errc::unsupported,
                      "a keyword/value connection string is not taken: give it as a URI, "
                      "postgresql://user@host:port/dbname?param=value (or sqlite:PATH for a file)",
                      "database");
  } else {
    // A scheme we do not know ("mysql://..."), or a plain path.
    const std::size_t colon = text.find(':');
    const std::size_t slash = text.find('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
      return make_error(Errc::unsupported, "the database must be sqlite:PATH or postgresql://...",
                        "database");
    }
  }
  std::string resolved(path);
  if (resolved.front() != '/' && !data_dir.empty())
    resolved = std::string(data_dir) + "/" + resolved;
  return DatabaseLocation{Kind::sqlite, resolved};
}

std::string DatabaseLocation::to_string() const {
  return kind == Kind::sqlite ? "sqlite:" + target : target;
}

std::string DatabaseLocation::redacted() const {
  return kind == Kind::sqlite ? to_string() : redact_uri(target);
}

bool DatabaseLocation::has_password() const {
  bool found = false;
  if (kind == Kind::postgresql) (void)redact_uri(target, &found);
  return found;
}

std::string redact_database_text(std::string_view text) {
  // A URI's parameters first (they end at '&'), then keyword/value pairs; a
  // value the first pass hid already is left as it is (the rest of a message
  // after it stays).
  return redact_keyword_values(redact_uri(std::string(text)));
}

}  // namespace tte::mothership
