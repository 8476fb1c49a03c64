#include "tte/platform/coaps_server.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

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

void forward_libcoap_log(coap_log_t level, const char* message) {
  Logger* logger = g_logger.load();
  if (logger == nullptr) return;
  if (std::string_view(message).substr(0, kExpectedNoCertificate.size()) == kExpectedNoCertificate)
    return;
  if (g_spare_reads.load() && spare_read(message)) return;
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

void use_identity_from_setup(coap_context_t* context, int (*setup)(void*, coap_dtls_pki_t*),
                             void* arg) {
  static const char kNoFile[] = "";
  coap_dtls_pki_t pki;
  std::memset(&pki, 0, sizeof pki);
  pki.version = COAP_DTLS_PKI_SETUP_VERSION;
  pki.verify_peer_cert = 1;
  pki.allow_self_signed = 1;
  pki.allow_expired_certs = 1;
  pki.allow_no_crl = 1;
  pki.allow_expired_crl = 1;
  pki.cn_call_back_arg = arg;
  pki.additional_tls_setup_call_back = setup;
  pki.pki_key.key_type = COAP_PKI_KEY_PEM;
  pki.pki_key.key.pem.public_cert = kNoFile;
  pki.pki_key.key.pem.private_key = kNoFile;
  if (!coap_context_set_pki(context, &pki)) throw StartupError("libcoap refused the DTLS set-up");
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

}  // namespace tte::coaps
