// The Resource Directory's lookup interface (RFC 9176 section 7): which
// registrations (/rd-lookup/ep) and which resources (/rd-lookup/res) match a
// query's filters, as link-format with absolute URIs. Also the filter of a
// plain /.well-known/core query (RFC 6690 section 4.1), which is the same
// matching on one parameter. Pure: a Directory in, text out.
#ifndef TTE_CONTROLLER_RD_LOOKUP_HPP
#define TTE_CONTROLLER_RD_LOOKUP_HPP

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory.hpp"
#include "link_format.hpp"
#include "tte/result.hpp"

namespace tte::controller {

// One filter: `name=value` (a value ending in '*' matches by prefix) or a bare
// `name` (the attribute is present).
struct LookupFilter {
  std::string name;
  std::optional<std::string> value;

  bool matches(std::string_view candidate) const;
};

struct LookupQuery {
  std::vector<LookupFilter> filters;  // all must match
  std::optional<std::size_t> page, count;
};

// Errors: syntax (page or count not a number, a parameter with no name),
// missing (page without count), duplicate (page or count twice).
Result<LookupQuery> parse_lookup_query(const std::vector<std::string>& query);

// "coaps://[2001:db8::7]:5684" + "/light" -> "coaps://[2001:db8::7]:5684/light";
// absolute references stay as they are. (RFC 3986 section 5.2, without
// dot-segment removal: registrations' references are paths.)
std::string resolve_reference(std::string_view base, std::string_view reference);

// GET /rd-lookup/ep: a link to each matching registration resource with its
// endpoint attributes (ep, d, base, lt, et, ...; rt="core.rd-ep").
std::string lookup_endpoints(const Directory& directory, const LookupQuery& query);
// GET /rd-lookup/res: each matching resource's link, target and anchor
// resolved against its registration's base.
std::string lookup_resources(const Directory& directory, const LookupQuery& query);

// The links of `links` a /.well-known/core query keeps (RFC 6690 section 4.1:
// at most one filter, on href or an attribute).
std::vector<Link> filter_links(const std::vector<Link>& links, const LookupQuery& query);

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_RD_LOOKUP_HPP
