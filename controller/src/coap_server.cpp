#include "coap_server.hpp"

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "device_requests.hpp"
#include "observation_plan.hpp"
#include "resource_directory.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/host/status.hpp"
#include "tte/platform/coap_options.hpp"
#include "tte/platform/coap_pdu.hpp"
#include "tte/platform/coaps_server.hpp"
#include "tte/platform/startup_error.hpp"
#include "tte/platform/udp_socket.hpp"

// The libcoap adapter: it moves PDUs between libcoap and the pure parts
// (ResourceDirectory for the directory's resources, DeviceRequests for the
// requests to Devices, ObservationPlan for observations and bindings) and
// keeps what only it can know: the DTLS sessions, which one each registered
// Device is reached on, and when each was last heard from.

namespace tte::controller {
namespace {

using coaps::payload_of;
using coaps::query_options;
using coaps::uint_option;
using coaps::uri_path_of;

constexpr long kMaxSendFragment = 1500;

using coaps::remote_address;

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

// What the DTLS layer learnt about the peer of a session (its app data): a
// session has one only once a Device key was admitted.
struct Peer {
  Fingerprint key;                 // the Device's key, or its entry's key for a PSK session
  SessionId id = 0;                // names the session to the pure parts
  std::int64_t last_heard_ms = 0;  // steady clock: the last datagram from it
  bool live = false;               // counted in live_sessions
  std::string psk_identity;        // a DTLS-PSK session's identity (its Dev URN), else empty
  bool handshake_done = false;     // COAP_EVENT_DTLS_CONNECTED came
};

// What the logs name a peer by: its key's fingerprint, or a PSK session's identity.
std::pair<const char*, std::string> peer_name(const Peer& peer) {
  if (!peer.psk_identity.empty()) return {"psk_identity", peer.psk_identity};
  return {"fingerprint", std::string(peer.key.to_string().view())};
}

Peer* peer_of(const coap_session_t* session) {
  return static_cast<Peer*>(coap_session_get_app_data(session));
}

Token token_value(const coap_pdu_t* pdu) {
  coap_bin_const_t token = coap_pdu_get_token(pdu);
  if (token.length != 8) return 0;
  Token value = 0;
  for (std::size_t i = 0; i < 8; ++i)
    value = (value << 8) | token.s[i];
  return value;
}

Token random_token() {
  std::uint8_t random[8];
  coap_prng(random, sizeof random);
  Token value = 0;
  for (std::uint8_t byte : random)
    value = (value << 8) | byte;
  return value;
}

// The request as the ResourceDirectory reads it.
RdRequest read_request(coap_session_t* session, const coap_pdu_t* pdu, std::int64_t now) {
  RdRequest request;
  const coap_pdu_code_t code = coap_pdu_get_code(pdu);
  request.method = code >= 1 && code <= 4 ? static_cast<Method>(code) : Method::get;
  request.path = uri_path_of(pdu);
  request.query = query_options(pdu);
  request.payload = payload_of(pdu);
  request.content_format = uint_option(pdu, COAP_OPTION_CONTENT_FORMAT);
  const coaps::BlockOption block1 = coaps::block_option(pdu, COAP_OPTION_BLOCK1);
  request.block1_valid = block1.valid;
  request.block1 = block1.block;
  if (auto size1 = uint_option(pdu, COAP_OPTION_SIZE1)) request.size1 = *size1;
  coap_opt_iterator_t iterator;
  if (coap_opt_t* tag = coap_check_option(pdu, COAP_OPTION_RTAG, &iterator)) {
    request.request_tag =
        std::string(reinterpret_cast<const char*>(coap_opt_value(tag)), coap_opt_length(tag));
  }
  if (const Peer* peer = peer_of(session)) {
    request.key = peer->key;
    request.session = peer->id;
  }
  request.client = remote_address(session);
  request.now = now;
  request.now_ms = steady_ms();
  return request;
}

void write_answer(coap_pdu_t* response, const coap_pdu_t* request, const RdAnswer& answer) {
  if (answer.non) coap_pdu_set_type(response, COAP_MESSAGE_NON);
  for (const std::string& segment : answer.location_path) {
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, segment.size(),
                    reinterpret_cast<const uint8_t*>(segment.data()));
  }
  if (answer.block1) coap::add_uint_option(response, COAP_OPTION_BLOCK1, *answer.block1);
  if (answer.size1) coap::add_uint_option(response, COAP_OPTION_SIZE1, *answer.size1);
  if (answer.max_age) coap::add_uint_option(response, COAP_OPTION_MAXAGE, *answer.max_age);
  const std::string& body = answer.kept_body ? *answer.kept_body : answer.body;
  if (answer.code >= 128) return coaps::answer_error(response, answer.code, body);
  if (answer.block_wise) {
    return coaps::answer_body(response, request, answer.code, body, answer.content_format,
                              answer.etag);
  }
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(answer.code));
  if (answer.content_format) {
    coap::add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, *answer.content_format);
  }
  if (!body.empty())
    coap_add_data(response, body.size(), reinterpret_cast<const uint8_t*>(body.data()));
}

}  // namespace

struct CoapServer::Impl {
  CoapServerOptions options;
  Registry& registry;
  Observations& observations;
  Logger& logger;
  Clock clock;
  coap_context_t* context = nullptr;
  coaps::ServerTls tls{&Impl::admit, this, kMaxSendFragment};
  coaps::HalfOpenSessions half_open;
  std::atomic<bool> running{false};
  int wake_fd = -1;

  // --- CoAP thread only ---------------------------------------------------
  ResourceDirectory rd;
  DeviceRequests requests{random_token()};
  ObservationPlan plan;
  std::unordered_map<Fingerprint::Bytes, coap_session_t*, KeyHash>
      session_of_key;                       // referenced while registered
  std::vector<coap_session_t*> to_release;  // released after coap_io_process
  // Every DTLS session up now, per key, oldest first (a Device may hold more
  // than one for a while, and anyone with its key may open another).
  std::unordered_map<Fingerprint::Bytes, std::vector<coap_session_t*>, KeyHash> live_sessions;
  std::unordered_map<SessionId, coap_session_t*> session_of_id;
  std::unordered_set<Peer*> peers;  // every session's Peer (its app data), owned here
  SessionId next_peer_id = 0;
  std::int64_t next_silence_check_ms = 0;
  std::int64_t next_deadline_check_ms = 0;
  coap_resource_t* lookup_ep = nullptr;
  coap_resource_t* lookup_res = nullptr;
  std::uint64_t notified_version = 0;
  std::int64_t next_notify_ms = 0;
  int endpoint_fd = -1;                   // the CoAPS endpoint's socket (libcoap's)
  std::vector<epoll_event> epoll_events;  // reused by loop()

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
        half_open(options.half_open, l),
        rd(r, l) {}
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

  // Under the strict policy, a key no Introducer announced fails the handshake.
  static bool admit(void* arg, coap_session_t* session, const Fingerprint& key) {
    auto* self = static_cast<Impl*>(arg);
    if (!self->registry.admits(key)) {
      self->logger.warning("refused", {{"listener", "coaps"},
                                       {"client", remote_address(session)},
                                       {"fingerprint", std::string(key.to_string().view())},
                                       {"reason", "not announced (policy strict)"}});
      return false;
    }
    self->attach_peer(session, key, "");
    return true;
  }

  // The peer a handshake admitted, on its session. A new handshake on a session
  // keeps its id (its requests go on), and a new key there continues no Block1
  // transfer of the old one's.
  void attach_peer(coap_session_t* session, const Fingerprint& key, std::string_view psk_identity) {
    Peer* peer = peer_of(session);
    if (!peer) {
      peer = new Peer{key, ++next_peer_id, steady_ms(), false, std::string(psk_identity)};
      peers.insert(peer);
      session_of_id[peer->id] = session;
      coap_session_set_app_data(session, peer);
    } else if (!(peer->key == key)) {
      rd.forget_session(peer->id);
      peer->key = key;
      peer->psk_identity = std::string(psk_identity);
    }
  }

  // DTLS-PSK (docs/protocol.md §13.3), under either policy: the identity is the
  // URN of a Device an Introducer announced with a PSK; the session then stands
  // for that Device's entry. Anything else fails the handshake.
  static std::size_t psk_for(void* arg, coap_session_t* session, std::string_view identity,
                             std::array<std::uint8_t, 64>& psk) {
    auto* self = static_cast<Impl*>(arg);
    auto found = self->registry.psk_session(identity);
    if (!found) {
      self->logger.warning("refused", {{"listener", "coaps"},
                                       {"client", remote_address(session)},
                                       {"psk_identity", coaps::printable_identity(identity)},
                                       {"reason", "no Device announced with this PSK identity"}});
      return 0;
    }
    self->attach_peer(session, found->key, identity);
    std::memcpy(psk.data(), found->psk.data(), found->psk.size());
    return found->psk.size();
  }

  static int on_event(coap_session_t* session, const coap_event_t event) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    self->half_open.on_event(session, event);
    Peer* peer = peer_of(session);
    switch (event) {
      case COAP_EVENT_DTLS_CONNECTED:
        if (peer) {
          peer->handshake_done = true;
          self->registry.joined(peer->key, self->clock());
          self->touch(session);
          auto [name, value] = peer_name(*peer);
          self->logger.info(
              "joined",
              {{"listener", "coaps"}, {"client", remote_address(session)}, {name, value}});
        }
        break;
      case COAP_EVENT_DTLS_CLOSED:
      case COAP_EVENT_DTLS_ERROR:
      case COAP_EVENT_SESSION_CLOSED:
        if (peer) self->session_gone(session, *peer);
        break;
      case COAP_EVENT_SERVER_SESSION_DEL:
        if (peer) {
          // A wrong PSK fails the Finished check, which DTLS answers with silence:
          // the one trace of it is a known identity that never completed.
          if (!peer->handshake_done && !peer->psk_identity.empty()) {
            self->logger.warning(
                "refused", {{"listener", "coaps"},
                            {"client", remote_address(session)},
                            {"psk_identity", peer->psk_identity},
                            {"reason", "the DTLS-PSK handshake did not complete (a wrong PSK?)"}});
          }
          self->session_gone(session, *peer);
          self->session_of_id.erase(peer->id);
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

  // --- sessions --------------------------------------------------------------

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
  void session_gone(coap_session_t* session, Peer& peer) {
    const Fingerprint key = peer.key;
    rd.forget_session(peer.id);
    peer.live = false;
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
    for (Token token : plan.session_ended(peer.id))
      requests.forget(token);
    requests.session_ended(peer.id);
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
    std::vector<coap_session_t*> silent;
    for (const auto& [bytes, session] : session_of_key) {
      Peer* peer = peer_of(session);
      if (peer && now_ms - peer->last_heard_ms > limit_ms) silent.push_back(session);
    }
    for (coap_session_t* session : silent) {
      Peer* peer = peer_of(session);
      logger.info("session silent",
                  {{"client", remote_address(session)},
                   {"fingerprint", std::string(peer->key.to_string().view())},
                   {"seconds", static_cast<std::int64_t>(options.session_timeout)}});
      session_gone(session, *peer);
    }
  }

  void release_sessions() {
    std::vector<coap_session_t*> sessions;
    sessions.swap(to_release);
    for (coap_session_t* session : sessions)
      coap_session_release(session);
  }

  // The session a registered Device is reached on; nullptr with the reason in `failure`.
  coap_session_t* session_of_urn(const std::string& urn, DeviceReply& failure) {
    const Registration* registration = rd.directory().find_endpoint(urn);
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

  // --- the Resource Directory: PDUs in and out of ResourceDirectory --------------

  // What the directory's answer asks of the sessions.
  void apply(coap_session_t* session, const RdEffects& effects) {
    if (effects.hold_session && session) {
      if (Peer* peer = peer_of(session)) hold_session(peer->key, session);
    }
    for (const Fingerprint& key : effects.release_sessions)
      drop_session(key);
    for (const std::string& urn : effects.endpoints_gone) {
      for (Token token : plan.endpoint_gone(urn))
        requests.forget(token);
    }
    if (effects.registered) {
      for (const std::string& key :
           plan.of_endpoint(*effects.registered, effects.observations_except))
        start_observation(key);
    }
    registrations = rd.size();
  }

  static void on_directory(coap_resource_t* resource, coap_session_t* session,
                           const coap_pdu_t* request, const coap_string_t*, coap_pdu_t* response) {
    static_cast<Impl*>(coap_resource_get_userdata(resource))
        ->handle_directory(session, request, response);
  }

  void handle_directory(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response) {
    touch(session);
    const RdRequest parsed = read_request(session, request, clock());
    coap_async_t* async = parsed.path == ".well-known/rd"
                              ? coap_find_async(session, coap_pdu_get_token(request))
                              : nullptr;
    if (async) {  // the second call of a simple registration: the links are in
      const RdAnswer answer =
          rd.finish_simple_registration(reinterpret_cast<std::uintptr_t>(async), parsed);
      write_answer(response, request, answer);
      return apply(session, answer.effects);
    }
    RdAnswer answer = rd.handle(parsed);
    if (answer.fetch_links) return defer_simple_registration(session, request, response, answer);
    write_answer(response, request, answer);
    apply(session, answer.effects);
  }

  // POST /.well-known/rd?ep=.. (RFC 9176 section 5.1): the links come from the
  // endpoint's /.well-known/core, read over its own session; the POST is
  // answered (separately: libcoap sends the empty ACK) once they are in.
  void defer_simple_registration(coap_session_t* session, const coap_pdu_t* request,
                                 coap_pdu_t* response, RdAnswer& answer) {
    coap_async_t* async = coap_register_async(session, request, 0);
    if (!async) {
      return coaps::answer_error(response, coap_code::internal_error, "cannot defer the answer");
    }
    const auto exchange = reinterpret_cast<std::uintptr_t>(async);
    rd.await_links(exchange, std::move(*answer.fetch_links), steady_ms());
    const SessionId id = peer_of(session)->id;
    const Token token = requests.new_token();
    send(id, requests.submit(
                 id, ResourceDirectory::well_known_core_request(token),
                 [this, async, exchange](DeviceReply reply) {
                   if (rd.links_fetched(exchange, reply)) coap_async_trigger(async);
                 },
                 steady_ms() + options.request_timeout.count()));
  }

  // Observers of the lookups hear of changes at most once a second.
  void notify_lookup_observers(std::int64_t now_ms) {
    if (rd.version() == notified_version || now_ms < next_notify_ms) return;
    notified_version = rd.version();
    next_notify_ms = now_ms + 1000;
    coap_resource_notify_observers(lookup_ep, nullptr);
    coap_resource_notify_observers(lookup_res, nullptr);
  }

  static void on_ping(coap_session_t* session, const coap_pdu_t*, const coap_mid_t) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    self->touch(session);
    if (Peer* peer = peer_of(session)) self->registry.seen(peer->key, self->clock());
  }

  // --- requests to Devices: PDUs out of DeviceRequests, answers back in ----------

  bool transmit(coap_session_t* session, const OutgoingRequest& out) {
    coap_pdu_t* pdu =
        coap_pdu_init(COAP_MESSAGE_CON, static_cast<coap_pdu_code_t>(out.method),
                      coap_new_message_id(session), coap_session_max_pdu_size(session));
    if (!pdu) return false;
    std::uint8_t token_bytes[8];
    for (int i = 0; i < 8; ++i)
      token_bytes[i] = static_cast<std::uint8_t>(out.token >> (56 - 8 * i));
    coap_add_token(pdu, sizeof token_bytes, token_bytes);
    if (out.observe) coap::add_uint_option(pdu, COAP_OPTION_OBSERVE, 0);
    coap::add_path(pdu, out.path.c_str());
    if (out.content_format)
      coap::add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, *out.content_format);
    if (out.accept) coap::add_uint_option(pdu, COAP_OPTION_ACCEPT, *out.accept);
    if (!out.payload.empty()) {
      coap_add_data(pdu, out.payload.size(), reinterpret_cast<const uint8_t*>(out.payload.data()));
    }
    if (coap_send(session, pdu) == COAP_INVALID_MID) return false;
    ++requests_sent;
    return true;
  }

  // Sends what DeviceRequests says goes out next on a session; a request
  // that cannot be sent fails, and the one after it goes instead.
  void send(SessionId id, std::optional<OutgoingRequest> next) {
    while (next) {
      auto session = session_of_id.find(id);
      if (session != session_of_id.end() && transmit(session->second, *next)) return;
      const Token token = next->token;
      next = requests.finished(id, token);
      fail(token, DeviceReply::Failure::failed, "the request could not be sent");
    }
  }

  // A request's or an observation's exchange failed.
  void fail(Token token, DeviceReply::Failure failure, const char* error) {
    if (!requests.answer(token, failed_reply(failure, error))) plan.stopped(token);
  }

  void start_request(DeviceRequest request, std::function<void(DeviceReply)> done) {
    DeviceReply failure;
    coap_session_t* session = session_of_urn(request.urn, failure);
    if (!session) return done(std::move(failure));
    const SessionId id = peer_of(session)->id;
    const Token token = requests.new_token();
    send(id, requests.submit(id,
                             OutgoingRequest{token, request.method, std::move(request.path),
                                             std::move(request.payload), request.content_format,
                                             request.accept, false},
                             std::move(done), steady_ms() + options.request_timeout.count()));
  }

  void start_observation(const std::string& key) {
    const WantedObservation* wanted = plan.find(key);
    if (!wanted) return;
    DeviceReply failure;
    coap_session_t* session = session_of_urn(wanted->urn, failure);
    if (!session) return;
    const SessionId id = peer_of(session)->id;
    const Token token = requests.new_token();
    const std::string path = wanted->path;
    if (Token replaced = plan.started(key, token, id)) requests.forget(replaced);
    send(id, requests.submit_observation(id, OutgoingRequest{token, Method::get, path, "",
                                                             std::nullopt, std::nullopt, true}));
  }

  static coap_response_t on_response(coap_session_t* session, const coap_pdu_t*,
                                     const coap_pdu_t* received, const coap_mid_t) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    return self->handle_response(session, received);
  }

  coap_response_t handle_response(coap_session_t* session, const coap_pdu_t* received) {
    const Token token = token_value(received);
    touch(session);
    Peer* peer = peer_of(session);
    if (peer) registry.seen(peer->key, clock());
    DeviceReply reply;
    reply.code = coap_pdu_get_code(received);
    reply.content_format = uint_option(received, COAP_OPTION_CONTENT_FORMAT);
    reply.payload = payload_of(received);
    const coaps::BlockOption block2 = coaps::block_option(received, COAP_OPTION_BLOCK2);
    if (block2.block && (block2.block->more || block2.block->num != 0)) {
      reply.failure = DeviceReply::Failure::failed;
      reply.error = "the device answered block-wise (Block2), which the Controller does not fetch";
    }
    const SessionId id = peer ? peer->id : 0;
    send(id, requests.finished(id, token));
    if (requests.awaits(token)) {
      ++replies;
      requests.answer(token, std::move(reply));
      return COAP_RESPONSE_OK;
    }
    const std::string* observed = plan.key_of(token);
    if (!observed) return COAP_RESPONSE_FAIL;  // RST: cancels a stale observation
    const std::string key = *observed;
    const bool still_observing =
        uint_option(received, COAP_OPTION_OBSERVE).has_value() && reply.code < 128;
    if (!still_observing) plan.stopped(token);
    if (reply.failure == DeviceReply::Failure::none && reply.code >= 64 && reply.code < 128)
      notify(key, reply);
    return COAP_RESPONSE_OK;
  }

  // A new value of an observed resource: to the API's long polls and to bindings.
  void notify(const std::string& key, const DeviceReply& reply) {
    ++notifications;
    const std::int64_t now = clock();
    observations.publish(key,
                         Notification{0, now, reply.code, reply.content_format, reply.payload});
    for (BindingPut& put : plan.fired_by(key, reply)) {
      const std::int64_t id = put.id;
      const std::string value = put.request.payload;
      logger.info("binding",
                  {{"id", id}, {"source", put.source}, {"target", put.target}, {"value", value}});
      start_request(std::move(put.request), [this, id, value](DeviceReply result) {
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
    const Token token = token_value(sent);
    Peer* peer = peer_of(session);
    const SessionId id = peer ? peer->id : 0;
    self->send(id, self->requests.finished(id, token));
    if (reason == COAP_NACK_RST) {
      self->fail(token, DeviceReply::Failure::refused, "the device refused the request (RST)");
    } else {
      self->fail(token, DeviceReply::Failure::timeout, "the device did not answer");
    }
  }

  // --- housekeeping ------------------------------------------------------------

  void housekeeping() {
    half_open.sweep();
    const std::int64_t now_ms = steady_ms();
    check_silent_sessions(now_ms);
    if (now_ms >= next_deadline_check_ms) {
      next_deadline_check_ms = now_ms + 100;
      for (auto& [id, next] : requests.expire(now_ms))
        send(id, std::move(next));
      observations.expire(now_ms);
      apply(nullptr, rd.expire(clock(), now_ms, 3 * options.request_timeout.count()));
    }
    notify_lookup_observers(now_ms);
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
      const bool pacing = requests.any_in_flight() && since_read < gap;
      const std::int64_t wait_us =
          pacing ? gap - since_read
                 : 1000 * std::clamp<std::int64_t>(next_walk_ms - now_ms, 0,
                                                   requests.any_waiting_for_answer() ? 50 : 500);
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
      const int rounds = requests.any_in_flight() ? 1 : 4096;
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
    requests.stop();
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

  impl_->tls.install(impl_->context, o.certificate_file, o.private_key_file);
  impl_->tls.enable_psk(impl_->context, &Impl::psk_for, impl_.get());
  port_ = coaps::listen(impl_->context, o.address, o.port, o.receive_buffer, impl_->logger);
  impl_->endpoint_fd = udp_socket_for_port(port_);

  // The Resource Directory (RFC 9176): registration, simple registration,
  // lookups, and /.well-known/core listing them (served here rather than by
  // libcoap, for its filters and Block2). All go to ResourceDirectory.
  auto add = [&](const char* path, coap_request_t method) {
    coap_resource_t* resource = coap_resource_init(coap_make_str_const(path), 0);
    coap_resource_set_userdata(resource, impl_.get());
    coap_register_request_handler(resource, method, &Impl::on_directory);
    coap_add_resource(impl_->context, resource);
    return resource;
  };
  add("rd", COAP_REQUEST_POST);
  add(".well-known/rd", COAP_REQUEST_POST);
  add(".well-known/core", COAP_REQUEST_GET);
  impl_->lookup_ep = add("rd-lookup/ep", COAP_REQUEST_GET);
  impl_->lookup_res = add("rd-lookup/res", COAP_REQUEST_GET);
  coap_resource_set_get_observable(impl_->lookup_ep, 1);
  coap_resource_set_get_observable(impl_->lookup_res, 1);
  // Registration resources (rd/<n>) come and go; the unknown-resource handler serves them.
  coap_resource_t* registrations = coap_resource_unknown_init(&Impl::on_directory);
  coap_resource_set_userdata(registrations, impl_.get());
  coap_register_request_handler(registrations, COAP_REQUEST_GET, &Impl::on_directory);
  coap_register_request_handler(registrations, COAP_REQUEST_POST, &Impl::on_directory);
  coap_register_request_handler(registrations, COAP_REQUEST_DELETE, &Impl::on_directory);
  coap_add_resource(impl_->context, registrations);
}

CoapServer::~CoapServer() {
  stop();
}

void CoapServer::start() {
  impl_->running = true;
  Impl* impl = impl_.get();
  // Not running yet, no Device is registered: the observations start as they register.
  (void)impl->plan.set_bindings(impl->registry.bindings());
  thread_ = std::thread([impl] { impl->loop(); });
}

void CoapServer::stop() {
  if (!thread_.joinable()) return;
  impl_->running = false;
  impl_->post([] {});
  thread_.join();
}

// Message 12 (docs/protocol.md §9): the Controller's requests to a Device's
// resources, over the Device's own session (Impl::start_request, transmit).
void CoapServer::request(DeviceRequest request, std::function<void(DeviceReply)> done) {
  Impl* impl = impl_.get();
  impl->post([impl, request = std::move(request), done = std::move(done)]() mutable {
    impl->start_request(std::move(request), std::move(done));
  });
}

void CoapServer::observe(const std::string& urn, const std::string& path) {
  Impl* impl = impl_.get();
  impl->post([impl, urn, path] {
    if (auto key = impl->plan.want_for_api(urn, path)) impl->start_observation(*key);
  });
}

void CoapServer::bindings_changed() {
  Impl* impl = impl_.get();
  impl->post([impl] {
    for (const std::string& key : impl->plan.set_bindings(impl->registry.bindings()))
      impl->start_observation(key);
  });
}

CoapServer::Stats CoapServer::stats() const {
  return Stats{impl_->registrations.load(), impl_->requests_sent.load(), impl_->replies.load(),
               impl_->notifications.load()};
}

}  // namespace tte::controller
