// The Controller's CoRE Resource Directory (RFC 9176, as docs/protocol.md
// section 9 profiles it): what a registration request must hold, and the
// registrations themselves with their lifetimes. Pure: the CoAP layer hands in
// the Uri-Query options, the payload, the peer's key fingerprint and address,
// and the time; nothing here touches a socket or a clock. Lookups are in
// rd_lookup.hpp.
#ifndef TTE_CONTROLLER_DIRECTORY_HPP
#define TTE_CONTROLLER_DIRECTORY_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "link_format.hpp"
#include "tte/identifiers.hpp"
#include "tte/result.hpp"

namespace tte::controller {

inline constexpr std::int64_t kDefaultLifetime = 90000;   // RFC 9176: 25 hours
inline constexpr std::int64_t kMaxLifetime = 4294967295;  // RFC 9176: 2^32 - 1 seconds
inline constexpr unsigned kLinkFormat = 40;               // application/link-format
// Registrations one Device key may hold at once (one per endpoint name and
// sector; TTE's Devices hold one).
inline constexpr std::size_t kMaxRegistrationsPerKey = 8;
inline constexpr std::size_t kMaxEndpointAttributes = 16;  // et and the like, per registration

// POST /rd?ep=<urn>&lt=<s>[&d=<sector>][&base=<uri>] with a link-format payload.
struct RegistrationRequest {
  std::string endpoint;  // the Device's URN
  std::string sector;    // "d"; empty if absent
  std::int64_t lifetime = kDefaultLifetime;
  std::string base;  // "base"; empty if absent (the Device's own address is meant)
  std::vector<Link> links;
  std::vector<std::pair<std::string, std::string>> extra;  // other endpoint attributes (et, ...)
};

// query: the value of each Uri-Query option ("ep=urn:dev:..."), in order.
// Errors: missing (no ep; no payload), syntax (a malformed parameter, URN or
// payload), duplicate (a parameter twice), out_of_range (lt), unsupported (a
// Content-Format other than link-format; a lookup parameter such as page).
Result<RegistrationRequest> parse_registration(const std::vector<std::string>& query,
                                               std::string_view payload,
                                               std::optional<unsigned> content_format);

// RFC 9176 section 5.1 simple registration: POST /.well-known/rd?ep=..[&lt=..]
// [&d=..] with an empty payload; the links come from the endpoint's own
// /.well-known/core afterwards. Errors: as parse_registration, and
// unsupported for a payload or `base` (the endpoint's address is its base).
Result<RegistrationRequest> parse_simple_registration(const std::vector<std::string>& query,
                                                      std::string_view payload);

// POST /rd/<n>[?lt=<s>][&base=<uri>] with an empty payload.
struct UpdateRequest {
  std::optional<std::int64_t> lifetime;
  std::optional<std::string> base;
  std::vector<std::pair<std::string, std::string>> extra;  // endpoint attributes to set (et, ...)
};
// Errors: syntax, duplicate, out_of_range, unsupported (a payload, or ep/d,
// which an update cannot change).
Result<UpdateRequest> parse_update(const std::vector<std::string>& query, std::string_view payload);

struct Registration {
  std::string location;  // "rd/7": the registration resource's path, without the leading '/'
  std::string endpoint;
  std::string sector;
  std::string base;         // as registered ("base"); empty: the source address is meant
  std::string source;       // "coaps://192.0.2.9:40123": where the registration came from
  Fingerprint fingerprint;  // of the DTLS key that registered it: only that key may change it
  std::int64_t lifetime = kDefaultLifetime;
  std::int64_t registered_at = 0;
  std::int64_t updated_at = 0;
  std::vector<Link> links;
  std::vector<std::pair<std::string, std::string>> extra;

  std::int64_t expires_at() const { return updated_at + lifetime; }
  bool has_resource(std::string_view path) const;
  // The base URI the links are relative to (RFC 9176 section 5.3: `base`, or
  // the address the registration came from).
  const std::string& base_uri() const { return base.empty() ? source : base; }
};

// Whether a Device may register under an endpoint name. `announced_urn` is the
// URN an Introducer announced for the Device's key (if any); `holder` is the
// key of a Device already announced with that URN (if any).
// strict: the name must be the Device's announced URN. open: any name, except
// the URN announced for another key. Errors: forbidden (with the reason).
Status check_endpoint_name(std::string_view endpoint, const Fingerprint& peer,
                           const std::optional<std::string>& announced_urn,
                           const std::optional<Fingerprint>& holder, bool strict);

class Directory {
 public:
  struct Registered {
    Registration registration;
    bool replaced = false;  // an earlier registration of the same endpoint (or key) was replaced
  };

  // RFC 9176 section 5: a registration with the endpoint name and sector of an
  // existing one replaces it and keeps its location; another sector is another
  // registration. A key is one endpoint: a new name from it replaces its
  // registrations under the old one. `source`: the peer's address as a base URI.
  // Errors: forbidden (the endpoint name is registered by another key, in any
  // sector; the key holds kMaxRegistrationsPerKey registrations already).
  Result<Registered> register_endpoint(const RegistrationRequest& request, const Fingerprint& peer,
                                       const std::string& source, std::int64_t now);
  // Errors: not_found (no such registration: RFC 9176 says register again),
  // forbidden (another key's registration).
  Result<Registration> update(std::string_view location, const UpdateRequest& request,
                              const Fingerprint& peer, const std::string& source, std::int64_t now);
  Result<Registration> remove(std::string_view location, const Fingerprint& peer);
  // Removes and returns every registration whose lifetime has passed.
  std::vector<Registration> expire(std::int64_t now);
  // Removes a key's registrations without asking (the operator removed the Device).
  std::vector<Registration> drop_key(const Fingerprint& key);

  const Registration* find_endpoint(std::string_view endpoint, std::string_view sector) const;
  // The registration of an endpoint name in the default sector, else in any.
  const Registration* find_endpoint(std::string_view endpoint) const;
  std::size_t registrations_of(const Fingerprint& key) const;
  // One of the key's registrations (the default sector's first), if any.
  const Registration* registration_of(const Fingerprint& key) const;
  // Changes every time a registration is made, updated or ends (for lookups'
  // observers and ETags).
  std::uint64_t version() const { return version_; }
  const Registration* find_location(std::string_view location) const;
  std::optional<std::int64_t> next_expiry() const;
  std::size_t size() const { return by_location_.size(); }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [location, registration] : by_location_)
      f(registration);
  }

 private:
  std::map<std::string, Registration, std::less<>> by_location_;
  std::map<std::string, std::string, std::less<>>
      location_of_endpoint_;  // "sector\0endpoint" -> location
  std::map<Fingerprint::Bytes, std::set<std::string>> locations_of_key_;
  std::map<std::string, std::set<std::string>, std::less<>> locations_of_name_;  // ep -> locations
  std::set<std::pair<std::int64_t, std::string>> by_expiry_;  // (expires_at, location)
  std::uint64_t next_id_ = 1;
  std::uint64_t version_ = 0;

  void erase(std::map<std::string, Registration, std::less<>>::iterator it);
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_DIRECTORY_HPP
