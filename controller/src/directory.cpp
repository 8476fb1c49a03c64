#include "directory.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>

#include "tte/dev_urn.hpp"

namespace tte::controller {
namespace {

struct Parameter {
  std::string_view name;
  std::string_view value;
  bool has_value;
};

Parameter split(std::string_view option) {
  std::size_t equals = option.find('=');
  if (equals == std::string_view::npos) return {option, {}, false};
  return {option.substr(0, equals), option.substr(equals + 1), true};
}

Result<std::int64_t> parse_lifetime(std::string_view text) {
  if (text.empty() || text.size() > 10)
    return make_error(Errc::syntax, "lt must be a number of seconds", "lt");
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return make_error(Errc::syntax, "lt must be a number of seconds", "lt");
  }
  if (value < 1 || value > kMaxLifetime)
    return make_error(Errc::out_of_range, "lt must be 1 to 4294967295", "lt");
  return value;
}

// Text that lookups hand on as an attribute value or a link target: printable
// ASCII without the characters that delimit links (a base with `>` or `,`
// would forge links in others' lookup answers).
bool printable(std::string_view text, bool allow_space) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == ',' ||
        c == ';' || (c == ' ' && !allow_space)) {
      return false;
    }
  }
  return true;
}

// RFC 6690's parmname, as a lookup answer carries an endpoint attribute.
bool is_parameter_name(std::string_view name) {
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$&+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return !name.empty();
}

// "coap://[2001:db8::1]:5683" or "coaps://host/path": a scheme, "://" and printable text.
bool valid_base(std::string_view base) {
  const std::size_t colon = base.find("://");
  if (colon == std::string_view::npos || colon == 0 || base.size() == colon + 3 ||
      base.size() > 255)
    return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = base[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return std::isalpha(static_cast<unsigned char>(base[0])) && printable(base, false) &&
         base.find_first_of("?#") == std::string_view::npos;
}

Result<std::string> parse_base(std::string_view value) {
  if (!valid_base(value))
    return make_error(Errc::syntax, "base must be a URI such as coap://[2001:db8::1]", "base");
  return std::string(value);
}

// Any other `name=value` of a registration or an update: an endpoint
// attribute (et, ...). Lookup parameters are refused.
Status add_endpoint_attribute(std::vector<std::pair<std::string, std::string>>& extra,
                              const Parameter& p) {
  if (p.name == "page" || p.name == "count" || p.name == "href" || p.name == "anchor" ||
      p.name == "rt") {
    return make_error(Errc::syntax, "a lookup parameter is not a registration parameter");
  }
  if (extra.size() >= kMaxEndpointAttributes)
    return make_error(Errc::too_long, "too many endpoint attributes (16 at most)");
  if (p.name.size() > 63 || p.value.size() > 255)
    return make_error(Errc::too_long, "an attribute is too long");
  if (!is_parameter_name(p.name) || !printable(p.value, true))
    return make_error(Errc::syntax, "an attribute holds a character links cannot carry");
  extra.emplace_back(std::string(p.name), std::string(p.value));
  return Status();
}

// A registration's query: ep, lt, d, base and endpoint attributes.
Result<RegistrationRequest> parse_registration_query(const std::vector<std::string>& query) {
  RegistrationRequest request;
  bool seen_ep = false, seen_lt = false, seen_d = false, seen_base = false;
  for (const auto& option : query) {
    Parameter p = split(option);
    if (p.name.empty()) return make_error(Errc::syntax, "a query parameter has no name");
    if (p.name == "ep") {
      if (seen_ep) return make_error(Errc::duplicate, "ep is given twice", "ep");
      seen_ep = true;
      auto urn = DevUrn::parse(p.value);
      if (!urn.ok())
        return make_error(urn.error().code, "ep must be the Device's URN (RFC 9039)", "ep");
      request.endpoint = std::string(urn->view());
    } else if (p.name == "lt") {
      if (seen_lt) return make_error(Errc::duplicate, "lt is given twice", "lt");
      seen_lt = true;
      TTE_ASSIGN_OR_RETURN(request.lifetime, parse_lifetime(p.value));
    } else if (p.name == "d") {
      if (seen_d) return make_error(Errc::duplicate, "d is given twice", "d");
      seen_d = true;
      if (p.value.empty() || p.value.size() > 63 || !printable(p.value, false))
        return make_error(Errc::syntax, "d must be 1-63 printable characters", "d");
      request.sector = std::string(p.value);
    } else if (p.name == "base") {
      if (seen_base) return make_error(Errc::duplicate, "base is given twice", "base");
      seen_base = true;
      TTE_ASSIGN_OR_RETURN(request.base, parse_base(p.value));
    } else {
      TTE_TRY(add_endpoint_attribute(request.extra, p));
    }
  }
  if (!seen_ep) return make_error(Errc::missing, "ep (the Device's URN) is required", "ep");
  return request;
}

std::string key_of(std::string_view sector, std::string_view endpoint) {
  std::string key(sector);
  key += '\0';
  key += endpoint;
  return key;
}

}  // namespace

Result<RegistrationRequest> parse_registration(const std::vector<std::string>& query,
                                               std::string_view payload,
                                               std::optional<unsigned> content_format) {
  RegistrationRequest request;
  TTE_ASSIGN_OR_RETURN(request, parse_registration_query(query));
  if (content_format && *content_format != kLinkFormat) {
    return make_error(Errc::unsupported, "the payload must be application/link-format (40)");
  }
  TTE_ASSIGN_OR_RETURN(request.links, parse_link_format(payload));
  return request;
}

Result<RegistrationRequest> parse_simple_registration(const std::vector<std::string>& query,
                                                      std::string_view payload) {
  if (!payload.empty()) {
    return make_error(Errc::syntax,
                      "a simple registration has no payload (the links come from "
                      "/.well-known/core; POST /rd to send them)");
  }
  for (const auto& option : query) {
    if (split(option).name == "base")
      return make_error(Errc::syntax, "base is not allowed in a simple registration", "base");
  }
  return parse_registration_query(query);  // the links: from /.well-known/core, later
}

Result<UpdateRequest> parse_update(const std::vector<std::string>& query,
                                   std::string_view payload) {
  if (!payload.empty())
    return make_error(Errc::syntax, "a registration update has no payload (register again)");
  UpdateRequest request;
  for (const auto& option : query) {
    Parameter p = split(option);
    if (p.name == "lt") {
      if (request.lifetime) return make_error(Errc::duplicate, "lt is given twice", "lt");
      TTE_ASSIGN_OR_RETURN(request.lifetime, parse_lifetime(p.value));
    } else if (p.name == "base") {
      if (request.base) return make_error(Errc::duplicate, "base is given twice", "base");
      TTE_ASSIGN_OR_RETURN(request.base, parse_base(p.value));
    } else if (p.name == "ep" || p.name == "d") {
      return make_error(Errc::syntax, "an update cannot change ep or d (register again)");
    } else {
      TTE_TRY(add_endpoint_attribute(request.extra, p));
    }
  }
  return request;
}

bool Registration::has_resource(std::string_view path) const {
  for (const auto& link : links) {
    if (link.target == path) return true;
  }
  return false;
}

Status check_endpoint_name(std::string_view endpoint, const Fingerprint& peer,
                           const std::optional<std::string>& announced_urn,
                           const std::optional<Fingerprint>& holder, bool strict) {
  if (announced_urn && *announced_urn != endpoint) {
    return make_error(Errc::forbidden,
                      "ep must be the URN the Introducer announced for this device", "ep");
  }
  if (strict && !announced_urn)
    return make_error(Errc::forbidden, "this device has not been announced", "ep");
  if (holder && *holder != peer) {
    return make_error(Errc::forbidden, "this URN was announced for another device's key", "ep");
  }
  return Status();
}

// Message 11 (draft §2; docs/protocol.md §9.2): a registration in the Resource Directory.
Result<Directory::Registered> Directory::register_endpoint(const RegistrationRequest& request,
                                                           const Fingerprint& peer,
                                                           const std::string& source,
                                                           std::int64_t now) {
  Registered out;
  // An endpoint name belongs to one key, in every sector.
  if (auto named = locations_of_name_.find(request.endpoint); named != locations_of_name_.end()) {
    for (const std::string& held : named->second) {
      if (by_location_.at(held).fingerprint != peer) {
        return make_error(Errc::forbidden, "this endpoint name is registered by another device",
                          "ep");
      }
    }
  }
  // A key is one endpoint: registering under a new name replaces the old name's registrations.
  if (auto owned = locations_of_key_.find(peer.bytes()); owned != locations_of_key_.end()) {
    std::vector<std::string> renamed;
    for (const std::string& held : owned->second) {
      if (by_location_.at(held).endpoint != request.endpoint) renamed.push_back(held);
    }
    for (const std::string& held : renamed) {
      erase(by_location_.find(held));
      out.replaced = true;
    }
  }
  std::string key = key_of(request.sector, request.endpoint);
  std::string location;
  if (auto it = location_of_endpoint_.find(key); it != location_of_endpoint_.end()) {
    location = it->second;
    out.replaced = true;
  } else if (registrations_of(peer) >= kMaxRegistrationsPerKey) {
    return make_error(Errc::forbidden,
                      "this device holds 8 registrations already (one per sector)");
  }
  if (location.empty()) location = "rd/" + std::to_string(next_id_++);
  if (auto existing = by_location_.find(location); existing != by_location_.end())
    by_expiry_.erase({existing->second.expires_at(), location});
  Registration& registration = by_location_[location];
  registration.location = location;
  registration.endpoint = request.endpoint;
  registration.sector = request.sector;
  registration.base = request.base;
  registration.source = source;
  registration.fingerprint = peer;
  registration.lifetime = request.lifetime;
  registration.registered_at = now;
  registration.updated_at = now;
  registration.links = request.links;
  registration.extra = request.extra;
  location_of_endpoint_[key] = location;
  locations_of_key_[peer.bytes()].insert(location);
  locations_of_name_[request.endpoint].insert(location);
  by_expiry_.emplace(registration.expires_at(), location);
  ++version_;
  out.registration = registration;
  return out;
}

Result<Registration> Directory::update(std::string_view location, const UpdateRequest& request,
                                       const Fingerprint& peer, const std::string& source,
                                       std::int64_t now) {
  auto it = by_location_.find(location);
  if (it == by_location_.end())
    return make_error(Errc::not_found, "no such registration: register again");
  Registration& registration = it->second;
  if (registration.fingerprint != peer)
    return make_error(Errc::forbidden, "another device's registration");
  by_expiry_.erase({registration.expires_at(), registration.location});
  if (request.lifetime) registration.lifetime = *request.lifetime;
  if (request.base) registration.base = *request.base;
  for (const auto& changed : request.extra) {  // RFC 9176 section 5.3.1: they change
    auto same = std::find_if(
        registration.extra.begin(), registration.extra.end(),
        [&changed](const auto& attribute) { return attribute.first == changed.first; });
    if (same != registration.extra.end()) {
      same->second = changed.second;
    } else if (registration.extra.size() < kMaxEndpointAttributes) {
      registration.extra.push_back(changed);
    }
  }
  if (!request.extra.empty()) ++version_;
  if (registration.source != source) ++version_;
  registration.source = source;
  registration.updated_at = now;
  by_expiry_.emplace(registration.expires_at(), registration.location);
  if (request.lifetime || request.base) ++version_;
  return registration;
}

Result<Registration> Directory::remove(std::string_view location, const Fingerprint& peer) {
  auto it = by_location_.find(location);
  if (it == by_location_.end()) return make_error(Errc::not_found, "no such registration");
  if (it->second.fingerprint != peer)
    return make_error(Errc::forbidden, "another device's registration");
  Registration removed = it->second;
  erase(it);
  return removed;
}

void Directory::erase(std::map<std::string, Registration, std::less<>>::iterator it) {
  const Registration& registration = it->second;
  location_of_endpoint_.erase(key_of(registration.sector, registration.endpoint));
  if (auto key = locations_of_key_.find(registration.fingerprint.bytes());
      key != locations_of_key_.end()) {
    key->second.erase(it->first);
    if (key->second.empty()) locations_of_key_.erase(key);
  }
  if (auto name = locations_of_name_.find(registration.endpoint);
      name != locations_of_name_.end()) {
    name->second.erase(it->first);
    if (name->second.empty()) locations_of_name_.erase(name);
  }
  by_expiry_.erase({registration.expires_at(), it->first});
  by_location_.erase(it);
  ++version_;
}

std::vector<Registration> Directory::expire(std::int64_t now) {
  std::vector<Registration> expired;
  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    auto it = by_location_.find(by_expiry_.begin()->second);
    expired.push_back(it->second);
    erase(it);
  }
  return expired;
}

std::vector<Registration> Directory::drop_key(const Fingerprint& key) {
  std::vector<Registration> dropped;
  auto it = locations_of_key_.find(key.bytes());
  if (it == locations_of_key_.end()) return dropped;
  const std::set<std::string> locations = it->second;
  for (const std::string& location : locations) {
    auto registration = by_location_.find(location);
    dropped.push_back(registration->second);
    erase(registration);
  }
  return dropped;
}

const Registration* Directory::find_endpoint(std::string_view endpoint,
                                             std::string_view sector) const {
  auto it = location_of_endpoint_.find(key_of(sector, endpoint));
  return it == location_of_endpoint_.end() ? nullptr : find_location(it->second);
}

const Registration* Directory::find_endpoint(std::string_view endpoint) const {
  if (const Registration* plain = find_endpoint(endpoint, {})) return plain;
  auto it = locations_of_name_.find(endpoint);
  if (it == locations_of_name_.end() || it->second.empty()) return nullptr;
  return find_location(*it->second.begin());
}

std::size_t Directory::registrations_of(const Fingerprint& key) const {
  auto it = locations_of_key_.find(key.bytes());
  return it == locations_of_key_.end() ? 0 : it->second.size();
}

const Registration* Directory::registration_of(const Fingerprint& key) const {
  auto it = locations_of_key_.find(key.bytes());
  if (it == locations_of_key_.end()) return nullptr;
  const Registration* chosen = nullptr;
  for (const std::string& location : it->second) {
    const Registration* registration = find_location(location);
    if (!chosen || (registration->sector.empty() && !chosen->sector.empty())) chosen = registration;
  }
  return chosen;
}

const Registration* Directory::find_location(std::string_view location) const {
  auto it = by_location_.find(location);
  return it == by_location_.end() ? nullptr : &it->second;
}

std::optional<std::int64_t> Directory::next_expiry() const {
  if (by_expiry_.empty()) return std::nullopt;
  return by_expiry_.begin()->first;
}

}  // namespace tte::controller
