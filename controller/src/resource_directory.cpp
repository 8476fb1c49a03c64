#include "resource_directory.hpp"

#include "rd_lookup.hpp"
#include "tte/host/status.hpp"

namespace tte::controller {
namespace {

// What the Controller's /.well-known/core lists (RFC 9176 section 4.3).
constexpr const char* kWellKnownCore =
    "</rd>;rt=core.rd;ct=40,</rd-lookup/ep>;rt=core.rd-lookup-ep;ct=40;obs,"
    "</rd-lookup/res>;rt=core.rd-lookup-res;ct=40;obs";

std::string fingerprint_text(const std::optional<Fingerprint>& key) {
  return key ? std::string(key->to_string().view()) : "-";
}

}  // namespace

std::string diagnostic_of(const Error& error) {
  std::string text = error.message;
  if (error.field) text = std::string(error.field) + ": " + text;
  return text;
}

RdAnswer error_answer(std::uint8_t code, std::string diagnostic) {
  RdAnswer answer;
  answer.code = code;
  answer.body = std::move(diagnostic);
  return answer;
}

namespace {
RdAnswer error_answer_of(const Error& error) {
  return error_answer(wire_status(error.code).coap, diagnostic_of(error));
}
// The answer after a Block1 transfer echoes its last block (RFC 7959 section 2.3).
RdAnswer with_block1(RdAnswer answer, const RdAnswer& transfer) {
  answer.block1 = transfer.block1;
  return answer;
}
}  // namespace

ResourceDirectory::ResourceDirectory(Registry& registry, Logger& logger)
    : registry_(registry),
      logger_(logger),
      well_known_links_(parse_link_format(kWellKnownCore).value()) {}

RdAnswer ResourceDirectory::handle(const RdRequest& request) {
  const std::string& path = request.path;
  const bool admitted = request.key.has_value();
  if (path == ".well-known/core") {
    if (request.method != Method::get) return error_answer(coap_code::method_not_allowed, "");
    return well_known_core(request);
  }
  if (path == "rd" || path == ".well-known/rd" || path == "rd-lookup/ep" ||
      path == "rd-lookup/res") {
    const Method allowed = path.rfind("rd-lookup/", 0) == 0 ? Method::get : Method::post;
    if (request.method != allowed) return error_answer(coap_code::method_not_allowed, "");
    if (!admitted) return error_answer(coap_code::unauthorized, "no device key");
    if (path == "rd") return registration(request);
    if (path == ".well-known/rd") return simple_registration(request);
    return lookup(request, path == "rd-lookup/ep");
  }
  return registration_resource(request);
}

// --- registration (RFC 9176 section 5.3) -------------------------------------

std::optional<std::string> ResourceDirectory::take_body(const RdRequest& request,
                                                        std::string_view resource,
                                                        RdAnswer& answer) {
  if (!request.block1_valid) {
    answer = error_answer(coap_code::bad_request, "malformed Block1 option");
    return std::nullopt;
  }
  // One transfer per request: its path, query and Request-Tag (RFC 9175) name it.
  std::string transfer(resource);
  for (const std::string& option : request.query)
    transfer += '\0' + option;
  if (request.request_tag) transfer += '\1' + *request.request_tag;
  auto outcome = bodies_.add(request.session, transfer, request.block1, request.payload,
                             request.content_format, request.size1, request.now_ms);
  using Step = coap_blocks::Block1Assembler::Step;
  switch (outcome.step) {
    case Step::complete:
      if (request.block1) answer.block1 = coap_blocks::encode_block(outcome.block);
      return std::move(outcome.body);
    case Step::more:
      answer.code = coap_code::continue_;
      answer.block1 = coap_blocks::encode_block(outcome.block);
      return std::nullopt;
    case Step::incomplete:
      answer = error_answer(coap_code::incomplete, outcome.reason);
      return std::nullopt;
    case Step::too_large:
      answer = error_answer(coap_code::too_large, "a registration's links are at most " +
                                                      std::to_string(bodies_.limits().max_body) +
                                                      " bytes");
      answer.size1 = static_cast<unsigned>(bodies_.limits().max_body);
      return std::nullopt;
    case Step::bad_block:
      answer = error_answer(coap_code::bad_request, outcome.reason);
      return std::nullopt;
  }
  return std::nullopt;
}

RdAnswer ResourceDirectory::refuse(const RdRequest& request, const Error& error) {
  logger_.warning("registration refused", {{"client", request.client},
                                           {"fingerprint", fingerprint_text(request.key)},
                                           {"reason", diagnostic_of(error)}});
  return error_answer_of(error);
}

Status ResourceDirectory::may_register(const Fingerprint& key,
                                       const RegistrationRequest& request) const {
  return check_endpoint_name(request.endpoint, key, registry_.announced_urn(key),
                             registry_.key_of_announced(request.endpoint),
                             registry_.policy() == Policy::strict);
}

// Message 11 (draft §2; docs/protocol.md §9): the Device registers with its
// Controller (POST /rd); the answer (2.01 with its location) is message 12's first.
RdAnswer ResourceDirectory::registration(const RdRequest& request) {
  RdAnswer answer;
  auto body = take_body(request, "POST rd", answer);
  if (!body) return answer;
  auto parsed = parse_registration(request.query, *body, request.content_format);
  RdAnswer made = parsed.ok() ? register_now(request, parsed.value(), /*simple=*/false)
                              : refuse(request, parsed.error());
  made.block1 = answer.block1;  // the last block's, echoed (RFC 7959 section 2.3)
  return made;
}

// Message 12 (docs/protocol.md §9): the Controller's answer to a registration,
// normal or simple.
RdAnswer ResourceDirectory::register_now(const RdRequest& request,
                                         const RegistrationRequest& wanted, bool simple) {
  const Fingerprint& key = *request.key;
  Status allowed = may_register(key, wanted);
  if (!allowed.ok()) return refuse(request, allowed.error());
  auto registered =
      directory_.register_endpoint(wanted, key, "coaps://" + request.client, request.now);
  if (!registered.ok()) return refuse(request, registered.error());
  const Registration& made = registered->registration;
  RdAnswer answer;
  if (simple) {
    answer.code = coap_code::changed;  // RFC 9176 section 5.1
  } else {
    answer.code = coap_code::created;
    const std::size_t slash = made.location.find('/');
    answer.location_path = {made.location.substr(0, slash), made.location.substr(slash + 1)};
  }
  answer.effects.hold_session = true;
  answer.effects.registered = made.endpoint;
  registry_.registered(made, request.now);
  logger_.info("registered", {{"client", request.client},
                              {"ep", made.endpoint},
                              {"d", made.sector},
                              {"location", "/" + made.location},
                              {"lt", made.lifetime},
                              {"replaced", registered->replaced}});
  return answer;
}

// --- simple registration (RFC 9176 section 5.1) --------------------------------

RdAnswer ResourceDirectory::simple_registration(const RdRequest& request) {
  RdAnswer answer;
  auto body = take_body(request, "POST .well-known/rd", answer);
  if (!body) return answer;
  auto parsed = parse_simple_registration(request.query, *body);
  if (!parsed.ok()) return with_block1(refuse(request, parsed.error()), answer);
  Status allowed = may_register(*request.key, parsed.value());
  if (!allowed.ok()) return with_block1(refuse(request, allowed.error()), answer);
  if (!directory_.find_endpoint(parsed->endpoint, parsed->sector) &&
      directory_.registrations_of(*request.key) >= kMaxRegistrationsPerKey &&
      directory_.registration_of(*request.key)->endpoint == parsed->endpoint) {
    return refuse(request,
                  Error{Errc::forbidden,
                        "this device holds 8 registrations already (one per sector)", nullptr});
  }
  if (simple_.size() >= kMaxDeferred) {
    RdAnswer busy =
        error_answer(coap_code::service_unavailable, "too many simple registrations at once");
    busy.max_age = 10;
    return busy;
  }
  answer.fetch_links = std::move(parsed.value());
  return answer;
}

void ResourceDirectory::await_links(ExchangeId exchange, RegistrationRequest registration,
                                    std::int64_t now_ms) {
  SimpleRegistration& state = simple_[exchange];
  state = SimpleRegistration{};
  state.request = std::move(registration);
  state.started_ms = now_ms;
}

OutgoingRequest ResourceDirectory::well_known_core_request(Token token) {
  return OutgoingRequest{token,       Method::get, "/.well-known/core", "", std::nullopt,
                         kLinkFormat, false};
}

bool ResourceDirectory::links_fetched(ExchangeId exchange, const DeviceReply& reply) {
  auto it = simple_.find(exchange);
  if (it == simple_.end()) return false;
  SimpleRegistration& state = it->second;
  state.done = true;
  if (reply.failure != DeviceReply::Failure::none) {
    const bool silent = reply.failure == DeviceReply::Failure::timeout ||
                        reply.failure == DeviceReply::Failure::not_connected;
    state.code = silent ? coap_code::gateway_timeout : coap_code::bad_gateway;
    state.unanswered = reply.failure == DeviceReply::Failure::timeout;
    state.diagnostic = "could not read the endpoint's /.well-known/core: " + reply.error;
    return true;
  }
  if (reply.code != coap_code::content) {
    state.code = coap_code::bad_gateway;
    state.diagnostic = "the endpoint's /.well-known/core answered " + coap_code_text(reply.code);
    return true;
  }
  if (reply.content_format && *reply.content_format != kLinkFormat) {
    state.code = coap_code::bad_gateway;
    state.diagnostic = "the endpoint's /.well-known/core is not link-format";
    return true;
  }
  if (reply.payload.empty()) return true;  // no links: allowed
  auto links = parse_link_format(reply.payload);
  if (!links.ok()) {
    state.code = coap_code::bad_gateway;
    state.diagnostic = "the endpoint's /.well-known/core: " + diagnostic_of(links.error());
    return true;
  }
  state.request.links = std::move(links.value());
  return true;
}

RdAnswer ResourceDirectory::finish_simple_registration(ExchangeId exchange,
                                                       const RdRequest& request) {
  auto it = simple_.find(exchange);
  if (it == simple_.end() || !it->second.done)
    return error_answer(coap_code::internal_error, "lost track of the registration");
  SimpleRegistration state = std::move(it->second);
  simple_.erase(it);
  if (state.code != 0) {
    logger_.warning("simple registration failed", {{"client", request.client},
                                                   {"ep", state.request.endpoint},
                                                   {"code", coap_code_text(state.code)},
                                                   {"reason", state.diagnostic}});
    RdAnswer answer = error_answer(state.code, state.diagnostic);
    // The fetch may still be retransmitted by libcoap, and a CON answer
    // would wait behind it (NSTART = 1): the failure goes out NON now.
    answer.non = state.unanswered;
    return answer;
  }
  if (!request.key) return error_answer(coap_code::unauthorized, "no device key");
  return register_now(request, state.request, /*simple=*/true);
}

// --- rd/<n>: read, update (message 12's keep-alive), removal -------------------

RdAnswer ResourceDirectory::registration_resource(const RdRequest& request) {
  const std::string& location = request.path;
  if (!request.key || location.rfind("rd/", 0) != 0 || !directory_.find_location(location))
    return error_answer(coap_code::not_found, "");
  const Fingerprint& key = *request.key;
  switch (request.method) {
    case Method::get: {
      RdAnswer answer;
      answer.body = format_link_format(directory_.find_location(location)->links);
      answer.content_format = kLinkFormat;
      answer.block_wise = true;
      return answer;
    }
    case Method::post: {
      RdAnswer answer;
      auto body = take_body(request, "POST " + location, answer);
      if (!body) return answer;
      auto update = parse_update(request.query, *body);
      if (!update.ok()) return with_block1(error_answer_of(update.error()), answer);
      auto updated = directory_.update(location, update.value(), key, "coaps://" + request.client,
                                       request.now);
      if (!updated.ok()) return with_block1(error_answer_of(updated.error()), answer);
      answer.code = coap_code::changed;
      // The Device may have a new session since it registered.
      answer.effects.hold_session = true;
      answer.effects.registered = updated->endpoint;
      answer.effects.observations_except = request.session;
      registry_.registered(updated.value(), request.now);
      logger_.debug("registration updated", {{"ep", updated->endpoint}, {"lt", updated->lifetime}});
      return answer;
    }
    case Method::del: {
      auto removed = directory_.remove(location, key);
      if (!removed.ok()) return error_answer_of(removed.error());
      RdAnswer answer;
      answer.code = coap_code::deleted;
      ended(removed.value(), "removed", request.now, answer.effects);
      return answer;
    }
    default:
      return error_answer(coap_code::method_not_allowed, "");
  }
}

void ResourceDirectory::ended(const Registration& registration, const char* how, std::int64_t now,
                              RdEffects& effects) {
  if (const Registration* remaining = directory_.registration_of(registration.fingerprint)) {
    registry_.registered(*remaining, now);  // the Device is still registered (another sector)
  } else {
    registry_.registration_ended(registration.fingerprint, how);
    effects.release_sessions.push_back(registration.fingerprint);
  }
  if (!directory_.find_endpoint(registration.endpoint))
    effects.endpoints_gone.push_back(registration.endpoint);
  logger_.info(std::string("registration ") + how,
               {{"ep", registration.endpoint}, {"d", registration.sector}});
}

RdEffects ResourceDirectory::expire(std::int64_t now, std::int64_t now_ms,
                                    std::int64_t deferred_limit_ms) {
  RdEffects effects;
  if (auto next = directory_.next_expiry(); next && *next <= now) {
    for (const Registration& registration : directory_.expire(now))
      ended(registration, "expired", now, effects);
  }
  bodies_.expire(now_ms);
  for (auto it = simple_.begin(); it != simple_.end();) {
    // Never answered (libcoap dropped the session with its deferred answer).
    if (now_ms - it->second.started_ms > deferred_limit_ms) {
      it = simple_.erase(it);
    } else {
      ++it;
    }
  }
  return effects;
}

// --- lookups (RFC 9176 section 7) and /.well-known/core --------------------------

RdAnswer ResourceDirectory::lookup(const RdRequest& request, bool endpoints) {
  auto query = parse_lookup_query(request.query);
  if (!query.ok()) return error_answer_of(query.error());
  std::string name = endpoints ? "ep" : "res";
  for (const std::string& option : request.query)
    name += '\0' + option;
  auto cached = lookup_cache_.find(name);
  if (cached == lookup_cache_.end() || cached->second.version != directory_.version()) {
    CachedLookup rendered;
    rendered.version = directory_.version();
    rendered.body = endpoints ? lookup_endpoints(directory_, query.value())
                              : lookup_resources(directory_, query.value());
    rendered.etag = coap_blocks::etag_of(rendered.body);
    // A client asking many different queries costs renders, not memory.
    if (lookup_cache_.size() >= kMaxCachedAnswers ||
        lookup_cache_bytes_ + rendered.body.size() > kMaxCachedBytes) {
      lookup_cache_.clear();
      lookup_cache_bytes_ = 0;
      cached = lookup_cache_.end();
    }
    if (cached != lookup_cache_.end()) lookup_cache_bytes_ -= cached->second.body.size();
    lookup_cache_bytes_ += rendered.body.size();
    cached = lookup_cache_.insert_or_assign(name, std::move(rendered)).first;
  }
  RdAnswer answer;
  answer.kept_body = &cached->second.body;
  answer.etag = cached->second.etag;
  answer.content_format = kLinkFormat;
  answer.block_wise = true;
  return answer;
}

RdAnswer ResourceDirectory::well_known_core(const RdRequest& request) const {
  auto query = parse_lookup_query(request.query);
  if (!query.ok()) return error_answer_of(query.error());
  RdAnswer answer;
  answer.body = format_link_format(filter_links(well_known_links_, query.value()));
  answer.content_format = kLinkFormat;
  answer.block_wise = true;
  return answer;
}

}  // namespace tte::controller
