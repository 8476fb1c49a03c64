// The Controller's Resource Directory as CoAP sees it (messages 11 and 12's
// first half, RFC 9176 as docs/protocol.md section 9.2 states it): each
// request to /rd, /rd/<n>, /.well-known/rd, /rd-lookup/ep, /rd-lookup/res and
// /.well-known/core is a function of (request, Directory, Registry) -> answer.
// No libcoap here: coap_server.cpp reads a PDU into an RdRequest, writes the
// RdAnswer back into one, and does what the answer's effects ask of the
// Device sessions it holds (hold one, release one, start observations).
#ifndef TTE_CONTROLLER_RESOURCE_DIRECTORY_HPP
#define TTE_CONTROLLER_RESOURCE_DIRECTORY_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "device_gateway.hpp"
#include "device_requests.hpp"
#include "directory.hpp"
#include "registry.hpp"
#include "tte/host/coap_blocks.hpp"
#include "tte/platform/log.hpp"

namespace tte::controller {

struct RdRequest {
  Method method = Method::get;
  std::string path;                // the Uri-Path options joined by '/': "rd", "rd/7"
  std::vector<std::string> query;  // each Uri-Query option
  std::string payload;
  std::optional<unsigned> content_format;
  bool block1_valid = true;  // false: a malformed Block1 option
  std::optional<coap_blocks::Block> block1;
  std::optional<std::size_t> size1;
  std::optional<std::string> request_tag;  // RFC 9175
  // The peer: the Device key the DTLS handshake admitted (none: no admitted
  // key), its address ("192.0.2.9:40123"), and its session (which also names
  // its Block1 transfers; 0 without an admitted key).
  std::optional<Fingerprint> key;
  std::string client;
  SessionId session = 0;
  std::int64_t now = 0;     // seconds since the epoch
  std::int64_t now_ms = 0;  // steady milliseconds
};

// What the adapter must do about Device sessions beside answering.
struct RdEffects {
  bool hold_session = false;                  // hold the request's session for its key
  std::vector<Fingerprint> release_sessions;  // keys left without a registration
  std::vector<std::string> endpoints_gone;    // their observations stop
  std::optional<std::string> registered;      // this endpoint's wanted observations start...
  SessionId observations_except = 0;          // ...except those running on this session
};

struct RdAnswer {
  std::uint8_t code = coap_code::content;
  std::string body;  // the payload: a diagnostic (text) with an error code
  // A long body the Directory keeps (a cached lookup answer), served instead
  // of `body`: valid until the next call of the ResourceDirectory.
  const std::string* kept_body = nullptr;
  std::optional<unsigned> content_format;
  bool block_wise = false;  // body served in Block2 blocks when long (answer_body)
  std::string etag;         // of a cached body
  std::vector<std::string> location_path;
  std::optional<std::uint32_t> block1;  // the Block1 option to echo (encoded)
  std::optional<unsigned> size1, max_age;
  bool non = false;  // send the (separate) answer NON
  // A simple registration: defer the answer, read the endpoint's links.
  std::optional<RegistrationRequest> fetch_links;
  RdEffects effects;
};

class ResourceDirectory {
 public:
  ResourceDirectory(Registry& registry, Logger& logger);

  // Any request to the Directory's resources. A simple registration
  // (POST /.well-known/rd) answers fetch_links: the adapter defers the
  // answer, calls await_links, reads the endpoint's /.well-known/core
  // (well_known_core_request) and hands the reply to links_fetched, then
  // calls finish_simple_registration for the deferred answer.
  RdAnswer handle(const RdRequest& request);

  using ExchangeId = std::uintptr_t;  // the adapter's name for a deferred answer
  void await_links(ExchangeId exchange, RegistrationRequest registration, std::int64_t now_ms);
  // False when the exchange is forgotten (its answer must not be triggered).
  bool links_fetched(ExchangeId exchange, const DeviceReply& reply);
  RdAnswer finish_simple_registration(ExchangeId exchange, const RdRequest& request);
  static OutgoingRequest well_known_core_request(Token token);

  // Registrations whose lifetime has passed end; deferred simple
  // registrations never answered are forgotten; stale Block1 transfers go.
  RdEffects expire(std::int64_t now, std::int64_t now_ms, std::int64_t deferred_limit_ms);
  // A session's Block1 transfers end with it.
  void forget_session(SessionId session) { bodies_.forget(session); }

  const Directory& directory() const { return directory_; }
  std::size_t size() const { return directory_.size(); }
  std::uint64_t version() const { return directory_.version(); }
  std::size_t deferred() const { return simple_.size(); }

  static constexpr std::size_t kMaxDeferred = 256;  // simple registrations at once
  static constexpr std::size_t kMaxCachedAnswers = 64;
  static constexpr std::size_t kMaxCachedBytes = 16u << 20;

 private:
  RdAnswer registration(const RdRequest& request);
  RdAnswer simple_registration(const RdRequest& request);
  RdAnswer registration_resource(const RdRequest& request);
  RdAnswer lookup(const RdRequest& request, bool endpoints);
  RdAnswer well_known_core(const RdRequest& request) const;
  // The whole body, or the answer to a Block1 block (2.31, or a refusal).
  std::optional<std::string> take_body(const RdRequest& request, std::string_view resource,
                                       RdAnswer& answer);
  Status may_register(const Fingerprint& key, const RegistrationRequest& request) const;
  RdAnswer register_now(const RdRequest& request, const RegistrationRequest& registration,
                        bool simple);
  RdAnswer refuse(const RdRequest& request, const Error& error);
  void ended(const Registration& registration, const char* how, std::int64_t now,
             RdEffects& effects);

  Registry& registry_;
  Logger& logger_;
  Directory directory_;
  coap_blocks::Block1Assembler bodies_{{kMaxLinkFormatBytes, 256, 60000}};
  struct CachedLookup {
    std::uint64_t version = 0;  // of the Directory it was rendered from
    std::string body, etag;
  };
  std::map<std::string, CachedLookup> lookup_cache_;
  std::size_t lookup_cache_bytes_ = 0;
  std::vector<Link> well_known_links_;
  struct SimpleRegistration {
    RegistrationRequest request;
    std::int64_t started_ms = 0;
    bool done = false;
    bool unanswered = false;  // the fetch timed out (libcoap may still retransmit it)
    std::uint8_t code = 0;    // 0: the links arrived
    std::string diagnostic;
  };
  std::unordered_map<ExchangeId, SimpleRegistration> simple_;
};

// Errors as CoAP answers: the code of wire_status, the field and message as diagnostic.
RdAnswer error_answer(std::uint8_t code, std::string diagnostic);
std::string diagnostic_of(const Error& error);

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_RESOURCE_DIRECTORY_HPP
