#include "coap_server.hpp"

#include <arpa/inet.h>
#include <coap3/coap.h>

#include <chrono>
#include <cstring>
#include <mutex>

#include "device_query.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {

Logger* g_coap_logger = nullptr;  // libcoap's log handler takes no context argument

void forward_libcoap_log(coap_log_t level, const char* message) {
  if (g_coap_logger == nullptr) return;
  std::string text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  g_coap_logger->log(level <= LOG_ERR ? LogLevel::error : LogLevel::warning, "libcoap",
                     {{"detail", text}});
}

void start_libcoap_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    coap_startup();
    coap_set_log_level(LOG_WARNING);
    coap_dtls_set_log_level(LOG_WARNING);
    coap_set_log_handler(forward_libcoap_log);
  });
}

std::string code_text(std::uint8_t code) {
  return std::to_string(code >> 5) + "." + (code % 32 < 10 ? "0" : "") + std::to_string(code % 32);
}

std::string remote_address(const coap_session_t* session) {
  const coap_address_t* remote = coap_session_get_addr_remote(session);
  char text[INET6_ADDRSTRLEN] = "?";
  if (remote->addr.sa.sa_family == AF_INET) {
    inet_ntop(AF_INET, &remote->addr.sin.sin_addr, text, sizeof text);
  } else if (remote->addr.sa.sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &remote->addr.sin6.sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

struct CoapServer::Impl {
  CoapServerOptions options;
  Writer& writer;
  Logger& logger;
  Store store;
  coap_context_t* context = nullptr;

  Impl(CoapServerOptions o, Writer& w, Logger& l)
      : options(std::move(o)),
        writer(w),
        logger(l),
        store(options.database, Store::Access::read_only) {}
  ~Impl() {
    if (context) coap_free_context(context);
  }

  // DTLS hands over the peer's certificate: remember its key's fingerprint on
  // the session. Authorisation happens per request, so an unknown device gets
  // a clean 4.03 instead of a failed handshake.
  static int on_certificate(const char*, const uint8_t* der, size_t length, coap_session_t* session,
                            unsigned depth, int, void*) {
    if (depth != 0) return 1;
    auto fingerprint = fingerprint_of_certificate_der(ByteView(der, length));
    if (!fingerprint.ok()) return 0;
    delete static_cast<Fingerprint*>(coap_session_get_app_data(session));
    coap_session_set_app_data(session, new Fingerprint(fingerprint.value()));
    return 1;
  }

  static int on_event(coap_session_t* session, const coap_event_t event) {
    if (event == COAP_EVENT_SERVER_SESSION_DEL) {
      delete static_cast<Fingerprint*>(coap_session_get_app_data(session));
      coap_session_set_app_data(session, nullptr);
    }
    return 0;
  }

  static void on_get(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
                     const coap_string_t* query, coap_pdu_t* response) {
    static_cast<Impl*>(coap_resource_get_userdata(resource))
        ->answer(session, request, query, response);
  }

  void answer(coap_session_t* session, const coap_pdu_t* request, const coap_string_t* query,
              coap_pdu_t* response) {
    auto started = std::chrono::steady_clock::now();
    std::optional<unsigned> accept;
    coap_opt_iterator_t iterator;
    if (coap_opt_t* option = coap_check_option(request, COAP_OPTION_ACCEPT, &iterator)) {
      accept = coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
    }
    std::optional<Fingerprint> peer;
    if (auto* fingerprint = static_cast<Fingerprint*>(coap_session_get_app_data(session)))
      peer = *fingerprint;
    std::string_view query_text =
        query ? std::string_view(reinterpret_cast<const char*>(query->s), query->length)
              : std::string_view();
    DeviceQueryAnswer answer = answer_device_query(
        query_text, accept, peer, [this](std::string_view urn) { return store.device_by_urn(urn); },
        options.retry_after);

    coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(answer.code));
    std::uint8_t buffer[4];
    if (answer.content_format) {
      coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                      coap_encode_var_safe(buffer, sizeof buffer, *answer.content_format), buffer);
    }
    if (answer.max_age) {
      coap_add_option(response, COAP_OPTION_MAXAGE,
                      coap_encode_var_safe(buffer, sizeof buffer, *answer.max_age), buffer);
    }
    if (!answer.payload.empty())
      coap_add_data(response, answer.payload.size(), answer.payload.data());
    if (answer.record_registered && answer.dev_id) writer.submit(RegisteredJob{*answer.dev_id});

    auto elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    std::vector<LogField> fields{
        {"listener", "coaps"},
        {"client", remote_address(session)},
        {"method", "GET"},
        {"path", "/.well-known/tte"},
        {"code", code_text(answer.code)},
        {"outcome", answer.outcome},
        {"ms", static_cast<double>(static_cast<std::int64_t>(elapsed * 100)) / 100}};
    if (answer.dev_id) fields.emplace_back("devid", std::string(answer.dev_id->to_string().view()));
    logger.log(LogLevel::info, "request", fields);
  }
};

CoapServer::CoapServer(CoapServerOptions options, Writer& writer, Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(options), writer, logger)) {
  start_libcoap_once();
  g_coap_logger = &logger;
  if (!coap_dtls_is_supported()) throw StartupError("libcoap was built without DTLS");
  const CoapServerOptions& o = impl_->options;

  impl_->context = coap_new_context(nullptr);
  if (!impl_->context) throw StartupError("cannot create a CoAP context");
  coap_context_set_max_idle_sessions(impl_->context, o.max_sessions);
  coap_context_set_session_timeout(impl_->context, o.session_timeout);
  coap_context_set_max_handshake_sessions(impl_->context, o.max_handshakes);
  coap_register_event_handler(impl_->context, &Impl::on_event);

  coap_dtls_pki_t pki;
  std::memset(&pki, 0, sizeof pki);
  pki.version = COAP_DTLS_PKI_SETUP_VERSION;
  pki.verify_peer_cert = 1;     // ask for the Device's certificate ...
  pki.allow_self_signed = 1;    // ... which is self-signed: trust is the pinned fingerprint
  pki.allow_expired_certs = 1;  // a certificate only carries the key; its dates mean nothing here
  pki.allow_no_crl = 1;
  pki.allow_expired_crl = 1;
  pki.cert_chain_validation = 0;
  pki.validate_cn_call_back = &Impl::on_certificate;
  pki.pki_key.key_type = COAP_PKI_KEY_PEM;
  pki.pki_key.key.pem.public_cert = o.certificate_file.c_str();
  pki.pki_key.key.pem.private_key = o.private_key_file.c_str();
  if (!coap_context_set_pki(impl_->context, &pki)) {
    throw StartupError("cannot load the DTLS certificate " + o.certificate_file + " and key " +
                       o.private_key_file);
  }

  coap_address_t address;
  coap_address_init(&address);
  if (inet_pton(AF_INET, o.address.c_str(), &address.addr.sin.sin_addr) == 1) {
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(o.port);
    address.size = sizeof(address.addr.sin);
  } else if (inet_pton(AF_INET6, o.address.c_str(), &address.addr.sin6.sin6_addr) == 1) {
    address.addr.sin6.sin6_family = AF_INET6;
    address.addr.sin6.sin6_port = htons(o.port);
    address.size = sizeof(address.addr.sin6);
  } else {
    throw StartupError("not an IP address for --coaps: " + o.address);
  }
  coap_endpoint_t* endpoint = coap_new_endpoint(impl_->context, &address, COAP_PROTO_DTLS);
  if (!endpoint) {
    throw StartupError("cannot listen for CoAPS on " + o.address + ":" + std::to_string(o.port) +
                       " (address in use?)");
  }
  // "127.0.0.1:5684" or "[::1]:5684": the port follows the last ':'.
  std::string bound = coap_endpoint_str(endpoint);
  std::size_t colon = bound.rfind(':');
  port_ = colon == std::string::npos
              ? o.port
              : static_cast<std::uint16_t>(std::atoi(bound.c_str() + colon + 1));

  coap_resource_t* resource = coap_resource_init(coap_make_str_const(".well-known/tte"), 0);
  coap_resource_set_userdata(resource, impl_.get());
  coap_register_request_handler(resource, COAP_REQUEST_GET, &Impl::on_get);
  coap_add_resource(impl_->context, resource);
}

CoapServer::~CoapServer() {
  stop();
}

void CoapServer::start() {
  running_ = true;
  thread_ = std::thread([this] {
    while (running_.load())
      coap_io_process(impl_->context, 100);
  });
}

void CoapServer::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

}  // namespace tte::mothership
