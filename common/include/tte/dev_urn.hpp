// Device URNs of RFC 9039 ("urn:dev:..."), the published form of the draft's
// I-D.arkko-core-dev-urn reference.
#ifndef TTE_DEV_URN_HPP
#define TTE_DEV_URN_HPP

#include <cstdint>
#include <string_view>

#include "tte/fixed_string.hpp"
#include "tte/identifiers.hpp"
#include "tte/result.hpp"

namespace tte {

class DevUrn {
 public:
  // A Device registers with its Controller's Resource Directory using its URN as
  // endpoint name, and RFC 9176 limits "ep" to 63 bytes.
  static constexpr std::size_t kMaxLength = 63;

  enum class Kind : std::uint8_t { mac, ow, org, os, ops, other };

  // Validates text against RFC 9039's ABNF (docs/protocol.md "Dev URN" lists the
  // two readings we take where the RFC's ABNF is loose). "urn:dev:" may be in any
  // case; it is stored in lower case, everything else verbatim.
  // Errors: missing, too_long, syntax.
  static Result<DevUrn> parse(std::string_view text);

  std::string_view view() const { return text_.view(); }
  const char* c_str() const { return text_.c_str(); }
  Kind kind() const { return kind_; }
  // The subtype as written ("mac", "ops", "example", ...).
  std::string_view subtype() const;

  // The draft's suggestion for a Dev ID: the low 32 bits of a mac or ow
  // identifier. Errors: unsupported (other kinds have no numeric identifier).
  Result<DevId> suggested_dev_id() const;

  friend bool operator==(const DevUrn& a, const DevUrn& b) { return a.text_ == b.text_; }
  friend bool operator!=(const DevUrn& a, const DevUrn& b) { return !(a == b); }

 private:
  DevUrn() = default;
  FixedString<kMaxLength> text_;
  Kind kind_ = Kind::other;
  std::uint8_t subtype_length_ = 0;
};

}  // namespace tte

#endif  // TTE_DEV_URN_HPP
