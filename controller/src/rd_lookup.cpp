#include "rd_lookup.hpp"

#include <charconv>

namespace tte::controller {
namespace {

Result<std::size_t> parse_count(std::string_view text, const char* field) {
  std::size_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      value > 1000000000) {
    return make_error(Errc::syntax, "page and count must be whole numbers", field);
  }
  return value;
}

// rt, if and ct hold space-separated lists: a filter matches any member.
bool is_list_attribute(std::string_view name) {
  return name == "rt" || name == "if" || name == "ct";
}

bool attribute_matches(const LookupFilter& filter, std::string_view name, std::string_view value,
                       bool has_value) {
  if (name != filter.name) return false;
  if (!filter.value) return true;
  if (!has_value) return false;
  if (!is_list_attribute(name)) return filter.matches(value);
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(' ', start);
    if (end == std::string_view::npos) end = value.size();
    if (end > start && filter.matches(value.substr(start, end - start))) return true;
    start = end + 1;
  }
  return false;
}

bool link_attribute_matches(const Link& link, const LookupFilter& filter) {
  for (const auto& attribute : link.attributes) {
    if (attribute_matches(filter, attribute.name, attribute.value, attribute.has_value))
      return true;
  }
  return false;
}

std::string origin_of(std::string_view uri) {
  std::size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::string(uri);
  std::size_t path = uri.find('/', scheme_end + 3);
  return std::string(uri.substr(0, path));
}

bool has_scheme(std::string_view reference) {
  if (reference.empty() || !std::isalpha(static_cast<unsigned char>(reference[0]))) return false;
  for (char c : reference) {
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return false;
}

// The registration's own attributes as (name, value) pairs, in the order an
// endpoint lookup lists them.
std::vector<Link::Attribute> endpoint_attributes(const Registration& registration) {
  std::vector<Link::Attribute> attributes;
  attributes.push_back({"ep", registration.endpoint, true});
  if (!registration.sector.empty()) attributes.push_back({"d", registration.sector, true});
  attributes.push_back({"base", registration.base_uri(), true});
  attributes.push_back({"lt", std::to_string(registration.lifetime), true});
  for (const auto& [name, value] : registration.extra)
    attributes.push_back({name, value, !value.empty()});
  return attributes;
}

bool registration_attribute_matches(const Registration& registration, const LookupFilter& filter) {
  for (const auto& attribute : endpoint_attributes(registration)) {
    if (attribute_matches(filter, attribute.name, attribute.value, attribute.has_value))
      return true;
  }
  return false;
}

// A link as a lookup gives it: target and anchor absolute.
Link resolved(const Registration& registration, const Link& link) {
  const std::string& base = registration.base_uri();
  Link out;
  out.target = resolve_reference(base, link.target);
  std::optional<std::string> anchor;
  for (const auto& attribute : link.attributes) {
    if (attribute.name == "anchor") {
      anchor = resolve_reference(base, attribute.value);
      continue;
    }
    out.attributes.push_back(attribute);
  }
  out.attributes.push_back({"anchor", anchor.value_or(origin_of(base)), true});
  return out;
}

template <typename T>
std::vector<T> paged(std::vector<T> items, const LookupQuery& query) {
  if (!query.count) return items;
  const std::size_t first = query.page.value_or(0) * *query.count;
  if (first >= items.size()) return {};
  const std::size_t last = std::min(items.size(), first + *query.count);
  return std::vector<T>(items.begin() + static_cast<std::ptrdiff_t>(first),
                        items.begin() + static_cast<std::ptrdiff_t>(last));
}

}  // namespace

bool LookupFilter::matches(std::string_view candidate) const {
  if (!value) return true;
  std::string_view wanted = *value;
  if (!wanted.empty() && wanted.back() == '*') {
    wanted.remove_suffix(1);
    return candidate.substr(0, wanted.size()) == wanted;
  }
  return candidate == wanted;
}

Result<LookupQuery> parse_lookup_query(const std::vector<std::string>& query) {
  LookupQuery out;
  for (const std::string& option : query) {
    const std::size_t equals = option.find('=');
    std::string name = option.substr(0, equals);
    if (name.empty()) return make_error(Errc::syntax, "a query parameter has no name");
    std::optional<std::string> value;
    if (equals != std::string::npos) value = option.substr(equals + 1);
    if (name == "page" || name == "count") {
      std::optional<std::size_t>& slot = name == "page" ? out.page : out.count;
      if (slot) return make_error(Errc::duplicate, "page and count may be given once", "page");
      TTE_ASSIGN_OR_RETURN(slot,
                           parse_count(value.value_or(""), name == "page" ? "page" : "count"));
      continue;
    }
    if (out.filters.size() >= 16) return make_error(Errc::too_long, "too many filters");
    out.filters.push_back({std::move(name), std::move(value)});
  }
  if (out.page && !out.count) return make_error(Errc::missing, "page needs count", "count");
  return out;
}

namespace {

// RFC 3986 section 3: scheme, authority, path, query, fragment of a reference.
struct UriParts {
  std::optional<std::string> scheme, authority, query, fragment;
  std::string path;
};

UriParts split_uri(std::string_view text) {
  UriParts parts;
  if (has_scheme(text)) {
    const std::size_t colon = text.find(':');
    parts.scheme = std::string(text.substr(0, colon));
    text.remove_prefix(colon + 1);
  }
  if (const std::size_t hash = text.find('#'); hash != std::string_view::npos) {
    parts.fragment = std::string(text.substr(hash + 1));
    text = text.substr(0, hash);
  }
  if (const std::size_t question = text.find('?'); question != std::string_view::npos) {
    parts.query = std::string(text.substr(question + 1));
    text = text.substr(0, question);
  }
  if (text.substr(0, 2) == "//") {
    const std::size_t slash = text.find('/', 2);
    parts.authority =
        std::string(text.substr(2, slash == std::string_view::npos ? slash : slash - 2));
    text = slash == std::string_view::npos ? std::string_view() : text.substr(slash);
  }
  parts.path = std::string(text);
  return parts;
}

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string input) {
  std::string output;
  while (!input.empty()) {
    if (input.rfind("../", 0) == 0) {
      input.erase(0, 3);
    } else if (input.rfind("./", 0) == 0) {
      input.erase(0, 2);
    } else if (input.rfind("/./", 0) == 0) {
      input.erase(0, 2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.rfind("/../", 0) == 0 || input == "/..") {
      input = input == "/.." ? "/" : input.substr(3);
      const std::size_t last = output.rfind('/');
      output.erase(last == std::string::npos ? 0 : last);
    } else if (input == "." || input == "..") {
      input.clear();
    } else {
      const std::size_t next = input.find('/', input[0] == '/' ? 1 : 0);
      output += input.substr(0, next);
      input.erase(0, next == std::string::npos ? input.size() : next);
    }
  }
  return output;
}

}  // namespace

std::string resolve_reference(std::string_view base, std::string_view reference) {
  // RFC 3986 section 5.2.2, strictly.
  const UriParts b = split_uri(base), r = split_uri(reference);
  UriParts t;
  if (r.scheme) {
    t = r;
    t.path = remove_dot_segments(r.path);
  } else {
    t.scheme = b.scheme;
    if (r.authority) {
      t.authority = r.authority;
      t.path = remove_dot_segments(r.path);
      t.query = r.query;
    } else {
      t.authority = b.authority;
      if (r.path.empty()) {
        t.path = b.path;
        t.query = r.query ? r.query : b.query;
      } else {
        if (r.path[0] == '/') {
          t.path = remove_dot_segments(r.path);
        } else {
          // Merge (section 5.2.3).
          std::string merged;
          if (b.authority && b.path.empty()) {
            merged = "/" + r.path;
          } else {
            const std::size_t slash = b.path.rfind('/');
            merged =
                (slash == std::string::npos ? std::string() : b.path.substr(0, slash + 1)) + r.path;
          }
          t.path = remove_dot_segments(merged);
        }
        t.query = r.query;
      }
    }
  }
  t.fragment = r.fragment;
  std::string out;
  if (t.scheme) out += *t.scheme + ":";
  if (t.authority) out += "//" + *t.authority;
  out += t.path;
  if (t.query) out += "?" + *t.query;
  if (t.fragment) out += "#" + *t.fragment;
  return out;
}

std::string lookup_endpoints(const Directory& directory, const LookupQuery& query) {
  std::vector<Link> found;
  directory.for_each([&](const Registration& registration) {
    for (const LookupFilter& filter : query.filters) {
      bool matched = false;
      if (filter.name == "href") {
        matched = filter.matches("/" + registration.location);
        for (const Link& link : registration.links) {
          if (matched) break;
          matched = filter.matches(resolve_reference(registration.base_uri(), link.target));
        }
      } else {
        matched = registration_attribute_matches(registration, filter);
        for (const Link& link : registration.links) {
          if (matched) break;
          matched = link_attribute_matches(link, filter);
        }
      }
      if (!matched) return;
    }
    Link link;
    link.target = "/" + registration.location;
    link.attributes = endpoint_attributes(registration);
    link.attributes.push_back({"rt", "core.rd-ep", true});
    found.push_back(std::move(link));
  });
  return format_link_format(paged(std::move(found), query));
}

std::string lookup_resources(const Directory& directory, const LookupQuery& query) {
  std::vector<Link> found;
  directory.for_each([&](const Registration& registration) {
    for (const Link& original : registration.links) {
      Link link = resolved(registration, original);
      bool all = true;
      for (const LookupFilter& filter : query.filters) {
        bool matched = false;
        if (filter.name == "href") {
          matched = filter.matches(link.target) || filter.matches(original.target);
        } else {
          matched = link_attribute_matches(link, filter) ||
                    registration_attribute_matches(registration, filter);
        }
        if (!matched) {
          all = false;
          break;
        }
      }
      if (all) found.push_back(std::move(link));
    }
  });
  return format_link_format(paged(std::move(found), query));
}

std::vector<Link> filter_links(const std::vector<Link>& links, const LookupQuery& query) {
  std::vector<Link> kept;
  for (const Link& link : links) {
    bool all = true;
    for (const LookupFilter& filter : query.filters) {
      const bool matched = filter.name == "href" ? filter.matches(link.target)
                                                 : link_attribute_matches(link, filter);
      if (!matched) {
        all = false;
        break;
      }
    }
    if (all) kept.push_back(link);
  }
  return paged(std::move(kept), query);
}

}  // namespace tte::controller
