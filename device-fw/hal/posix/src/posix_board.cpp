#include "posix_board.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "tte/device/coap_pdu.hpp"
#include "tte/device/nv_record.hpp"
#include "tte/host/fingerprint.hpp"

namespace tte::device::posix {
namespace {

coap_address_t address_of(const ControllerAddress& peer) {
  coap_address_t address;
  coap_address_init(&address);
  const ByteView ip = peer.ip.bytes();
  if (ip.size() == 4) {
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(peer.port);
    std::memcpy(&address.addr.sin.sin_addr, ip.data(), 4);
    address.size = sizeof address.addr.sin;
  } else {
    address.addr.sin6.sin6_family = AF_INET6;
    address.addr.sin6.sin6_port = htons(peer.port);
    std::memcpy(&address.addr.sin6.sin6_addr, ip.data(), 16);
    address.size = sizeof address.addr.sin6;
  }
  return address;
}

CoapTransport* transport_of(const coap_session_t* session) {
  return static_cast<CoapTransport*>(coap_session_get_app_data(session));
}

}  // namespace

// --- FileStorage ---------------------------------------------------------------

FileStorage::FileStorage(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  ::fstat(fd_, &st);
  if (st.st_size < static_cast<off_t>(NvRecord::kStorageSize)) {
    std::uint8_t erased[NvRecord::kStorageSize];
    std::memset(erased, 0xff, sizeof erased);
    const off_t from = st.st_size;
    if (::pwrite(fd_, erased, sizeof erased - static_cast<std::size_t>(from), from) < 0 ||
        ::fsync(fd_) != 0) {
      throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
    }
  }
}

FileStorage::~FileStorage() {
  if (fd_ >= 0) ::close(fd_);
}

bool FileStorage::read(std::size_t offset, MutableByteView out) {
  const ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset));
  return n == static_cast<ssize_t>(out.size());
}

bool FileStorage::write(std::size_t offset, ByteView bytes) {
  const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
  return n == static_cast<ssize_t>(bytes.size()) && ::fdatasync(fd_) == 0;
}

std::int32_t SimulatedThermometer::centi_celsius() {
  const double minutes = static_cast<double>(clock_()) / 60000.0;
  return static_cast<std::int32_t>(std::lround(2150.0 + 150.0 * std::sin(minutes / 10.0 * 6.2832)));
}

// --- CoapTransport ---------------------------------------------------------------

CoapTransport::CoapTransport(CoapNetwork& network, DeviceKeys keys)
    : network_(network), keys_(std::move(keys)) {}

CoapTransport::~CoapTransport() {
  close();
}

coap_session_t* CoapTransport::open(const ControllerAddress& peer, const SessionKeys& keys,
                                    const char* urn, Purpose purpose) {
  close();
  pin_ = keys.pin;
  psk_session_ = keys.use_psk;
  pin_refused_ = false;
  connected_ = false;
  purpose_ = purpose;
  if (keys.use_psk) {
    // DTLS-PSK (docs/protocol.md §13.3): identity = the Dev URN. The handshake's
    // Finished messages prove the peer holds the same PSK: nothing to pin.
    psk_identity_ = urn;
    psk_ = keys.psk;
    coap_dtls_cpsk_t setup{};
    setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
    setup.psk_info.identity.s = reinterpret_cast<const uint8_t*>(psk_identity_.data());
    setup.psk_info.identity.length = psk_identity_.size();
    setup.psk_info.key.s = psk_.data();
    setup.psk_info.key.length = psk_.size();
    coap_address_t address = address_of(peer);
    session_ = coap_new_client_session_psk2(network_.context(), nullptr, &address, COAP_PROTO_DTLS,
                                            &setup);
    if (session_) coap_session_set_app_data(session_, this);
    waiting_since_ = network_.now();
    return session_;
  }
  if (!keys_.has_key_pair()) return nullptr;  // a PSK Device: no certificate sessions
  // libcoap 4.3.1 lets a client check neither a self-signed peer's key during
  // the handshake (validate_cn_call_back is skipped for self-signed
  // certificates; additional_tls_setup_call_back is only called for servers):
  // on_connected() checks the fingerprint before anything is sent.
  coap_dtls_pki_t pki = coap_pdu::pinned_peer_pki();
  pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
  pki.pki_key.key.pem_buf.public_cert =
      reinterpret_cast<const uint8_t*>(keys_.certificate_pem.c_str());
  pki.pki_key.key.pem_buf.public_cert_len = keys_.certificate_pem.size() + 1;
  pki.pki_key.key.pem_buf.private_key =
      reinterpret_cast<const uint8_t*>(keys_.private_key_pem.c_str());
  pki.pki_key.key.pem_buf.private_key_len = keys_.private_key_pem.size() + 1;
  coap_address_t address = address_of(peer);
  session_ =
      coap_new_client_session_pki(network_.context(), nullptr, &address, COAP_PROTO_DTLS, &pki);
  if (session_) coap_session_set_app_data(session_, this);
  waiting_since_ = network_.now();
  return session_;
}

void CoapTransport::close() {
  if (session_) {
    coap_session_set_app_data(session_, nullptr);
    coap_session_release(session_);
    session_ = nullptr;
  }
  purpose_ = Purpose::none;
  pending_ = Pending::none;
  connected_ = false;
  query_waiting_ = false;
}

void CoapTransport::ask_mothership(const ControllerAddress& mothership, const SessionKeys& keys,
                                   const char* urn) {
  query_ = std::string("urn=") + urn;
  if (!open(mothership, keys, urn, Purpose::mothership)) return on_failure(false);
  query_waiting_ = true;
  pending_ = Pending::query;
}

void CoapTransport::send_query() {
  query_waiting_ = false;
  coap_pdu_t* pdu =
      coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, coap_new_message_id(session_),
                    coap_session_max_pdu_size(session_));
  coap_pdu::add_path(pdu, ".well-known/tte");
  coap_pdu::add_text_option(pdu, COAP_OPTION_URI_QUERY, query_.c_str());
  coap_pdu::add_uint_option(pdu, COAP_OPTION_ACCEPT, kContentFormatCbor);
  if (coap_send(session_, pdu) == COAP_INVALID_MID) on_failure(false);
}

bool CoapTransport::peer_matches_pin() const {
  coap_tls_library_t library;
  SSL* ssl = session_ ? static_cast<SSL*>(coap_session_get_tls(session_, &library)) : nullptr;
  if (!ssl || library != COAP_TLS_LIBRARY_OPENSSL) return false;
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (!peer) return false;
  auto fingerprint = fingerprint_of_x509(peer);
  X509_free(peer);
  return fingerprint.ok() && fingerprint.value() == pin_;
}

void CoapTransport::open_controller(const ControllerAddress& controller, const SessionKeys& keys,
                                    const char* urn) {
  if (!open(controller, keys, urn, Purpose::controller)) on_failure(false);
  // libcoap starts the handshake at once; on_event reports it.
}

void CoapTransport::register_endpoint(const char* urn, std::uint32_t lifetime, const char* links) {
  if (!session_) return on_failure(false);
  coap_pdu_t* pdu =
      coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, coap_new_message_id(session_),
                    coap_session_max_pdu_size(session_));
  coap_pdu::add_path(pdu, "rd");
  coap_pdu::add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_pdu::kContentFormatLinkFormat);
  const std::string ep = std::string("ep=") + urn, lt = "lt=" + std::to_string(lifetime);
  coap_pdu::add_text_option(pdu, COAP_OPTION_URI_QUERY, ep.c_str());
  coap_pdu::add_text_option(pdu, COAP_OPTION_URI_QUERY, lt.c_str());
  coap_add_data(pdu, std::strlen(links), reinterpret_cast<const uint8_t*>(links));
  pending_ = Pending::registration;
  waiting_since_ = network_.now();
  if (coap_send(session_, pdu) == COAP_INVALID_MID) on_failure(false);
}

void CoapTransport::renew_registration(const char* location) {
  if (!session_) return on_failure(false);
  coap_pdu_t* pdu =
      coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, coap_new_message_id(session_),
                    coap_session_max_pdu_size(session_));
  coap_pdu::add_path(pdu, location);
  pending_ = Pending::renewal;
  waiting_since_ = network_.now();
  if (coap_send(session_, pdu) == COAP_INVALID_MID) on_failure(false);
}

void CoapTransport::check_deadline(Millis now) {
  const bool waiting = purpose_ != Purpose::none && (!connected_ || pending_ != Pending::none);
  if (!waiting || !session_ || now - waiting_since_ < exchange_timeout_) return;
  coap_session_t* stale = session_;
  coap_session_set_app_data(stale, nullptr);
  session_ = nullptr;
  coap_session_release(stale);
  on_failure(false);  // no answer in time; purpose and request as they were
}

void CoapTransport::notify_observers(const char* path) {
  network_.notify(path);
}

void CoapTransport::on_connected() {
  if (!psk_session_ && !peer_matches_pin()) {
    // Nothing was sent over this session; it is failed (and closed) after
    // libcoap's processing returns, not from inside its callback.
    pin_refused_ = true;
    network_.refused_.push_back(this);
    return;
  }
  connected_ = true;
  if (purpose_ == Purpose::mothership && query_waiting_) send_query();
  if (purpose_ == Purpose::controller && device_)
    device_->on_controller_session(network_.now(), SessionOutcome::up);
}

void CoapTransport::on_response(const coap_pdu_t* received) {
  if (!device_) return;
  const Pending pending = pending_;
  pending_ = Pending::none;
  CoapAnswer answer;
  answer.code = static_cast<std::uint8_t>(coap_pdu_get_code(received));
  answer.max_age = coap_pdu::max_age_of(received);
  size_t length = 0;
  const uint8_t* data = nullptr;
  if (coap_get_data(received, &length, &data) && data) answer.payload = ByteView(data, length);
  char location[64];
  if (coap_pdu::location_of(received, location, sizeof location)) answer.location = location;
  report_answer(*device_, network_.now(), pending, answer);
}

void CoapTransport::on_failure(bool wrong_key) {
  if (!device_) return;
  const Pending pending = pending_;
  pending_ = Pending::none;
  report_failure(*device_, network_.now(), purpose_, connected_, pending,
                 wrong_key || pin_refused_ ? Failure::wrong_key : Failure::no_answer);
}

// --- CoapNetwork -----------------------------------------------------------------

CoapNetwork::CoapNetwork(std::function<Millis()> clock, Profile profile)
    : clock_(std::move(clock)) {
  coap_startup();
  coap_set_log_level(LOG_EMERG);
  coap_dtls_set_log_level(LOG_EMERG);
  context_ = coap_new_context(nullptr);
  if (!context_) throw std::runtime_error("cannot create a CoAP context");
  coap_set_app_data(context_, this);
  coap_context_set_keepalive(context_, 25);  // NAT bindings (docs/protocol.md section 9)
  coap_register_response_handler(context_, &CoapNetwork::on_response);
  coap_register_nack_handler(context_, &CoapNetwork::on_nack);
  coap_register_event_handler(context_, &CoapNetwork::on_event);
  resource_ = coap_pdu::add_profile_resource(context_, profile, &CoapNetwork::on_request);
  if (!resource_) throw std::runtime_error("cannot create the Device's resource");
}

CoapNetwork::~CoapNetwork() {
  coap_free_context(context_);
  coap_cleanup();
}

void CoapNetwork::process(unsigned timeout_ms) {
  coap_io_process(context_, timeout_ms);
  std::vector<CoapTransport*> refused;
  refused.swap(refused_);
  for (CoapTransport* transport : refused) {
    if (transport->pin_refused_ && transport->session_) transport->on_failure(true);
  }
}

void CoapNetwork::notify(const char* path) {
  coap_str_const_t* uri = coap_resource_get_uri_path(resource_);
  if (uri && std::strlen(path) == uri->length + 1 && path[0] == '/' &&
      std::memcmp(path + 1, uri->s, uri->length) == 0) {
    coap_resource_notify_observers(resource_, nullptr);
  }
}

coap_response_t CoapNetwork::on_response(coap_session_t* session, const coap_pdu_t*,
                                         const coap_pdu_t* received, coap_mid_t) {
  if (CoapTransport* transport = transport_of(session)) transport->on_response(received);
  return COAP_RESPONSE_OK;
}

void CoapNetwork::on_nack(coap_session_t* session, const coap_pdu_t*, coap_nack_reason_t reason,
                          coap_mid_t) {
  CoapTransport* transport = transport_of(session);
  if (!transport || transport->pending_ == CoapTransport::Pending::none) return;
  transport->on_failure(reason == COAP_NACK_TLS_FAILED && transport->pin_refused_);
}

int CoapNetwork::on_event(coap_session_t* session, coap_event_t event) {
  CoapTransport* transport = transport_of(session);
  if (!transport) return 0;
  switch (event) {
    case COAP_EVENT_DTLS_CONNECTED:
      transport->on_connected();
      break;
    case COAP_EVENT_DTLS_CLOSED:
    case COAP_EVENT_DTLS_ERROR:
    case COAP_EVENT_SESSION_FAILED:
      // A request in flight is reported by on_nack; a session with none (or
      // whose request waits for the handshake), here.
      if (transport->pin_refused_) break;  // reported after process()
      if ((transport->pending_ == CoapTransport::Pending::none || transport->query_waiting_) &&
          transport->purpose_ != CoapTransport::Purpose::none) {
        transport->on_failure(false);
      }
      break;
    default:
      break;
  }
  return 0;
}

void CoapNetwork::on_request(coap_resource_t* resource, coap_session_t* session,
                             const coap_pdu_t* request, const coap_string_t*,
                             coap_pdu_t* response) {
  CoapTransport* transport = transport_of(session);
  auto* self = static_cast<CoapNetwork*>(coap_get_app_data(coap_session_get_context(session)));
  if (!transport || !transport->device_) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
    return;
  }
  coap_pdu::serve(*transport->device_, self->now(), resource, request, response);
}

}  // namespace tte::device::posix
