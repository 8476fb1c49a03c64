#include "coap_server.hpp"

#include <coap3/coap.h>

#include <chrono>
#include <cstring>

#include "device_query.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/platform/coap_pdu.hpp"
#include "tte/platform/coaps_server.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {}  // namespace

struct CoapServer::Impl {
  CoapServerOptions options;
  Writer& writer;
  Logger& logger;
  Store store;
  coap_context_t* context = nullptr;
  coaps::HalfOpenSessions half_open;

  Impl(CoapServerOptions o, Writer& w, Logger& l)
      : options(std::move(o)),
        writer(w),
        logger(l),
        store(options.database, Store::Access::read_only),
        half_open(options.half_open, l) {
    if (options.psk_sealer) store.use_psk_sealer(*options.psk_sealer);  // message 10's key 4
  }
  ~Impl() {
    if (context) coap_free_context(context);
  }

  // Remembers the fingerprint of the Device's key on its session. Authorisation
  // happens per request, so that an unknown device gets a clean 4.03 rather
  // than a failed handshake.
  static bool admit(void*, coap_session_t* session, const Fingerprint& key) {
    delete static_cast<Fingerprint*>(coap_session_get_app_data(session));
    coap_session_set_app_data(session, new Fingerprint(key));
    return true;
  }
  coaps::ServerTls tls{&Impl::admit, this};

  // A DTLS-PSK handshake's identity (§13.3): a PSK Device's Dev URN, exactly, whose
  // factory PSK is unsealed for this handshake. Unknown identities, certificate
  // Devices and a storage failure refuse the handshake. A revoked PSK Device gets
  // its session, and then 4.03 revoked, as a certificate Device does.
  static std::size_t psk_for(void* arg, coap_session_t* session, std::string_view identity,
                             std::array<std::uint8_t, 64>& psk) {
    auto* self = static_cast<Impl*>(arg);
    auto refuse = [&](const char* reason) -> std::size_t {
      self->logger.warning("refused", {{"listener", "coaps"},
                                       {"client", coaps::remote_address(session)},
                                       {"psk_identity", coaps::printable_identity(identity)},
                                       {"reason", reason}});
      return 0;
    };
    if (!self->options.psk_sealer) return refuse("no PSK Devices here");
    if (!DevUrn::parse(identity).ok()) return refuse("not a Dev URN");
    auto found = self->store.device_by_urn(identity);
    if (!found.ok()) return refuse("the database cannot be read");
    if (!found.value() || !found.value()->sealed_psk ||
        found.value()->urn.view() != identity)  // stored in lower case: compared exactly
      return refuse("no PSK Device has this URN");
    const DeviceRecord& device = *found.value();
    auto opened = self->options.psk_sealer->unseal(device.dev_id, *device.sealed_psk);
    if (!opened.ok()) {
      self->logger.error("a sealed factory PSK does not open (psk.key replaced?)",
                         {{"devid", std::string(device.dev_id.to_string().view())}});
      return 0;
    }
    std::memcpy(psk.data(), opened.value().data(), opened.value().size());
    return opened.value().size();
  }

  static int on_event(coap_session_t* session, const coap_event_t event) {
    auto* self = static_cast<Impl*>(coap_get_app_data(coap_session_get_context(session)));
    if (self) self->half_open.on_event(session, event);
    if (event == COAP_EVENT_SERVER_SESSION_DEL || event == COAP_EVENT_DTLS_CLOSED) {
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

  // Messages 9 and 10 (draft §2, §3.1; docs/protocol.md §8): a Device's query over DTLS, with
  // its key's fingerprint; the answer is answer_device_query's.
  void answer(coap_session_t* session, const coap_pdu_t* request, const coap_string_t* query,
              coap_pdu_t* response) {
    auto started = std::chrono::steady_clock::now();
    std::optional<unsigned> accept;
    coap_opt_iterator_t iterator;
    if (coap_opt_t* option = coap_check_option(request, COAP_OPTION_ACCEPT, &iterator)) {
      accept = coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
    }
    // A certificate session carries its key's fingerprint; a PSK session its identity.
    DevicePeer peer;
    if (auto* fingerprint = static_cast<Fingerprint*>(coap_session_get_app_data(session))) {
      peer = DevicePeer(*fingerprint);
    } else if (const coap_bin_const_t* identity = coap_session_get_psk_identity(session);
               identity != nullptr && options.psk_sealer) {
      peer = DevicePeer::psk(
          std::string(reinterpret_cast<const char*>(identity->s), identity->length));
    }
    std::string_view query_text =
        query ? std::string_view(reinterpret_cast<const char*>(query->s), query->length)
              : std::string_view();
    DeviceQueryAnswer answer = answer_device_query(
        query_text, accept, peer, [this](std::string_view urn) { return store.device_by_urn(urn); },
        options.retry_after);

    if (answer.max_age) coaps::add_uint_option(response, COAP_OPTION_MAXAGE, *answer.max_age);
    // The answer fits one block; a client asking for smaller blocks (RFC 7959)
    // gets the one it asks for.
    coaps::answer_body(response, request, answer.code,
                       std::string_view(reinterpret_cast<const char*>(answer.payload.data()),
                                        answer.payload.size()),
                       answer.content_format);
    if (answer.record_registered && answer.dev_id) writer.submit(RegisteredJob{*answer.dev_id});

    auto elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    std::vector<LogField> fields{
        {"listener", "coaps"},
        {"client", coaps::remote_ip(session)},
        {"method", "GET"},
        {"path", "/.well-known/tte"},
        {"code", coap_code_text(answer.code)},
        {"outcome", answer.outcome},
        {"ms", static_cast<double>(static_cast<std::int64_t>(elapsed * 100)) / 100}};
    if (answer.dev_id) fields.emplace_back("devid", std::string(answer.dev_id->to_string().view()));
    logger.log(LogLevel::info, "request", fields);
  }
};

CoapServer::CoapServer(CoapServerOptions options, Writer& writer, Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(options), writer, logger)) {
  coaps::start_libcoap(logger);
  if (!coap_dtls_is_supported()) throw StartupError("libcoap was built without DTLS");
  const CoapServerOptions& o = impl_->options;

  impl_->context = coap_new_context(nullptr);
  if (!impl_->context) throw StartupError("cannot create a CoAP context");
  coap_context_set_max_idle_sessions(impl_->context, o.max_sessions);
  coap_context_set_session_timeout(impl_->context, o.session_timeout);
  coap_context_set_max_handshake_sessions(impl_->context, o.max_handshakes);
  coap_set_app_data(impl_->context, impl_.get());
  coap_register_event_handler(impl_->context, &Impl::on_event);

  // The DTLS identity, loaded once and installed per session (coaps::ServerTls).
  impl_->tls.install(impl_->context, o.certificate_file, o.private_key_file);
  if (o.psk_sealer) impl_->tls.enable_psk(impl_->context, &Impl::psk_for, impl_.get());
  port_ = coaps::listen(impl_->context, o.address, o.port, o.receive_buffer, impl_->logger);

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
    while (running_.load()) {
      coap_io_process(impl_->context, 100);
      impl_->half_open.sweep();
    }
  });
}

void CoapServer::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

}  // namespace tte::mothership
