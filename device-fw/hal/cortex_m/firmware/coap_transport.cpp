#include "coap_transport.hpp"

#include <cstdio>
#include <cstring>

#include "board_random.hpp"
#include "clock.hpp"
#include "mbedtls/sha256.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#include "network.hpp"
#include "tte/device/coap_pdu.hpp"

namespace tte::device::mps2 {
namespace {

// Any name: Mbed TLS 3.6 insists on one to check the certificate against, and
// libcoap's certificate callback ignores the mismatch (the key is what counts).
[[maybe_unused]] char kPeerName[] = "tte-peer";

CoapTransport* g_transport = nullptr;

bool address_of(const ControllerAddress& peer, coap_address_t* address) {
  const ByteView ip = peer.ip.bytes();
  if (ip.size() != 4) return false;  // the firmware's lwIP is IPv4 only
  coap_address_init(address);
  IP4_ADDR(ip_2_ip4(&address->addr), ip[0], ip[1], ip[2], ip[3]);
  address->port = peer.port;
  return true;
}

// SHA-256 over the certificate's SubjectPublicKeyInfo: the fingerprint TTE pins
// (docs/protocol.md §2.5), the same bytes whatever the certificate around them.
[[maybe_unused]] bool fingerprint_of(const mbedtls_x509_crt& certificate,
                                     Fingerprint* fingerprint) {
  const mbedtls_x509_buf& spki = certificate.pk_raw;
  Fingerprint::Bytes digest{};
  if (!spki.p || mbedtls_sha256(spki.p, spki.len, digest.data(), 0) != 0) return false;
  *fingerprint = Fingerprint(digest);
  return true;
}

}  // namespace

bool CoapTransport::start(const Keys& keys, Profile profile, Events& events) {
  keys_ = keys;
  events_ = &events;
  g_transport = this;
  coap_startup();
  coap_set_log_handler(&CoapTransport::on_log);
  coap_set_log_level(COAP_LOG_WARN);
  coap_dtls_set_log_level(COAP_LOG_WARN);
  context_ = coap_new_context(nullptr);
  if (!context_) return false;
  coap_lwip_set_input_wait_handler(context_, &CoapTransport::wait_for_input, this);
  coap_register_response_handler(context_, &CoapTransport::on_response);
  coap_register_nack_handler(context_, &CoapTransport::on_nack);
  coap_register_event_handler(context_, &CoapTransport::on_event);
  // Keep the NAT binding to the Controller open (docs/protocol.md section 9).
  coap_context_set_keepalive(context_, 25);
  // The profile's one resource, reached by the Controller over the Device's own session.
  resource_ = coap_pdu::add_profile_resource(context_, profile, &CoapTransport::on_request);
  if (!resource_) return false;
  return true;
}

bool CoapTransport::open(const ControllerAddress& peer, const SessionKeys& keys, const char* urn,
                         Purpose purpose) {
  close();
  pin_ = keys.pin;
  psk_session_ = keys.use_psk;
  pin_refused_ = false;
  peer_alerted_ = false;
  connected_ = false;
  failed_ = false;
  answered_ = false;
  purpose_ = purpose;
  opened_micros_ = clock().micros();
  opened_idle_micros_ = clock().idle_micros();
  deadline_ = clock().now() + kHandshakeDeadline;

  coap_address_t address;
  if (!address_of(peer, &address)) return false;
  if (keys.use_psk) {
    // DTLS-PSK (docs/protocol.md §13.3): identity = the Dev URN. The Finished
    // messages prove the peer holds the PSK: nothing to pin. libcoap keeps
    // pointers to the identity and key until the handshake is done.
    std::size_t length = std::strlen(urn);
    if (length >= sizeof psk_identity_) return false;
    std::memcpy(psk_identity_, urn, length + 1);
    psk_ = keys.psk;
    coap_dtls_cpsk_t setup{};
    setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
    setup.psk_info.identity.s = reinterpret_cast<const std::uint8_t*>(psk_identity_);
    setup.psk_info.identity.length = length;
    setup.psk_info.key.s = psk_.data();
    setup.psk_info.key.length = psk_.size();
    session_ = coap_new_client_session_psk2(context_, nullptr, &address, COAP_PROTO_DTLS, &setup);
    return session_ != nullptr;
  }
  if (keys_.private_key.empty()) return false;  // a PSK Device has no certificate to show
#ifdef TTE_FIRMWARE_PSK_ONLY
  return false;  // the PSK-only image has no certificate sessions (docs/device.md)
#else
  // The handshake verifies the peer's certificate (verify_peer_cert) so that
  // libcoap's callback sees it (on_certificate, where the pin is checked).
  // Mbed TLS verifies only against a CA; the Device's own certificate stands in
  // as one, which no peer's certificate chains to. libcoap calls the callback
  // only for a certificate Mbed TLS flagged, so the pin is checked once more
  // when the session is up (session_up), whatever happened in the handshake.
  coap_dtls_pki_t pki = coap_pdu::pinned_peer_pki();
  pki.validate_cn_call_back = &CoapTransport::on_certificate;
  pki.cn_call_back_arg = this;
  pki.client_sni = kPeerName;
  pki.pki_key.key_type = COAP_PKI_KEY_DEFINE;
  coap_pki_key_define_t& define = pki.pki_key.key.define;
  define.ca.u_byte = keys_.certificate.data();
  define.ca_len = keys_.certificate.size();
  define.ca_def = COAP_PKI_KEY_DEF_DER_BUF;
  define.public_cert.u_byte = keys_.certificate.data();
  define.public_cert_len = keys_.certificate.size();
  define.public_cert_def = COAP_PKI_KEY_DEF_DER_BUF;
  define.private_key.u_byte = keys_.private_key.data();
  define.private_key_len = keys_.private_key.size();
  define.private_key_def = COAP_PKI_KEY_DEF_DER_BUF;
  define.private_key_type = COAP_ASN1_PKEY_EC;

  session_ = coap_new_client_session_pki(context_, nullptr, &address, COAP_PROTO_DTLS, &pki);
  return session_ != nullptr;
#endif
}

void CoapTransport::close() {
  if (session_) {
    // Disconnected first: libcoap drops the session's observers (the Controller's
    // observations hold it) and its messages in flight, which would otherwise keep
    // it and its DTLS state (~10 KB of heap) alive past its release. Never called
    // from inside a libcoap callback: the Device reacts from process().
    coap_session_t* session = session_;
    session_ = nullptr;  // what the disconnection reports is about no session of ours
    coap_session_disconnected(session, COAP_NACK_NOT_DELIVERABLE);
    coap_session_release(session);
  }
  purpose_ = Purpose::none;
  pending_ = Pending::none;
  connected_ = false;
  failed_ = false;
  answered_ = false;
}

void CoapTransport::ask_mothership(const ControllerAddress& mothership, const SessionKeys& keys,
                                   const char* urn) {
  std::size_t length = std::strlen(urn);
  if (length + 5 > sizeof query_) length = sizeof query_ - 5;  // a URN is at most 63 characters
  std::memcpy(query_, "urn=", 4);
  std::memcpy(query_ + 4, urn, length);
  query_[4 + length] = '\0';
  // The query goes out once the session is up and the MotherShip's key checked.
  if (!open(mothership, keys, urn, Purpose::mothership)) failed_ = true;
  pending_ = Pending::query;
}

void CoapTransport::open_controller(const ControllerAddress& controller, const SessionKeys& keys,
                                    const char* urn) {
  if (!open(controller, keys, urn, Purpose::controller)) failed_ = true;
}

coap_pdu_t* CoapTransport::request(coap_pdu_code_t code, const char* path) {
  if (!session_ || !connected_) return nullptr;
  coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(session_),
                                  coap_session_max_pdu_size(session_));
  if (pdu) coap_pdu::add_path(pdu, path);
  return pdu;
}

bool CoapTransport::send(coap_pdu_t* pdu, Pending pending) {
  pending_ = pending;
  answered_ = false;
  deadline_ = clock().now() + kRequestDeadline;
  if (!pdu || coap_send(session_, pdu) == COAP_INVALID_MID) {
    failed_ = true;
    return false;
  }
  return true;
}

void CoapTransport::register_endpoint(const char* urn, std::uint32_t lifetime, const char* links) {
  coap_pdu_t* pdu = request(COAP_REQUEST_CODE_POST, "rd");
  if (pdu) {
    coap_pdu::add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_pdu::kContentFormatLinkFormat);
    char ep[80] = "ep=";
    std::strncat(ep, urn, sizeof ep - 4);
    coap_pdu::add_text_option(pdu, COAP_OPTION_URI_QUERY, ep);
    char lt[16];
    std::snprintf(lt, sizeof lt, "lt=%lu", static_cast<unsigned long>(lifetime));
    coap_pdu::add_text_option(pdu, COAP_OPTION_URI_QUERY, lt);
    coap_add_data(pdu, std::strlen(links), reinterpret_cast<const std::uint8_t*>(links));
  }
  send(pdu, Pending::registration);
}

void CoapTransport::renew_registration(const char* location) {
  send(request(COAP_REQUEST_CODE_POST, location), Pending::renewal);
}

void CoapTransport::notify_observers(const char*) {
  if (resource_) coap_resource_notify_observers(resource_, nullptr);
}

#ifdef TTE_FIRMWARE_PSK_ONLY
// Never called: every session of the PSK-only image is a PSK session.
bool CoapTransport::peer_matches_pin() {
  return false;
}
int CoapTransport::on_certificate(const char*, const std::uint8_t*, std::size_t, coap_session_t*,
                                  unsigned, int, void*) {
  return 0;
}
#else
bool CoapTransport::peer_matches_pin() {
  coap_tls_library_t library;
  auto* ssl = static_cast<mbedtls_ssl_context*>(coap_session_get_tls(session_, &library));
  if (!ssl || library != COAP_TLS_LIBRARY_MBEDTLS) return false;
  const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(ssl);
  Fingerprint fingerprint;
  return peer && fingerprint_of(*peer, &fingerprint) && fingerprint.matches(pin_);
}

// Called by libcoap (Mbed TLS's verification) during the handshake, with the
// peer's certificate: the pin decides. A refusal fails the handshake.
int CoapTransport::on_certificate(const char*, const std::uint8_t* der, std::size_t der_length,
                                  coap_session_t*, unsigned depth, int, void* arg) {
  auto* self = static_cast<CoapTransport*>(arg);
  bool matches = false;
  if (depth == 0) {  // TTE's peers present one self-signed certificate
    mbedtls_x509_crt certificate;
    mbedtls_x509_crt_init(&certificate);
    Fingerprint fingerprint;
    matches = mbedtls_x509_crt_parse_der_nocopy(&certificate, der, der_length) == 0 &&
              fingerprint_of(certificate, &fingerprint) && fingerprint.matches(self->pin_);
    mbedtls_x509_crt_free(&certificate);
  }
  if (!matches) self->pin_refused_ = true;
  return matches ? 1 : 0;
}
#endif

void CoapTransport::session_up() {
  // Checked once more now that the session is up, before anything is sent on it
  // (a PSK session's peer proved itself with the PSK).
  if (!psk_session_ && !peer_matches_pin()) {
    pin_refused_ = true;
    failed_ = true;
    return;
  }
  connected_ = true;
  const std::uint64_t elapsed = clock().micros() - opened_micros_;
  board_random().mix(elapsed);
  const std::uint64_t idle = clock().idle_micros() - opened_idle_micros_;
  coap_tls_library_t library;
  auto* ssl = static_cast<mbedtls_ssl_context*>(coap_session_get_tls(session_, &library));
  events_->line("handshake")
      .field("peer", purpose_ == Purpose::mothership ? "mothership" : "controller")
      .field("ms", elapsed / 1000)
      .field("busy_us", elapsed - idle)
      .field("suite", ssl ? mbedtls_ssl_get_ciphersuite(ssl) : "")
      .write_to(console());
  if (purpose_ == Purpose::mothership) {
    coap_pdu_t* pdu = request(COAP_REQUEST_CODE_GET, ".well-known/tte");
    if (pdu) {
      coap_pdu::add_text_option(pdu, COAP_OPTION_URI_QUERY, query_);
      coap_pdu::add_uint_option(pdu, COAP_OPTION_ACCEPT, kContentFormatCbor);
    }
    send(pdu, Pending::query);
    return;
  }
  if (device_) device_->on_controller_session(clock().now(), SessionOutcome::up);
}

void CoapTransport::fail() {
  const Pending pending = pending_;
  failed_ = false;
  pending_ = Pending::none;
  const Failure failure = pin_refused_    ? Failure::wrong_key
                          : peer_alerted_ ? Failure::refused
                                          : Failure::no_answer;
  if (device_) report_failure(*device_, clock().now(), purpose_, connected_, pending, failure);
}

void CoapTransport::process(unsigned wait_ms) {
  coap_io_process(context_, wait_ms);
  const Millis now = clock().now();
  // libcoap raises no "connected" event for an Mbed TLS client: the session's state tells.
  if (session_ && !connected_ && !failed_ &&
      coap_session_get_state(session_) == COAP_SESSION_STATE_ESTABLISHED) {
    session_up();
  }
  if (session_ && !failed_ && (pending_ != Pending::none || !connected_) && now >= deadline_)
    failed_ = true;
  if (failed_) {
    fail();
  } else if (answered_) {
    answered_ = false;
    const Pending pending = pending_;
    pending_ = Pending::none;
    CoapAnswer answer;
    answer.code = code_;
    answer.max_age = max_age_;
    answer.payload = ByteView(payload_, payload_size_);
    answer.location = location_;
    if (device_) report_answer(*device_, now, pending, answer);
  }
}

coap_response_t CoapTransport::on_response(coap_session_t* session, const coap_pdu_t*,
                                           const coap_pdu_t* received, coap_mid_t) {
  CoapTransport* self = g_transport;
  if (!self || session != self->session_ || self->pending_ == Pending::none)
    return COAP_RESPONSE_OK;
  self->code_ = static_cast<std::uint8_t>(coap_pdu_get_code(received));
  self->max_age_ = coap_pdu::max_age_of(received);
  std::size_t size = 0;
  const std::uint8_t* data = nullptr;
  self->payload_size_ = 0;
  if (coap_get_data(received, &size, &data) && data && size <= sizeof self->payload_) {
    std::memcpy(self->payload_, data, size);
    self->payload_size_ = size;
  } else if (size > sizeof self->payload_) {
    self->code_ = 0;  // larger than any answer TTE sends: not an answer
  }
  coap_pdu::location_of(received, self->location_, sizeof self->location_);
  self->answered_ = true;
  return COAP_RESPONSE_OK;
}

void CoapTransport::on_nack(coap_session_t* session, const coap_pdu_t*, coap_nack_reason_t,
                            coap_mid_t) {
  CoapTransport* self = g_transport;
  if (self && session == self->session_ && self->pending_ != Pending::none) self->failed_ = true;
}

int CoapTransport::on_event(coap_session_t* session, coap_event_t event) {
  CoapTransport* self = g_transport;
  if (!self || session != self->session_) return 0;
  switch (event) {
    case COAP_EVENT_DTLS_CLOSED:
    case COAP_EVENT_DTLS_ERROR:
    case COAP_EVENT_SESSION_FAILED:
    case COAP_EVENT_KEEPALIVE_FAILURE:
      self->failed_ = true;
      break;
    default:
      break;
  }
  return 0;
}

void CoapTransport::on_request(coap_resource_t* resource, coap_session_t* session,
                               const coap_pdu_t* request, const coap_string_t*,
                               coap_pdu_t* response) {
  CoapTransport* self = g_transport;
  if (!self || !self->device_ || session != self->session_ || !self->connected_ ||
      self->purpose_ != Purpose::controller) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
    return;
  }
  coap_pdu::serve(*self->device_, clock().now(), resource, request, response);
}

// libcoap's warnings and errors (a DTLS alert, a refused certificate) as console
// events. A fatal alert from the peer is also how the transport learns that a
// handshake was refused rather than unanswered: libcoap 4.3.5's Mbed TLS
// backend reports both as the same event, and logs "Alert '<n>'" for the first.
void CoapTransport::on_log(coap_log_t level, const char* message) {
  CoapTransport* self = g_transport;
  if (!self || !self->events_) return;
  char text[160];
  std::size_t n = 0;
  for (; message[n] && n + 1 < sizeof text; ++n)
    text[n] = message[n];
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
    --n;
  text[n] = '\0';
  if (self->session_ && std::strstr(text, "Alert '")) self->peer_alerted_ = true;
  self->events_->line("libcoap")
      .field("level", level <= COAP_LOG_ERR ? "error" : "warning")
      .field("text", text)
      .write_to(console());
}

// libcoap's wait for input (NO_SYS): receive what the network has, sleep until
// the next tick when nothing came, until the timeout or the first frame.
int CoapTransport::wait_for_input(void*, std::uint32_t timeout_ms) {
  const Millis until = clock().now() + timeout_ms;
  while (true) {
    if (network().poll() > 0) return 0;
    if (clock().now() >= until) return 0;
    clock().idle();
  }
}

}  // namespace tte::device::mps2
