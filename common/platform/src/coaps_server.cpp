#include "tte/platform/coaps_server.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string_view>
#include <vector>

#include "tte/host/fingerprint.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/platform/coap_options.hpp"
#include "tte/platform/startup_error.hpp"
#include "tte/platform/udp_socket.hpp"

namespace tte::coaps {
namespace {

std::atomic<Logger*> g_logger{nullptr};  // libcoap's log handler takes no context argument
std::atomic<bool> g_spare_reads{false};

// See DtlsIdentity: libcoap logs this for every handshake, harmlessly.
constexpr std::string_view kExpectedNoCertificate =
    "*** setup_pki: (D)TLS: No Server Certificate defined";

// A read of an empty socket: EAGAIN, harmless when the caller provokes it.
bool spare_read(std::string_view message) {
  return message.find("Resource temporarily unavailable") != std::string_view::npos ||
         (message.substr(0, 3) == "*  " && message.find(": read failed") != std::string_view::npos);
}

// libcoap writes a line per session ("Incomplete session timed out", ...):
// during a flood, at most 20 lines per 10 s, then one saying how many were
// left out.
bool within_log_budget(Logger& logger) {
  static std::mutex mutex;
  static std::int64_t window_start = 0;
  static int lines = 0;
  static std::uint64_t suppressed = 0;
  std::lock_guard<std::mutex> lock(mutex);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (now - window_start >= 10) {
    if (suppressed > 0) {
      logger.warning("libcoap lines left out", {{"lines", static_cast<std::int64_t>(suppressed)},
                                                {"seconds", now - window_start}});
    }
    window_start = now;
    lines = 0;
    suppressed = 0;
  }
  if (lines >= 20) {
    ++suppressed;
    return false;
  }
  ++lines;
  return true;
}

void forward_libcoap_log(coap_log_t level, const char* message) {
  Logger* logger = g_logger.load();
  if (logger == nullptr) return;
  if (std::string_view(message).substr(0, kExpectedNoCertificate.size()) == kExpectedNoCertificate)
    return;
  if (g_spare_reads.load() && spare_read(message)) return;
  if (!within_log_budget(*logger)) return;
  std::string text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  logger->log(level <= LOG_ERR ? LogLevel::error : LogLevel::warning, "libcoap",
              {{"detail", text}});
}

}  // namespace

void start_libcoap(Logger& logger, bool spare_reads_expected) {
  g_logger = &logger;
  g_spare_reads = spare_reads_expected;
  static std::once_flag once;
  std::call_once(once, [] {
    coap_startup();
    coap_set_log_level(LOG_WARNING);
    coap_dtls_set_log_level(LOG_WARNING);
    coap_set_log_handler(forward_libcoap_log);
  });
}

DtlsIdentity::~DtlsIdentity() {
  X509_free(certificate_);
  EVP_PKEY_free(private_key_);
}

void DtlsIdentity::load(const std::string& certificate_file, const std::string& private_key_file) {
  std::FILE* file = std::fopen(certificate_file.c_str(), "r");
  certificate_ = file ? PEM_read_X509(file, nullptr, nullptr, nullptr) : nullptr;
  if (file) std::fclose(file);
  file = std::fopen(private_key_file.c_str(), "r");
  private_key_ = file ? PEM_read_PrivateKey(file, nullptr, nullptr, nullptr) : nullptr;
  if (file) std::fclose(file);
  if (!certificate_ || !private_key_ || X509_check_private_key(certificate_, private_key_) != 1) {
    throw StartupError("cannot load the DTLS certificate " + certificate_file + " and key " +
                       private_key_file + " (or they do not match)");
  }
}

void ServerTls::install(coap_context_t* context, const std::string& certificate_file,
                        const std::string& private_key_file) {
  identity_.load(certificate_file, private_key_file);
  static const char kNoFile[] = "";
  coap_dtls_pki_t pki = coap::pinned_peer_pki();
  pki.cn_call_back_arg = this;
  pki.additional_tls_setup_call_back = &ServerTls::on_setup;
  pki.pki_key.key_type = COAP_PKI_KEY_PEM;
  pki.pki_key.key.pem.public_cert = kNoFile;
  pki.pki_key.key.pem.private_key = kNoFile;
  if (!coap_context_set_pki(context, &pki)) throw StartupError("libcoap refused the DTLS set-up");
}

const char* ServerTls::cipher_preference() const {
  return psk_lookup_ ? ciphers_.c_str() : kCipherPreference;
}

std::string printable_identity(std::string_view identity) {
  constexpr std::size_t kShown = 80;
  std::string shown(identity.substr(0, kShown));
  for (char& c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) c = '?';
  }
  if (identity.size() > kShown) shown += "...(" + std::to_string(identity.size()) + " bytes)";
  return shown;
}

void ServerTls::enable_psk(coap_context_t* context, PskLookup lookup, void* arg) {
  if (configured_) throw StartupError("DTLS-PSK must be enabled before the first session");
  psk_lookup_ = lookup;
  psk_arg_ = arg;
  ciphers_ = std::string(kCipherPreference) + ":" + kPskCipherPreference;
  if (!random_bytes(unused_psk_).ok()) throw StartupError("the CSPRNG failed");
  coap_dtls_spsk_t psk{};
  psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
  psk.validate_id_call_back = &ServerTls::on_psk_identity;
  psk.id_call_back_arg = this;
  psk.psk_info.key.s = unused_psk_.data();
  psk.psk_info.key.length = unused_psk_.size();
  if (!coap_context_set_psk2(context, &psk)) throw StartupError("libcoap refused the PSK set-up");
}

// In the handshake, from OpenSSL's PSK server callback: the client's identity, looked up.
const coap_bin_const_t* ServerTls::on_psk_identity(coap_bin_const_t* identity,
                                                   coap_session_t* session, void* arg) {
  auto* self = static_cast<ServerTls*>(arg);
  // libcoap copies the key before the next handshake can run (one thread).
  static thread_local std::array<std::uint8_t, 64> key;
  static thread_local coap_bin_const_t answer;
  if (self == nullptr || self->psk_lookup_ == nullptr || identity == nullptr) return nullptr;
  std::string_view text(reinterpret_cast<const char*>(identity->s), identity->length);
  key.fill(0);
  const std::size_t length = self->psk_lookup_(self->psk_arg_, session, text, key);
  if (length == 0 || length > key.size()) return nullptr;
  answer.s = key.data();
  answer.length = length;
  return &answer;
}

// Called by libcoap for each new DTLS session, in OpenSSL's ClientHello callback.
int ServerTls::on_setup(void* tls, coap_dtls_pki_t* setup) {
  auto* self = static_cast<ServerTls*>(setup->cn_call_back_arg);
  SSL* ssl = static_cast<SSL*>(tls);
  if (SSL_use_certificate(ssl, self->identity_.certificate()) != 1 ||
      SSL_use_PrivateKey(ssl, self->identity_.private_key()) != 1) {
    return 0;
  }
  if (!self->configured_.exchange(true)) {
    // Once, on the context libcoap created: later sessions inherit it.
    SSL_CTX* ssl_context = SSL_get_SSL_CTX(ssl);
    SSL_CTX_set_cipher_list(ssl_context, self->cipher_preference());
    SSL_CTX_set_options(ssl_context, SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_cert_verify_callback(ssl_context, &ServerTls::on_verify, self);
    // A record never exceeds a datagram (libcoap's DTLS MTU is 1152 bytes):
    // OpenSSL's default 16 KiB write buffer per peer would be mostly unused.
    if (self->max_send_fragment_)
      SSL_CTX_set_max_send_fragment(ssl_context, self->max_send_fragment_);
    SSL_set_cipher_list(ssl, self->cipher_preference());
    SSL_set_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  // Ask for the peer's certificate, checked by on_verify instead of OpenSSL's
  // chain building.
  SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE,
                 nullptr);
  return 1;
}

int ServerTls::on_verify(X509_STORE_CTX* store, void* arg) {
  auto* self = static_cast<ServerTls*>(arg);
  X509* certificate = X509_STORE_CTX_get0_cert(store);
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* session = ssl ? static_cast<coap_session_t*>(SSL_get_app_data(ssl)) : nullptr;
  if (certificate == nullptr || session == nullptr) return 0;
  auto fingerprint = fingerprint_of_x509(certificate);
  if (!fingerprint.ok()) return 0;
  if (!self->admit_(self->arg_, session, fingerprint.value())) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  return 1;
}

std::uint16_t listen(coap_context_t* context, const std::string& address, std::uint16_t port,
                     std::size_t receive_buffer, Logger& logger) {
  coap_address_t bind_address;
  coap_address_init(&bind_address);
  if (inet_pton(AF_INET, address.c_str(), &bind_address.addr.sin.sin_addr) == 1) {
    bind_address.addr.sin.sin_family = AF_INET;
    bind_address.addr.sin.sin_port = htons(port);
    bind_address.size = sizeof(bind_address.addr.sin);
  } else if (inet_pton(AF_INET6, address.c_str(), &bind_address.addr.sin6.sin6_addr) == 1) {
    bind_address.addr.sin6.sin6_family = AF_INET6;
    bind_address.addr.sin6.sin6_port = htons(port);
    bind_address.size = sizeof(bind_address.addr.sin6);
  } else {
    throw StartupError("not an IP address for --coaps: " + address);
  }
  coap_endpoint_t* endpoint = coap_new_endpoint(context, &bind_address, COAP_PROTO_DTLS);
  if (!endpoint) {
    throw StartupError("cannot listen for CoAPS on " + address + ":" + std::to_string(port) +
                       " (address in use?)");
  }
  // "127.0.0.1:5684" or "[::1]:5684": the port follows the last ':'.
  const std::string bound = coap_endpoint_str(endpoint);
  const std::size_t colon = bound.rfind(':');
  const std::uint16_t bound_port =
      colon == std::string::npos ? port
                                 : static_cast<std::uint16_t>(std::atoi(bound.c_str() + colon + 1));
  const ReceiveBuffer buffer = widen_udp_receive_buffer(bound_port, receive_buffer);
  if (!buffer.enough()) {
    logger.warning(
        "small UDP receive buffer: bursts of datagrams may be dropped; raise net.core.rmem_max",
        {{"bytes", buffer.bytes}, {"wanted", buffer.wanted}});
  }
  return bound_port;
}

std::string remote_ip(const coap_session_t* session) {
  const coap_address_t* remote = coap_session_get_addr_remote(session);
  char text[INET6_ADDRSTRLEN] = "?";
  if (remote->addr.sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &remote->addr.sin.sin_addr, text, sizeof text);
  } else if (remote->addr.sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &remote->addr.sin6.sin6_addr, text, sizeof text);
  }
  return text;
}

std::string remote_address(const coap_session_t* session) {
  const coap_address_t* remote = coap_session_get_addr_remote(session);
  std::string address = remote_ip(session);
  if (remote->addr.sa.sa_family == AF_INET) {
    address += ':';
    address += std::to_string(ntohs(remote->addr.sin.sin_port));
  } else if (remote->addr.sa.sa_family == AF_INET6) {
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict) on "[" + std::string(...).
    address.insert(0, 1, '[');
    address += "]:";
    address += std::to_string(ntohs(remote->addr.sin6.sin6_port));
  }
  return address;
}

namespace {
std::int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void HalfOpenSessions::on_event(coap_session_t* session, coap_event_t event) {
  switch (event) {
    case COAP_EVENT_SERVER_SESSION_NEW:
      sessions_[session] = Entry{remote_ip(session), steady_now_ms()};
      break;
    case COAP_EVENT_DTLS_CONNECTED:
    case COAP_EVENT_DTLS_CLOSED:
    case COAP_EVENT_DTLS_ERROR:
    case COAP_EVENT_SERVER_SESSION_DEL:
      sessions_.erase(session);
      break;
    default:
      break;
  }
}

void HalfOpenSessions::sweep() {
  const std::int64_t now = steady_now_ms();
  // Only sessions past the cookie exchange hold a handshake's state; those
  // still in it (libcoap's HELLO sessions) cannot be dropped from outside.
  std::vector<std::pair<std::int64_t, coap_session_t*>> open;
  open.reserve(sessions_.size());
  for (const auto& [session, entry] : sessions_) {
    if (coap_session_get_type(session) == COAP_SESSION_TYPE_SERVER &&
        coap_session_get_state(session) == COAP_SESSION_STATE_HANDSHAKE) {
      open.emplace_back(entry.since_ms, session);
    }
  }
  std::sort(open.begin(), open.end());  // oldest first
  std::map<std::string, unsigned> per_source;
  for (const auto& [since, session] : open)
    ++per_source[sessions_[session].source];
  std::size_t remaining = open.size();
  for (const auto& [since, session] : open) {
    Entry& entry = sessions_[session];
    unsigned& from_source = per_source[entry.source];
    std::uint64_t* reason = nullptr;
    if (now - since > limits_.deadline.count()) {
      reason = &dropped_old_;
    } else if (from_source > limits_.per_source) {
      reason = &dropped_source_;
      busiest_source_ = entry.source;
    } else if (remaining > limits_.total) {
      reason = &dropped_total_;
    }
    if (reason == nullptr) continue;
    ++*reason;
    --from_source;
    --remaining;
    sessions_.erase(session);
    // The handshake's state goes now; libcoap's next walk frees the session.
    coap_session_disconnected(session, COAP_NACK_TLS_FAILED);
  }
  const std::uint64_t dropped = dropped_old_ + dropped_source_ + dropped_total_;
  if (dropped > 0 && now - last_report_ms_ >= 10000) {
    std::vector<LogField> fields{{"too_old", static_cast<std::int64_t>(dropped_old_)},
                                 {"over_source_limit", static_cast<std::int64_t>(dropped_source_)},
                                 {"over_total_limit", static_cast<std::int64_t>(dropped_total_)},
                                 {"half_open", static_cast<std::int64_t>(remaining)}};
    if (!busiest_source_.empty()) fields.emplace_back("source", busiest_source_);
    logger_.log(LogLevel::warning, "half-open DTLS handshakes dropped", fields);
    dropped_old_ = dropped_source_ = dropped_total_ = 0;
    busiest_source_.clear();
    last_report_ms_ = now;
  }
}

}  // namespace tte::coaps
