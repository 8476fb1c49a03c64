#include "database_location.hpp"

namespace tte::mothership {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db", and
// "password=secret" in the query -> "password=***".
std::string redact_uri(std::string uri) {
  const std::size_t scheme_end = uri.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = uri.find_first_of("/?", authority);
    const std::size_t at =
        uri.rfind('@', authority_end == std::string::npos ? uri.size() - 1 : authority_end - 1);
    if (at != std::string::npos && at >= authority) {
      const std::size_t colon = uri.find(':', authority);
      if (colon != std::string::npos && colon < at) uri.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (std::size_t at = uri.find("password="); at != std::string::npos;
       at = uri.find("password=", at + 1)) {
    if (at != 0 && uri[at - 1] != '?' && uri[at - 1] != '&') continue;
    const std::size_t value = at + 9;
    const std::size_t end = uri.find('&', value);
    uri.replace(value, (end == std::string::npos ? uri.size() : end) - value, "***");
  }
  return uri;
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

}  // namespace tte::mothership
