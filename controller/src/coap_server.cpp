#include "coap_server.hpp"

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rd_lookup.hpp"
#include "tte/host/coap_blocks.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/platform/coap_pdu.hpp"
#include "tte/platform/coaps_server.hpp"
#include "tte/platform/startup_error.hpp"
#include "tte/platform/udp_socket.hpp"

namespace tte::controller {
namespace {

using coaps::answer_error;
using coaps::kCipherPreference;
using coaps::payload_of;
using coaps::query_options;
using coaps::uint_option;
using coaps::uri_path_of;

constexpr long kMaxSendFragment = 1500;

std::string remote_address(const coap_session_t* session) {
  const coap_address_t* remote = coap_session_get_addr_remote(session);
  char text[INET6_ADDRSTRLEN] = "?";
  if (remote->addr.sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &remote->addr.sin.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(remote->addr.sin.sin_port));
  }
  if (remote->addr.sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &remote->addr.sin6.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(remote->addr.sin6.sin6_port));
  }
  return text;
}

std::int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What the DTLS layer learnt about the peer of a session (its app data).
struct Peer {
  Fingerprint key;
  bool admitted = false;
  std::uint64_t id = 0;            // for the Block1 assembler
  std::int64_t last_heard_ms = 0;  // steady clock: the last datagram from it
  bool live = false;               // counted in live_sessions
};

// What the Controller's /.well-known/core lists (RFC 9176 section 4.3).
constexpr const char* kWellKnownCore =
    "</rd>;rt=core.rd;ct=40,</rd-lookup/ep>;rt=core.rd-lookup-ep;ct=40;obs,"
    "</rd-lookup/res>;rt=core.rd-lookup-res;ct=40;obs";

// Where a registration came from, as a base URI for its links.
std::string source_of(const coap_session_t* session) {
  return "coaps://" + remote_address(session);
}

Peer* peer_of(const coap_session_t* session) {
  return static_cast<Peer*>(coap_session_get_app_data(session));
}

std::uint64_t token_value(const coap_pdu_t* pdu) {
  coap_bin_const_t token = coap_pdu_get_token(pdu);
  if (token.length != 8) return 0;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i)
    value = (value << 8) | token.s[i];
  return value;
}

int code_of(const Error& error) {
  switch (error.code) {
    case Errc::forbidden:
      return COAP_RESPONSE_CODE(403);
    case Errc::not_found:
      return COAP_RESPONSE_CODE(404);
    case Errc::unsupported:
      return COAP_RESPONSE_CODE(415);
    case Errc::too_long:
      return COAP_RESPONSE_CODE(413);
    default:
      return COAP_RESPONSE_CODE(400);
  }
}

std::string diagnostic_of(const Error& error) {
  std::string text = error.message;
  if (error.field) text = std::string(error.field) + ": " + text;
  return text;
}

}  // namespace

struct CoapServer::Impl {
  CoapServerOptions options;
  Registry& registry;
  Observations& observations;
  Logger& logger;
  Clock clock;
  coap_context_t* context = nullptr;
  coaps::DtlsIdentity identity;  // parsed once, installed in on_tls_setup
  coaps::HalfOpenSessions half_open;
  std::atomic<bool> context_configured{false};
  std::atomic<bool> running{false};
  int wake_fd = -1;

  // --- CoAP thread only ---------------------------------------------------
  Directory directory;
  std::unordered_map<Fingerprint::Bytes, coap_session_t*, KeyHash>
      session_of_key;                       // referenced while registered
  std::vector<coap_session_t*> to_release;  // released after coap_io_process
  // Every DTLS session up now, per key, oldest first (a Device may hold more
  // than one for a while, and anyone with its key may open another).
  std::unordered_map<Fingerprint::Bytes, std::vector<coap_session_t*>, KeyHash> live_sessions;
  std::uint64_t next_peer_id = 0;
  std::int64_t next_silence_check_ms = 0;
  // Registration bodies sent in Block1 blocks (RFC 7959), bounded like the links.
  coap_blocks::Block1Assembler bodies{{kMaxLinkFormatBytes, 256, 60000}};
  // Rendered lookup answers by query, reused while the Directory is unchanged
  // (a client fetches a long answer block by block).
  struct LookupAnswer {
    std::uint64_t version = 0;  // of the Directory it was rendered from
    std::string body, etag;
  };
  std::map<std::string, LookupAnswer> lookup_cache;
  std::size_t lookup_cache_bytes = 0;
  coap_resource_t* lookup_ep = nullptr;
  coap_resource_t* lookup_res = nullptr;
  std::uint64_t notified_version = 0;
  std::int64_t next_notify_ms = 0;
  std::vector<Link> well_known_links;
  // Simple registrations (RFC 9176 section 5.1) waiting for the endpoint's
  // /.well-known/core: answered separately once it arrives.
  struct SimpleRegistration {
    RegistrationRequest request;
    std::int64_t started_ms = 0;
    bool done = false;
    bool unanswered = false;  // the fetch timed out (libcoap may still retransmit it)
    int code = 0;
    std::string diagnostic;
  };
  std::unordered_map<coap_async_t*, SimpleRegistration> simple_registrations;

  struct Pending {
    std::function<void(DeviceReply)> done;
    std::int64_t deadline_ms = 0;
    coap_session_t* session = nullptr;
  };
  std::unordered_map<std::uint64_t, Pending> pending;
  std::uint64_t next_token = 0;
  std::int64_t next_deadline_check_ms = 0;

  struct Observation {
    std::string urn, path;
    bool for_api = false;
    bool for_binding = false;
    std::uint64_t token = 0;  // of the running observation; 0: none
    coap_session_t* session = nullptr;
  };
  std::map<std::string, Observation> observations_wanted;  // by Observations::key
  std::unordered_map<std::uint64_t, std::string> observation_of_token;
  std::vector<Binding> bindings;

  // --- any thread ------------------------------------------------------------
  std::mutex jobs_mutex;
  std::vector<std::function<void()>> jobs;
  std::atomic<std::uint64_t> requests_sent{0}, replies{0}, notifications{0}, registrations{0};

  Impl(CoapServerOptions o, Registry& r, Observations& obs, Logger& l, Clock c)
      : options(std::move(o)),
        registry(r),
        observations(obs),
        logger(l),
        clock(std::move(c)),
        half_open(options.half_open, l) {
    std::uint8_t random[8];
    coap_prng(random, sizeof random);
    for (std::uint8_t byte : random)
      next_token = (next_token << 8) | byte;
  }
  ~Impl() {
    for (auto& [key, session] : session_of_key)
      coap_session_release(session);
    session_of_key.clear();
    if (context) coap_free_context(context);
    // libcoap frees the sessions left at shutdown without a SERVER_SESSION_DEL event.
    for (Peer* peer : peers)
      delete peer;
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void post(std::function<void()> job) {
    {
      std::lock_guard lock(jobs_mutex);
      jobs.push_back(std::move(job));
    }
    std::uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof one);
  }

  void run_jobs() {
    std::vector<std::function<void()>> ready;
    {
      std::lock_guard lock(jobs_mutex);
      ready.swap(jobs);
    }
    for (auto& job : ready)
      job();
  }

  // --- DTLS ----------------------------------------------------------------

  static int on_tls_setup(void* tls, coap_dtls_pki_t* setup) {
    auto* self = static_cast<Impl*>(setup->cn_call_back_arg);
    SSL* ssl = static_cast<SSL*>(tls);
    if (SSL_use_certificate(ssl, self->identity.certificate()) != 1 ||
        SSL_use_PrivateKey(ssl, self->identity.private_key()) != 1) {
      return 0;
    }
    if (!self->context_configured.exchange(true)) {
      SSL_CTX* ssl_context = SSL_get_SSL_CTX(ssl);
      SSL_CTX_set_cipher_list(ssl_context, kCipherPreference);
      SSL_CTX_set_options(ssl_context, SSL_OP_CIPHER_SERVER_PREFERENCE);
      SSL_CTX_set_cert_verify_callback(ssl_context, &Impl::verify_peer, self);
      // A record never exceeds a datagram (libcoap's DTLS MTU is 1152 bytes):
      // OpenSSL's default 16 KiB write buffer per Device would be mostly unused.
      SSL_CTX_set_max_send_fragment(ssl_context, kMaxSendFragment);
      SSL_set_cipher_list(ssl, kCipherPreference);
      SSL_set_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
    }
    // Trust is the Device's key fingerprint, checked in verify_peer, not a CA.
    SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE,
                   nullptr);
    return 1;
  }

  // Computes the Device's key fingerprint and applies the policy: under
  // strict, a key no Introducer announced fails the handshake.
  static int verify_peer(X509_STORE_CTX* store, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    X509* certificate = X509_STORE_CTX_get0_cert(store);
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* session = ssl ? static_cast<coap_session_t*>(SSL_get_app_data(ssl)) : nullptr;
    if (certificate == nullptr || session == nullptr) return 0;
    auto fingerprint = fingerprint_of_x509(certificate);
    if (!fingerprint.ok()) return 0;
    const bool admitted = self->registry.admits(fingerprint.value());
    if (!admitted) {
      self->logger.warning("refused",
                           {{"listener", "coaps"},
                            {"client", remote_address(session)},
                            {"fingerprint", std::string(fingerprint->to_string().view())},
                            {"reason", "not announced (policy strict)"}});
      X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
      return 0;
    }
    if (Peer* old = peer_of(session)) {
      self->peers.erase(old);
      delete old;
    }
    Peer* peer = new Peer{fingerprint.value(), true, ++self->next_peer_id, steady_ms(), false};
    self->peers.insert(peer);
    coap_session_set_app_data(session, peer);
    return 1;
  }

  static int on_event(coap_session_t* session, const coap_event_t event) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    self->half_open.on_event(session, event);
    Peer* peer = peer_of(session);
    switch (event) {
      case COAP_EVENT_DTLS_CONNECTED:
        if (peer) {
          const std::string address = remote_address(session);
          self->registry.joined(peer->key, self->clock());
          self->touch(session);
          self->logger.info("joined", {{"listener", "coaps"},
                                       {"client", address},
                                       {"fingerprint", std::string(peer->key.to_string().view())}});
        }
        break;
      case COAP_EVENT_DTLS_CLOSED:
      case COAP_EVENT_DTLS_ERROR:
      case COAP_EVENT_SESSION_CLOSED:
        if (peer) self->session_gone(session, peer->key);
        break;
      case COAP_EVENT_SERVER_SESSION_DEL:
        if (peer) {
          self->session_gone(session, peer->key);
          self->peers.erase(peer);
          delete peer;
          coap_session_set_app_data(session, nullptr);
        }
        break;
      default:
        break;
    }
    return 0;
  }

  // A datagram from the session's peer: it is alive (again).
  void touch(coap_session_t* session) {
    Peer* peer = peer_of(session);
    if (!peer) return;
    peer->last_heard_ms = steady_ms();
    if (peer->live) return;
    peer->live = true;
    live_sessions[peer->key.bytes()].push_back(session);
    show_connection(peer->key);
  }

  // Tells the registry what is true of a key's sessions now: how many are up,
  // and the address of the one its registration uses (else the newest).
  void show_connection(const Fingerprint& key) {
    auto live = live_sessions.find(key.bytes());
    const int count = live == live_sessions.end() ? 0 : static_cast<int>(live->second.size());
    std::string address;
    if (auto held = session_of_key.find(key.bytes()); held != session_of_key.end()) {
      address = remote_address(held->second);
    } else if (count > 0) {
      address = remote_address(live->second.back());
    }
    registry.connection(key, count, address);
  }

  // The Device's session ended: its requests fail, its observations stop.
  void session_gone(coap_session_t* session, const Fingerprint& key) {
    waiting.erase(session);
    in_flight.erase(session);
    if (Peer* peer = peer_of(session)) {
      bodies.forget(peer->id);
      peer->live = false;
    }
    if (auto live = live_sessions.find(key.bytes()); live != live_sessions.end()) {
      auto& sessions = live->second;
      sessions.erase(std::remove(sessions.begin(), sessions.end(), session), sessions.end());
      if (sessions.empty()) live_sessions.erase(live);
    }
    if (auto it = session_of_key.find(key.bytes());
        it != session_of_key.end() && it->second == session) {
      to_release.push_back(session);
      session_of_key.erase(it);
    }
    show_connection(key);
    std::vector<std::uint64_t> orphaned;
    for (const auto& [token, entry] : pending) {
      if (entry.session == session) orphaned.push_back(token);
    }
    for (std::uint64_t token : orphaned) {
      auto it = pending.find(token);
      if (it == pending.end()) continue;
      DeviceReply reply;
      reply.failure = DeviceReply::Failure::not_connected;
      reply.error = "the device's DTLS session ended";
      auto done = std::move(it->second.done);
      pending.erase(it);
      done(std::move(reply));
    }
    for (auto& [key_text, observation] : observations_wanted) {
      if (observation.session == session) {
        observation_of_token.erase(observation.token);
        observation.session = nullptr;
        observation.token = 0;
      }
    }
  }

  void hold_session(const Fingerprint& key, coap_session_t* session) {
    auto it = session_of_key.find(key.bytes());
    if (it != session_of_key.end()) {
      if (it->second == session) return;
      to_release.push_back(it->second);
    }
    session_of_key[key.bytes()] = coap_session_reference(session);
    show_connection(key);
  }

  void drop_session(const Fingerprint& key) {
    if (auto it = session_of_key.find(key.bytes()); it != session_of_key.end()) {
      to_release.push_back(it->second);
      session_of_key.erase(it);
      show_connection(key);
    }
  }

  // A registered Device's session is held (referenced), so libcoap never
  // times it out: one silent for longer than the session timeout is taken
  // for gone here (Devices that expect requests ping every 25 s), and
  // libcoap frees it. Its registration stays until its lifetime ends.
  void check_silent_sessions(std::int64_t now_ms) {
    if (now_ms < next_silence_check_ms) return;
    next_silence_check_ms = now_ms + 1000;
    const std::int64_t limit_ms = static_cast<std::int64_t>(options.session_timeout) * 1000;
    std::vector<std::pair<coap_session_t*, Fingerprint>> silent;
    for (const auto& [bytes, session] : session_of_key) {
      Peer* peer = peer_of(session);
      if (peer && now_ms - peer->last_heard_ms > limit_ms) silent.emplace_back(session, peer->key);
    }
    for (const auto& [session, key] : silent) {
      logger.info("session silent",
                  {{"client", remote_address(session)},
                   {"fingerprint", std::string(key.to_string().view())},
                   {"seconds", static_cast<std::int64_t>(options.session_timeout)}});
      session_gone(session, key);
    }
  }

  void release_sessions() {
    std::vector<coap_session_t*> sessions;
    sessions.swap(to_release);
    for (coap_session_t* session : sessions)
      coap_session_release(session);
  }

  coap_session_t* session_of_urn(const std::string& urn, DeviceReply& failure) {
    const Registration* registration = directory.find_endpoint(urn);
    if (!registration) {
      bool known = registry.device(urn).has_value();
      failure.failure =
          known ? DeviceReply::Failure::not_connected : DeviceReply::Failure::unknown_device;
      failure.error = known ? "the device is not registered" : "no such device";
      return nullptr;
    }
    auto it = session_of_key.find(registration->fingerprint.bytes());
    if (it == session_of_key.end()) {
      failure.failure = DeviceReply::Failure::not_connected;
      failure.error = "the device has no DTLS session";
      return nullptr;
    }
    return it->second;
  }

  // --- the Resource Directory ------------------------------------------------

  // The peer of a request to the directory, heard from now; nullptr (answered
  // 4.01) when the session has no admitted Device key.
  Peer* admitted_peer(coap_session_t* session, coap_pdu_t* response) {
    touch(session);
    Peer* peer = peer_of(session);
    if (peer && peer->admitted) return peer;
    answer_error(response, COAP_RESPONSE_CODE(401), "no device key");
    return nullptr;
  }

  // The request's body, whole: a Block1 transfer's blocks are answered 2.31
  // Continue until the last (RFC 7959 section 2.5). nullopt: answered already.
  std::optional<std::string> take_body(coap_session_t* session, const coap_pdu_t* request,
                                       coap_pdu_t* response, std::string_view resource) {
    Peer* peer = peer_of(session);
    const coaps::BlockOption block1 = coaps::block_option(request, COAP_OPTION_BLOCK1);
    if (!block1.valid) {
      answer_error(response, COAP_RESPONSE_CODE(400), "malformed Block1 option");
      return std::nullopt;
    }
    const auto size1 = uint_option(request, COAP_OPTION_SIZE1);
    // One transfer per request: its path, query and Request-Tag (RFC 9175) name it.
    std::string transfer(resource);
    for (const std::string& option : query_options(request))
      transfer += '\0' + option;
    coap_opt_iterator_t iterator;
    if (coap_opt_t* tag = coap_check_option(request, COAP_OPTION_RTAG, &iterator)) {
      transfer += '\1';
      transfer.append(reinterpret_cast<const char*>(coap_opt_value(tag)), coap_opt_length(tag));
    }
    auto outcome =
        bodies.add(peer ? peer->id : 0, transfer, block1.block, payload_of(request),
                   uint_option(request, COAP_OPTION_CONTENT_FORMAT),
                   size1 ? std::optional<std::size_t>(*size1) : std::nullopt, steady_ms());
    using Step = coap_blocks::Block1Assembler::Step;
    switch (outcome.step) {
      case Step::complete:
        if (block1.block) {
          coaps::add_uint_option(response, COAP_OPTION_BLOCK1,
                                 coap_blocks::encode_block(outcome.block));
        }
        return std::move(outcome.body);
      case Step::more:
        coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(231)));
        coaps::add_uint_option(response, COAP_OPTION_BLOCK1,
                               coap_blocks::encode_block(outcome.block));
        return std::nullopt;
      case Step::incomplete:
        answer_error(response, COAP_RESPONSE_CODE(408), outcome.reason);
        return std::nullopt;
      case Step::too_large:
        coaps::add_uint_option(response, COAP_OPTION_SIZE1,
                               static_cast<unsigned>(bodies.limits().max_body));
        answer_error(response, COAP_RESPONSE_CODE(413),
                     "a registration's links are at most " +
                         std::to_string(bodies.limits().max_body) + " bytes");
        return std::nullopt;
      case Step::bad_block:
        answer_error(response, COAP_RESPONSE_CODE(400), outcome.reason);
        return std::nullopt;
    }
    return std::nullopt;
  }

  static void on_register(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, const coap_string_t*, coap_pdu_t* response) {
    static_cast<Impl*>(coap_resource_get_userdata(resource))
        ->handle_register(session, request, response);
  }

  void handle_register(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response) {
    Peer* peer = admitted_peer(session, response);
    if (!peer) return;
    auto body = take_body(session, request, response, "POST rd");
    if (!body) return;
    auto parsed = parse_registration(query_options(request), *body,
                                     uint_option(request, COAP_OPTION_CONTENT_FORMAT));
    if (!parsed.ok()) return refuse_registration(session, response, parsed.error());
    register_now(session, parsed.value(), response);
  }

  void refuse_registration(coap_session_t* session, coap_pdu_t* response, const Error& error) {
    Peer* peer = peer_of(session);
    logger.warning("registration refused",
                   {{"client", remote_address(session)},
                    {"fingerprint", peer ? std::string(peer->key.to_string().view()) : "-"},
                    {"reason", diagnostic_of(error)}});
    answer_error(response, code_of(error), diagnostic_of(error));
  }

  // Whether this Device may register under the request's name (the policy).
  Status may_register(const Peer& peer, const RegistrationRequest& request) {
    return check_endpoint_name(request.endpoint, peer.key, registry.announced_urn(peer.key),
                               registry.key_of_announced(request.endpoint),
                               registry.policy() == Policy::strict);
  }

  // Makes the registration; answers 2.01 with its Location-Path (a simple
  // registration: 2.04, RFC 9176 section 5.1), or a refusal.
  void register_now(coap_session_t* session, const RegistrationRequest& request,
                    coap_pdu_t* response, bool simple = false) {
    Peer* peer = peer_of(session);
    const std::int64_t now = clock();
    Status allowed = may_register(*peer, request);
    if (!allowed.ok()) return refuse_registration(session, response, allowed.error());
    auto registered = directory.register_endpoint(request, peer->key, source_of(session), now);
    if (!registered.ok()) return refuse_registration(session, response, registered.error());
    const Registration& registration = registered->registration;
    if (simple) {
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
    } else {
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_CREATED);
      std::size_t slash = registration.location.find('/');
      std::string first = registration.location.substr(0, slash),
                  second = registration.location.substr(slash + 1);
      coap_add_option(response, COAP_OPTION_LOCATION_PATH, first.size(),
                      reinterpret_cast<const uint8_t*>(first.data()));
      coap_add_option(response, COAP_OPTION_LOCATION_PATH, second.size(),
                      reinterpret_cast<const uint8_t*>(second.data()));
    }
    hold_session(peer->key, session);
    registry.registered(registration, now);
    registrations = directory.size();
    logger.info("registered", {{"client", remote_address(session)},
                               {"ep", registration.endpoint},
                               {"d", registration.sector},
                               {"location", "/" + registration.location},
                               {"lt", registration.lifetime},
                               {"replaced", registered->replaced}});
    for (auto& [key, observation] : observations_wanted) {
      if (observation.urn == registration.endpoint) start_observation(key, observation);
    }
  }

  // POST /.well-known/rd?ep=.. (RFC 9176 section 5.1): the links come from the
  // endpoint's /.well-known/core, read over its own session; the POST is
  // answered 2.04 (separately: libcoap sends the empty ACK) once they are in.
  static void on_simple_registration(coap_resource_t* resource, coap_session_t* session,
                                     const coap_pdu_t* request, const coap_string_t*,
                                     coap_pdu_t* response) {
    static_cast<Impl*>(coap_resource_get_userdata(resource))
        ->handle_simple_registration(session, request, response);
  }

  void handle_simple_registration(coap_session_t* session, const coap_pdu_t* request,
                                  coap_pdu_t* response) {
    Peer* peer = admitted_peer(session, response);
    if (!peer) return;
    coap_async_t* async = coap_find_async(session, coap_pdu_get_token(request));
    if (async) {  // the second call: the fetch is done
      auto it = simple_registrations.find(async);
      if (it == simple_registrations.end() || !it->second.done)
        return answer_error(response, COAP_RESPONSE_CODE(500), "lost track of the registration");
      SimpleRegistration state = std::move(it->second);
      simple_registrations.erase(it);
      if (state.code != 0) {
        // The fetch may still be retransmitted by libcoap, and a CON answer
        // would wait behind it (NSTART = 1): the failure goes out NON now.
        if (state.unanswered) coap_pdu_set_type(response, COAP_MESSAGE_NON);
        logger.warning("simple registration failed", {{"client", remote_address(session)},
                                                      {"ep", state.request.endpoint},
                                                      {"code", coap_code_text(state.code)},
                                                      {"reason", state.diagnostic}});
        return answer_error(response, state.code, state.diagnostic);
      }
      register_now(session, state.request, response, /*simple=*/true);
      return;
    }
    auto body = take_body(session, request, response, "POST .well-known/rd");
    if (!body) return;
    auto parsed = parse_simple_registration(query_options(request), *body);
    if (!parsed.ok()) return refuse_registration(session, response, parsed.error());
    Status allowed = may_register(*peer, parsed.value());
    if (!allowed.ok()) return refuse_registration(session, response, allowed.error());
    if (!directory.find_endpoint(parsed->endpoint, parsed->sector) &&
        directory.registrations_of(peer->key) >= kMaxRegistrationsPerKey &&
        directory.registration_of(peer->key)->endpoint == parsed->endpoint) {
      return refuse_registration(
          session, response,
          Error{Errc::forbidden, "this device holds 8 registrations already (one per sector)",
                nullptr});
    }
    if (simple_registrations.size() >= 256) {
      coaps::add_uint_option(response, COAP_OPTION_MAXAGE, 10);
      return answer_error(response, COAP_RESPONSE_CODE(503),
                          "too many simple registrations at once");
    }
    async = coap_register_async(session, request, 0);
    if (!async) return answer_error(response, COAP_RESPONSE_CODE(500), "cannot defer the answer");
    SimpleRegistration& state = simple_registrations[async];
    state = SimpleRegistration{};
    state.request = std::move(parsed.value());
    state.started_ms = steady_ms();
    // Ask the endpoint for its links over this session.
    const std::uint64_t token = new_token();
    pending.emplace(token, Pending{[this, async](DeviceReply reply) {
                                     auto it = simple_registrations.find(async);
                                     if (it == simple_registrations.end()) return;
                                     finish_simple_registration(it->second, reply);
                                     coap_async_trigger(async);
                                   },
                                   steady_ms() + options.request_timeout.count(), session});
    enqueue(session, Outgoing{token, Method::get, "/.well-known/core", "", std::nullopt,
                              kLinkFormat, false});
  }

  static void finish_simple_registration(SimpleRegistration& state, const DeviceReply& reply) {
    state.done = true;
    if (reply.failure != DeviceReply::Failure::none) {
      const bool silent = reply.failure == DeviceReply::Failure::timeout ||
                          reply.failure == DeviceReply::Failure::not_connected;
      state.code = silent ? COAP_RESPONSE_CODE(504) : COAP_RESPONSE_CODE(502);
      state.unanswered = reply.failure == DeviceReply::Failure::timeout;
      state.diagnostic = "could not read the endpoint's /.well-known/core: " + reply.error;
      return;
    }
    if (reply.code != COAP_RESPONSE_CODE(205)) {
      state.code = COAP_RESPONSE_CODE(502);
      state.diagnostic = "the endpoint's /.well-known/core answered " + coap_code_text(reply.code);
      return;
    }
    if (reply.content_format && *reply.content_format != kLinkFormat) {
      state.code = COAP_RESPONSE_CODE(502);
      state.diagnostic = "the endpoint's /.well-known/core is not link-format";
      return;
    }
    if (reply.payload.empty()) return;  // no links: allowed
    auto links = parse_link_format(reply.payload);
    if (!links.ok()) {
      state.code = COAP_RESPONSE_CODE(502);
      state.diagnostic = "the endpoint's /.well-known/core: " + diagnostic_of(links.error());
      return;
    }
    state.request.links = std::move(links.value());
  }

  // rd/<n>: read (GET), update (POST) and removal (DELETE) of a registration.
  // Anything else unknown is 4.04.
  static void on_unknown(coap_resource_t* resource, coap_session_t* session,
                         const coap_pdu_t* request, const coap_string_t*, coap_pdu_t* response) {
    static_cast<Impl*>(coap_resource_get_userdata(resource))
        ->handle_registration_resource(session, request, response);
  }

  void handle_registration_resource(coap_session_t* session, const coap_pdu_t* request,
                                    coap_pdu_t* response) {
    Peer* peer = peer_of(session);
    touch(session);
    const std::int64_t now = clock();
    const std::string location = uri_path_of(request);
    if (!peer || location.rfind("rd/", 0) != 0 || !directory.find_location(location))
      return answer_error(response, COAP_RESPONSE_CODE(404), "");
    const coap_pdu_code_t method = coap_pdu_get_code(request);
    if (method == COAP_REQUEST_CODE_GET) {
      const std::string links = format_link_format(directory.find_location(location)->links);
      return coaps::answer_body(response, request, COAP_RESPONSE_CODE(205), links, kLinkFormat);
    }
    if (method == COAP_REQUEST_CODE_POST) {
      auto body = take_body(session, request, response, "POST " + location);
      if (!body) return;
      auto update = parse_update(query_options(request), *body);
      if (!update.ok())
        return answer_error(response, code_of(update.error()), diagnostic_of(update.error()));
      auto updated = directory.update(location, update.value(), peer->key, source_of(session), now);
      if (!updated.ok())
        return answer_error(response, code_of(updated.error()), diagnostic_of(updated.error()));
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
      hold_session(peer->key, session);  // the Device may have a new session since it registered
      registry.registered(updated.value(), now);
      logger.debug("registration updated", {{"ep", updated->endpoint}, {"lt", updated->lifetime}});
      for (auto& [key, observation] : observations_wanted) {
        if (observation.urn == updated->endpoint && observation.session != session) {
          start_observation(key, observation);
        }
      }
      return;
    }
    if (method == COAP_REQUEST_CODE_DELETE) {
      auto removed = directory.remove(location, peer->key);
      if (!removed.ok())
        return answer_error(response, code_of(removed.error()), diagnostic_of(removed.error()));
      coap_pdu_set_code(response, COAP_RESPONSE_CODE_DELETED);
      ended(removed.value(), "removed");
      return;
    }
    answer_error(response, COAP_RESPONSE_CODE(405), "");
  }

  void ended(const Registration& registration, const char* how) {
    if (const Registration* remaining = directory.registration_of(registration.fingerprint)) {
      registry.registered(*remaining, clock());  // the Device is still registered (another sector)
    } else {
      registry.registration_ended(registration.fingerprint, how);
      drop_session(registration.fingerprint);
    }
    if (!directory.find_endpoint(registration.endpoint)) {
      for (auto& [key, observation] : observations_wanted) {
        if (observation.urn == registration.endpoint) {
          observation_of_token.erase(observation.token);
          observation.token = 0;
          observation.session = nullptr;
        }
      }
    }
    registrations = directory.size();
    logger.info(std::string("registration ") + how,
                {{"ep", registration.endpoint}, {"d", registration.sector}});
  }

  // --- lookups (RFC 9176 section 7) and /.well-known/core ----------------------

  static void on_lookup(coap_resource_t* resource, coap_session_t* session,
                        const coap_pdu_t* request, const coap_string_t*, coap_pdu_t* response) {
    auto* self = static_cast<Impl*>(coap_resource_get_userdata(resource));
    self->handle_lookup(resource == self->lookup_ep, session, request, response);
  }

  void handle_lookup(bool endpoints, coap_session_t* session, const coap_pdu_t* request,
                     coap_pdu_t* response) {
    Peer* peer = admitted_peer(session, response);
    if (!peer) return;
    const std::vector<std::string> query_texts = query_options(request);
    auto query = parse_lookup_query(query_texts);
    if (!query.ok())
      return answer_error(response, code_of(query.error()), diagnostic_of(query.error()));
    std::string key = endpoints ? "ep" : "res";
    for (const std::string& option : query_texts)
      key += '\0' + option;
    auto cached = lookup_cache.find(key);
    if (cached == lookup_cache.end() || cached->second.version != directory.version()) {
      LookupAnswer answer;
      answer.version = directory.version();
      answer.body = endpoints ? lookup_endpoints(directory, query.value())
                              : lookup_resources(directory, query.value());
      answer.etag = coap_blocks::etag_of(answer.body);
      // At most 64 answers and 16 MiB kept: a client asking many different
      // queries costs renders, not memory.
      if (lookup_cache.size() >= 64 || lookup_cache_bytes + answer.body.size() > (16u << 20)) {
        lookup_cache.clear();
        lookup_cache_bytes = 0;
        cached = lookup_cache.end();
      }
      if (cached != lookup_cache.end()) lookup_cache_bytes -= cached->second.body.size();
      lookup_cache_bytes += answer.body.size();
      cached = lookup_cache.insert_or_assign(key, std::move(answer)).first;
    }
    coaps::answer_body(response, request, COAP_RESPONSE_CODE(205), cached->second.body, kLinkFormat,
                       cached->second.etag);
  }

  static void on_well_known_core(coap_resource_t* resource, coap_session_t* session,
                                 const coap_pdu_t* request, const coap_string_t*,
                                 coap_pdu_t* response) {
    auto* self = static_cast<Impl*>(coap_resource_get_userdata(resource));
    self->touch(session);
    auto query = parse_lookup_query(query_options(request));
    if (!query.ok())
      return answer_error(response, code_of(query.error()), diagnostic_of(query.error()));
    coaps::answer_body(response, request, COAP_RESPONSE_CODE(205),
                       format_link_format(filter_links(self->well_known_links, query.value())),
                       kLinkFormat);
  }

  // Observers of the lookups hear of changes at most once a second.
  void notify_lookup_observers(std::int64_t now_ms) {
    if (directory.version() == notified_version || now_ms < next_notify_ms) return;
    notified_version = directory.version();
    next_notify_ms = now_ms + 1000;
    coap_resource_notify_observers(lookup_ep, nullptr);
    coap_resource_notify_observers(lookup_res, nullptr);
  }

  static void on_ping(coap_session_t* session, const coap_pdu_t*, const coap_mid_t) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    self->touch(session);
    if (Peer* peer = peer_of(session)) self->registry.seen(peer->key, self->clock());
  }

  // --- requests to Devices ---------------------------------------------------
  //
  // One confirmable request per Device at a time (RFC 7252's NSTART = 1): the
  // others wait in the Device's queue, in order, and the next goes out when
  // the one in flight is answered, refused or given up.

  struct Outgoing {
    std::uint64_t token = 0;
    Method method = Method::get;
    std::string path, payload;
    std::optional<unsigned> content_format, accept;
    bool observe = false;
  };
  std::unordered_map<coap_session_t*, std::deque<Outgoing>> waiting;
  std::unordered_map<coap_session_t*, std::uint64_t> in_flight;  // the token of the request out now
  std::unordered_set<Peer*> peers;        // every session's Peer (its app data), owned here
  int endpoint_fd = -1;                   // the CoAPS endpoint's socket (libcoap's)
  std::vector<epoll_event> epoll_events;  // reused by loop()

  std::uint64_t new_token() { return ++next_token == 0 ? ++next_token : next_token; }

  bool transmit(coap_session_t* session, const Outgoing& out) {
    coap_pdu_t* pdu =
        coap_pdu_init(COAP_MESSAGE_CON, static_cast<coap_pdu_code_t>(out.method),
                      coap_new_message_id(session), coap_session_max_pdu_size(session));
    if (!pdu) return false;
    std::uint8_t token_bytes[8];
    for (int i = 0; i < 8; ++i)
      token_bytes[i] = static_cast<std::uint8_t>(out.token >> (56 - 8 * i));
    coap_add_token(pdu, sizeof token_bytes, token_bytes);
    std::uint8_t buffer[4];
    if (out.observe) {
      coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(buffer, sizeof buffer, 0),
                      buffer);
    }
    const std::string& path = out.path;
    std::size_t start = path.empty() || path[0] != '/' ? 0 : 1;
    while (start < path.size()) {
      std::size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) {
        coap_add_option(pdu, COAP_OPTION_URI_PATH, end - start,
                        reinterpret_cast<const uint8_t*>(path.data() + start));
      }
      start = end + 1;
    }
    if (out.content_format) {
      coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                      coap_encode_var_safe(buffer, sizeof buffer, *out.content_format), buffer);
    }
    if (out.accept) {
      coap_add_option(pdu, COAP_OPTION_ACCEPT,
                      coap_encode_var_safe(buffer, sizeof buffer, *out.accept), buffer);
    }
    if (!out.payload.empty()) {
      coap_add_data(pdu, out.payload.size(), reinterpret_cast<const uint8_t*>(out.payload.data()));
    }
    if (coap_send(session, pdu) == COAP_INVALID_MID) return false;
    ++requests_sent;
    in_flight[session] = out.token;
    return true;
  }

  // Sends now, or after the requests already waiting for this Device.
  void enqueue(coap_session_t* session, Outgoing out) {
    if (in_flight.count(session)) {
      waiting[session].push_back(std::move(out));
      return;
    }
    if (!transmit(session, out)) fail_token(out.token, "the request could not be sent");
  }

  // The request with this token is done: the next waiting one goes out.
  void finished(coap_session_t* session, std::uint64_t token) {
    auto it = in_flight.find(session);
    if (it == in_flight.end() || it->second != token) return;
    in_flight.erase(it);
    auto queue = waiting.find(session);
    while (queue != waiting.end() && !queue->second.empty()) {
      Outgoing next = std::move(queue->second.front());
      queue->second.pop_front();
      // Skip requests given up while they waited.
      if (!pending.count(next.token) && !observation_of_token.count(next.token)) continue;
      if (transmit(session, next)) break;
      fail_token(next.token, "the request could not be sent");
    }
    if (queue != waiting.end() && queue->second.empty()) waiting.erase(queue);
  }

  void fail_token(std::uint64_t token, const char* error) {
    if (auto it = pending.find(token); it != pending.end()) {
      DeviceReply reply;
      reply.failure = DeviceReply::Failure::failed;
      reply.error = error;
      auto done = std::move(it->second.done);
      pending.erase(it);
      done(std::move(reply));
    } else if (auto observed = observation_of_token.find(token);
               observed != observation_of_token.end()) {
      Observation& observation = observations_wanted.at(observed->second);
      observation.token = 0;
      observation.session = nullptr;
      observation_of_token.erase(observed);
    }
  }

  void start_request(DeviceRequest request, std::function<void(DeviceReply)> done) {
    DeviceReply failure;
    coap_session_t* session = session_of_urn(request.urn, failure);
    if (!session) return done(std::move(failure));
    const std::uint64_t token = new_token();
    pending.emplace(
        token, Pending{std::move(done), steady_ms() + options.request_timeout.count(), session});
    enqueue(session,
            Outgoing{token, request.method, std::move(request.path), std::move(request.payload),
                     request.content_format, request.accept, false});
  }

  void start_observation(const std::string& key, Observation& observation) {
    DeviceReply failure;
    coap_session_t* session = session_of_urn(observation.urn, failure);
    if (!session) return;
    if (observation.token) observation_of_token.erase(observation.token);
    observation.token = new_token();
    observation.session = session;
    observation_of_token[observation.token] = key;
    enqueue(session, Outgoing{observation.token, Method::get, observation.path, "", std::nullopt,
                              std::nullopt, true});
  }

  static coap_response_t on_response(coap_session_t* session, const coap_pdu_t*,
                                     const coap_pdu_t* received, const coap_mid_t) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    return self->handle_response(session, received);
  }

  coap_response_t handle_response(coap_session_t* session, const coap_pdu_t* received) {
    const std::uint64_t token = token_value(received);
    touch(session);
    if (Peer* peer = peer_of(session)) registry.seen(peer->key, clock());
    DeviceReply reply;
    reply.code = coap_pdu_get_code(received);
    reply.content_format = uint_option(received, COAP_OPTION_CONTENT_FORMAT);
    reply.payload = payload_of(received);
    const coaps::BlockOption block2 = coaps::block_option(received, COAP_OPTION_BLOCK2);
    if (block2.block && (block2.block->more || block2.block->num != 0)) {
      reply.failure = DeviceReply::Failure::failed;
      reply.error = "the device answered block-wise (Block2), which the Controller does not fetch";
    }
    finished(session, token);
    if (auto it = pending.find(token); it != pending.end()) {
      auto done = std::move(it->second.done);
      pending.erase(it);
      ++replies;
      done(std::move(reply));
      return COAP_RESPONSE_OK;
    }
    auto observed = observation_of_token.find(token);
    if (observed == observation_of_token.end())
      return COAP_RESPONSE_FAIL;  // RST: cancels a stale observation
    const std::string key = observed->second;
    Observation& observation = observations_wanted.at(key);
    const bool still_observing =
        uint_option(received, COAP_OPTION_OBSERVE).has_value() && reply.code < 128;
    if (!still_observing) {
      observation_of_token.erase(observed);
      observation.token = 0;
      observation.session = nullptr;
    }
    if (reply.failure == DeviceReply::Failure::none && reply.code >= 64 && reply.code < 128)
      notify(key, observation, reply);
    return COAP_RESPONSE_OK;
  }

  // A new value of an observed resource: to the API's long polls and to bindings.
  void notify(const std::string& key, const Observation& observation, const DeviceReply& reply) {
    ++notifications;
    const std::int64_t now = clock();
    observations.publish(key,
                         Notification{0, now, reply.code, reply.content_format, reply.payload});
    for (const Binding& binding : bindings) {
      if (binding.source_urn != observation.urn || binding.source_path != observation.path)
        continue;
      const std::int64_t id = binding.id;
      const std::string value = reply.payload;
      DeviceRequest put{binding.target_urn, Method::put,          binding.target_path,
                        reply.payload,      reply.content_format, std::nullopt};
      logger.info("binding", {{"id", id},
                              {"source", binding.source_urn + binding.source_path},
                              {"target", binding.target_urn + binding.target_path},
                              {"value", value}});
      start_request(std::move(put), [this, id, value](DeviceReply result) {
        std::string error;
        if (result.failure != DeviceReply::Failure::none) {
          error = result.error;
        } else if (result.code >= 128) {
          error = "the target answered " + coap_code_text(result.code);
        }
        if (!error.empty()) logger.warning("binding failed", {{"id", id}, {"error", error}});
        registry.binding_fired(id, value, error, clock());
      });
    }
  }

  static void on_nack(coap_session_t* session, const coap_pdu_t* sent,
                      const coap_nack_reason_t reason, const coap_mid_t) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    if (!sent) return;
    const std::uint64_t token = token_value(sent);
    self->finished(session, token);
    if (auto it = self->pending.find(token); it != self->pending.end()) {
      DeviceReply reply;
      reply.failure =
          reason == COAP_NACK_RST ? DeviceReply::Failure::refused : DeviceReply::Failure::timeout;
      reply.error = reason == COAP_NACK_RST ? "the device refused the request (RST)"
                                            : "the device did not answer";
      auto done = std::move(it->second.done);
      self->pending.erase(it);
      done(std::move(reply));
    } else if (auto observed = self->observation_of_token.find(token);
               observed != self->observation_of_token.end()) {
      Observation& observation = self->observations_wanted.at(observed->second);
      observation.token = 0;
      observation.session = nullptr;
      self->observation_of_token.erase(observed);
    }
  }

  // --- housekeeping ------------------------------------------------------------

  void housekeeping() {
    half_open.sweep();
    const std::int64_t now = clock();
    if (auto next = directory.next_expiry(); next && *next <= now) {
      for (const Registration& registration : directory.expire(now))
        ended(registration, "expired");
    }
    const std::int64_t now_ms = steady_ms();
    check_silent_sessions(now_ms);
    notify_lookup_observers(now_ms);
    if (now_ms >= next_deadline_check_ms) {
      next_deadline_check_ms = now_ms + 100;
      std::vector<std::pair<std::uint64_t, coap_session_t*>> late;
      for (const auto& [token, entry] : pending) {
        if (entry.deadline_ms <= now_ms) late.emplace_back(token, entry.session);
      }
      for (const auto& [token, session] : late) {
        auto it = pending.find(token);
        if (it == pending.end()) continue;
        DeviceReply reply;
        reply.failure = DeviceReply::Failure::timeout;
        reply.error = "the device did not answer in time";
        auto done = std::move(it->second.done);
        pending.erase(it);
        done(std::move(reply));
        finished(session, token);  // libcoap may still retransmit it; the next one goes out
      }
      observations.expire(now_ms);
      bodies.expire(now_ms);
      for (auto it = simple_registrations.begin(); it != simple_registrations.end();) {
        // Never answered (libcoap dropped the session with its deferred answer).
        if (now_ms - it->second.started_ms > 3 * options.request_timeout.count()) {
          it = simple_registrations.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  // libcoap's coap_io_process() walks every session (idle timers, handshake
  // timers, retransmissions) before it reads one datagram from the endpoint:
  // with thousands of Devices that walk cost more than the request. Here the
  // walk (coap_io_prepare_epoll) runs at most every 20 ms or when libcoap's
  // next timer is due, and everything that arrived is read in between.
  void loop() {
    const int coap_fd = coap_context_get_coap_fd(context);
    if (coap_fd < 0) {  // libcoap without epoll: let it poll, briefly
      while (running.load()) {
        run_jobs();
        coap_io_process(context, 20);
        housekeeping();
        release_sessions();
      }
      return;
    }
    std::int64_t next_walk_ms = 0, last_read_us = 0;
    while (running.load()) {
      const std::int64_t now_ms = steady_ms();
      if (now_ms >= next_walk_ms) {
        coap_tick_t now;
        coap_ticks(&now);
        const unsigned due_in = coap_io_prepare_epoll(context, now);  // 0: no timer
        next_walk_ms = now_ms + std::clamp<std::int64_t>(due_in ? due_in : 1000, 20, 1000);
      }
      // While requests to Devices are out, read at most every `gap`: their
      // answers gather in the socket and one walk serves them all. A walk
      // costs about 0.1 us per session: 1 us of gap per session keeps the
      // walks under a tenth of a core (10 ms with 10,000 Devices).
      const std::int64_t gap =
          std::clamp<std::int64_t>(static_cast<std::int64_t>(session_of_key.size()), 500, 10000);
      const std::int64_t since_read = steady_us() - last_read_us;
      const bool pacing = !in_flight.empty() && since_read < gap;
      const std::int64_t wait_us =
          pacing ? gap - since_read
                 : 1000 * std::clamp<std::int64_t>(next_walk_ms - now_ms, 0,
                                                   pending.empty() ? 500 : 50);
      const timespec timeout{static_cast<time_t>(wait_us / 1000000),
                             static_cast<long>(wait_us % 1000000) * 1000};
      pollfd fds[2] = {{pacing ? -1 : coap_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
      ::ppoll(fds, 2, &timeout, nullptr);
      if (fds[1].revents & POLLIN) {
        std::uint64_t count;
        (void)!::read(wake_fd, &count, sizeof count);
      }
      run_jobs();
      if (pacing && steady_us() - last_read_us < gap) {
        housekeeping();
        continue;
      }
      last_read_us = steady_us();
      // libcoap reads one datagram per endpoint event and then walks every
      // session again: hand it the endpoint's event once per datagram that
      // seems to wait. A guess too high costs a read of an empty socket
      // (EAGAIN, a microsecond); one too low, another walk.
      // While pacing, one round: what arrives meanwhile waits for the next.
      const int rounds = in_flight.empty() ? 4096 : 1;
      for (int round = 0; round < rounds; ++round) {
        epoll_event ready[32];
        const int count = ::epoll_wait(coap_fd, ready, 32, 0);
        if (count <= 0) break;
        std::vector<epoll_event>& events = epoll_events;
        events.assign(ready, ready + count);
        for (int i = 0; i < count; ++i) {
          if (ready[i].data.ptr == nullptr || endpoint_fd < 0) continue;  // libcoap's timer
          const std::size_t more = std::min<std::size_t>(udp_datagrams_waiting(endpoint_fd), 4096);
          for (std::size_t extra = 1; extra < more; ++extra)
            events.push_back(ready[i]);
        }
        coap_io_do_epoll(context, events.data(), events.size());
      }
      housekeeping();
      release_sessions();
    }
    run_jobs();
    for (auto& [token, entry] : pending) {
      DeviceReply reply;
      reply.failure = DeviceReply::Failure::failed;
      reply.error = "the Controller is stopping";
      entry.done(std::move(reply));
    }
    pending.clear();
    observations.release_all();
  }
};

CoapServer::CoapServer(CoapServerOptions options, Registry& registry, Observations& observations,
                       Logger& logger, Clock clock)
    : impl_(std::make_unique<Impl>(std::move(options), registry, observations, logger,
                                   std::move(clock))) {
  // loop() hands libcoap the endpoint's event once per datagram it estimates:
  // a high estimate reads an empty socket (EAGAIN), not worth a log line.
  coaps::start_libcoap(logger, /*spare_reads_expected=*/true);
  if (!coap_dtls_is_supported()) throw StartupError("libcoap was built without DTLS");
  const CoapServerOptions& o = impl_->options;
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->wake_fd < 0) throw StartupError("cannot create an eventfd");

  impl_->context = coap_new_context(nullptr);
  if (!impl_->context) throw StartupError("cannot create a CoAP context");
  coap_set_app_data(impl_->context, impl_.get());
  coap_context_set_max_idle_sessions(impl_->context, o.max_idle_sessions);
  coap_context_set_session_timeout(impl_->context, o.session_timeout);
  coap_context_set_max_handshake_sessions(impl_->context, o.max_handshakes);
  coap_register_event_handler(impl_->context, &Impl::on_event);
  coap_register_response_handler(impl_->context, &Impl::on_response);
  coap_register_nack_handler(impl_->context, &Impl::on_nack);
  coap_register_ping_handler(impl_->context, &Impl::on_ping);

  impl_->identity.load(o.certificate_file, o.private_key_file);
  coaps::use_identity_from_setup(impl_->context, &Impl::on_tls_setup, impl_.get());
  port_ = coaps::listen(impl_->context, o.address, o.port, o.receive_buffer, impl_->logger);
  impl_->endpoint_fd = udp_socket_for_port(port_);

  // The Resource Directory (RFC 9176): registration, simple registration,
  // lookups, and /.well-known/core listing them (served here rather than by
  // libcoap, for its filters and Block2).
  auto add = [&](const char* path, coap_request_t method, coap_method_handler_t handler) {
    coap_resource_t* resource = coap_resource_init(coap_make_str_const(path), 0);
    coap_resource_set_userdata(resource, impl_.get());
    coap_register_request_handler(resource, method, handler);
    coap_add_resource(impl_->context, resource);
    return resource;
  };
  add("rd", COAP_REQUEST_POST, &Impl::on_register);
  add(".well-known/rd", COAP_REQUEST_POST, &Impl::on_simple_registration);
  add(".well-known/core", COAP_REQUEST_GET, &Impl::on_well_known_core);
  impl_->lookup_ep = add("rd-lookup/ep", COAP_REQUEST_GET, &Impl::on_lookup);
  impl_->lookup_res = add("rd-lookup/res", COAP_REQUEST_GET, &Impl::on_lookup);
  coap_resource_set_get_observable(impl_->lookup_ep, 1);
  coap_resource_set_get_observable(impl_->lookup_res, 1);
  impl_->well_known_links = parse_link_format(kWellKnownCore).value();
  // Registration resources (rd/<n>) come and go; the unknown-resource handler serves them.
  coap_resource_t* registrations = coap_resource_unknown_init(&Impl::on_unknown);
  coap_resource_set_userdata(registrations, impl_.get());
  coap_register_request_handler(registrations, COAP_REQUEST_GET, &Impl::on_unknown);
  coap_register_request_handler(registrations, COAP_REQUEST_POST, &Impl::on_unknown);
  coap_register_request_handler(registrations, COAP_REQUEST_DELETE, &Impl::on_unknown);
  coap_add_resource(impl_->context, registrations);
}

CoapServer::~CoapServer() {
  stop();
}

void CoapServer::start() {
  impl_->running = true;
  Impl* impl = impl_.get();
  impl->bindings = impl->registry.bindings();
  for (const Binding& binding : impl->bindings) {
    auto& observation =
        impl->observations_wanted[Observations::key(binding.source_urn, binding.source_path)];
    observation.urn = binding.source_urn;
    observation.path = binding.source_path;
    observation.for_binding = true;
  }
  thread_ = std::thread([impl] { impl->loop(); });
}

void CoapServer::stop() {
  if (!thread_.joinable()) return;
  impl_->running = false;
  impl_->post([] {});
  thread_.join();
}

void CoapServer::request(DeviceRequest request, std::function<void(DeviceReply)> done) {
  Impl* impl = impl_.get();
  impl->post([impl, request = std::move(request), done = std::move(done)]() mutable {
    impl->start_request(std::move(request), std::move(done));
  });
}

void CoapServer::observe(const std::string& urn, const std::string& path) {
  Impl* impl = impl_.get();
  impl->post([impl, urn, path] {
    const std::string key = Observations::key(urn, path);
    auto& observation = impl->observations_wanted[key];
    observation.urn = urn;
    observation.path = path;
    observation.for_api = true;
    if (!observation.session) impl->start_observation(key, observation);
  });
}

void CoapServer::bindings_changed() {
  Impl* impl = impl_.get();
  impl->post([impl] {
    impl->bindings = impl->registry.bindings();
    for (auto& [key, observation] : impl->observations_wanted)
      observation.for_binding = false;
    for (const Binding& binding : impl->bindings) {
      const std::string key = Observations::key(binding.source_urn, binding.source_path);
      auto& observation = impl->observations_wanted[key];
      observation.urn = binding.source_urn;
      observation.path = binding.source_path;
      observation.for_binding = true;
      if (!observation.session) impl->start_observation(key, observation);
    }
  });
}

CoapServer::Stats CoapServer::stats() const {
  return Stats{impl_->registrations.load(), impl_->requests_sent.load(), impl_->replies.load(),
               impl_->notifications.load()};
}

}  // namespace tte::controller
