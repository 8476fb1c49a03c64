// CoRE Link Format (RFC 6690), the payload of a Resource Directory
// registration: which resources a Device offers, e.g.
//   </light>;rt="tte.light";if=core.a;obs,</temp>;rt=tte.temp;ct=0
// Pure: text in, links out.
#ifndef TTE_CONTROLLER_LINK_FORMAT_HPP
#define TTE_CONTROLLER_LINK_FORMAT_HPP

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tte/result.hpp"

namespace tte::controller {

struct Link {
  std::string target;  // the URI-reference between < and >, e.g. "/light"
  // Attributes in order; a flag such as `obs` has an empty value and has_value false.
  struct Attribute {
    std::string name;
    std::string value;  // unquoted, escapes removed
    bool has_value = false;
  };
  std::vector<Attribute> attributes;

  // The first value of an attribute, if present ("" for a flag).
  std::optional<std::string> attribute(std::string_view name) const;
  bool observable() const { return attribute("obs").has_value(); }
};

inline constexpr std::size_t kMaxLinks = 64;
inline constexpr std::size_t kMaxLinkFormatBytes = 4096;

// Errors: syntax (with the position's kind in the message), too_long (more than
// kMaxLinks links or kMaxLinkFormatBytes bytes), missing (an empty payload).
Result<std::vector<Link>> parse_link_format(std::string_view text);

// The canonical text of links: attributes in order, values quoted when they
// are not a plain token.
std::string format_link_format(const std::vector<Link>& links);

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_LINK_FORMAT_HPP
