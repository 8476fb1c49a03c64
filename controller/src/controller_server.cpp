#include "controller_server.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "intake_url.hpp"
#include "tte/platform/files.hpp"

namespace tte::controller {
namespace {

std::int64_t wall_clock() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

CoapServerOptions coap_options(const ControllerServerOptions& o, const DataDir& dir) {
  CoapServerOptions coap;
  coap.address = o.coaps.address;
  coap.port = o.coaps.port;
  coap.certificate_file = dir.path("dtls.crt");
  coap.private_key_file = dir.path("dtls.key");
  coap.half_open = o.half_open;
  coap.request_timeout = o.request_timeout;
  coap.session_timeout = o.session_timeout;
  return coap;
}

// The MotherShip's answer must come within o.mothership.timeout, connection
// and TLS included.
http::ClientOptions mothership_client(http::ClientOptions client) {
  client.connect_timeout = std::min(client.connect_timeout, client.timeout);
  client.tls_timeout = std::min(client.tls_timeout, client.timeout);
  return client;
}

ControllerIdentity identity_of(const ControllerServerOptions& o, const DataDir& dir,
                               const ListenAddress& coaps) {
  ControllerIdentity identity;
  identity.fingerprint = dir.dtls_fingerprint();
  identity.coaps = o.coaps_public.empty() ? default_coaps_public(coaps) : o.coaps_public;
  // Until the listeners are bound (a configured port 0 is then known): never empty.
  identity.intake_url = o.listeners.intake_url(identity.coaps);
  return identity;
}

}  // namespace

std::string HttpListeners::intake_url(const std::string& coaps_public,
                                      std::optional<std::uint16_t> bound_port) const {
  if (intake) return *intake;
  const ListenAddress& listener = https ? *https : http;
  return default_intake_url(listener.address, bound_port.value_or(listener.port), https.has_value(),
                            coaps_public, first_host_address());
}

ControllerServer::ControllerServer(ControllerServerOptions options, Logger& logger)
    : options_(std::move(options)),
      dir_(options_.data_dir),
      logger_(logger),
      registry_(dir_.database(), options_.policy, dir_.psk_sealer()),
      coap_(coap_options(options_, dir_), registry_, observations_, logger_, wall_clock),
      coaps_{options_.coaps.address, coap_.port()},
      identity_(identity_of(options_, dir_, coaps_)),
      poller_(registry_, mothership_client(options_.mothership), options_.poll, logger_,
              wall_clock),
      api_(ApiOptions{dir_.intake_token(), dir_.api_token(), identity_, wall_clock, steady_ms, 5},
           registry_, coap_, observations_),
      http_(logger_, options_.threads),
      http_address_(options_.listeners.http),
      https_address_(options_.listeners.https) {
  // A Device joined: ask its MotherShip once more.
  registry_.on_poll_due([this] { poller_.wake(); });
  http_address_.port = listen("http", http_address_, std::nullopt);
  if (https_address_) {
    https_address_->port =
        listen("https", *https_address_,
               http::TlsFiles{dir_.resolve(options_.https_cert), dir_.resolve(options_.https_key)});
  }
  identity_.intake_url = options_.listeners.intake_url(
      identity_.coaps, https_address_ ? https_address_->port : http_address_.port);
  api_.set_intake_url(identity_.intake_url);
}

ControllerServer::~ControllerServer() {
  shut_down();
}

std::uint16_t ControllerServer::listen(const std::string& name, const ListenAddress& address,
                                       std::optional<http::TlsFiles> tls) {
  http::ListenerOptions listener = options_.listener_budget;
  listener.name = name;
  listener.address = address.address;
  listener.port = address.port;
  listener.tls = std::move(tls);
  listener.body_limit = Api::kLargestBody;  // batches of notices
  // Tokens are checked, and each route's body limit set, before a body is read.
  listener.admit = [this](const http::Request& head) { return api_.admit(head); };
  const bool over_tls = listener.tls.has_value();
  return http_.listen(listener, [this, over_tls](http::Request request, http::Respond respond) {
    const bool intake =
        request.method == "POST" && (request.path() == "/.well-known/tte/devices" ||
                                     request.path() == "/.well-known/tte/devices/batch");
    api_.handle(
        std::move(request),
        [this, intake, respond = std::move(respond)](http::Response response) {
          // A new announcement: its MotherShip is asked at once.
          if (intake && response.status < 300) poller_.wake();
          respond(std::move(response));
        },
        over_tls);
  });
}

void ControllerServer::start() {
  coap_.start();
  poller_.start();
  flushing_ = true;
  flusher_ = std::thread([this] {
    while (flushing_.load()) {
      for (int i = 0; i < 10 && flushing_.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      registry_.flush();
    }
  });
  started_ = true;
  // For `device` and `binding` on this machine: where the API listens now
  // (the configured port may be 0).
  write_file_atomic(dir_.path("run.json"), ready_line() + "\n", 0644);
  logger_.info("serving",
               {{"coaps", coaps_.to_string()},
                {"http", http_address_.to_string()},
                {"https", https_address_ ? https_address_->to_string() : std::string("-")},
                {"policy", policy_name(options_.policy)},
                {"devices", static_cast<std::int64_t>(registry_.devices().size())}});
}

void ControllerServer::run_until_signal() {
  http_.run_until_signal();
  shut_down();
}

void ControllerServer::stop() {
  http_.stop();
}

void ControllerServer::shut_down() {
  if (!started_) return;
  started_ = false;
  poller_.stop();
  coap_.stop();
  flushing_ = false;
  flusher_.join();
  registry_.flush();
  std::remove(dir_.path("run.json").c_str());
  auto stats = coap_.stats();
  logger_.info("stopped", {{"requests_sent", static_cast<std::int64_t>(stats.requests_sent)},
                           {"notifications", static_cast<std::int64_t>(stats.notifications)}});
}

std::string ControllerServer::ready_line() const {
  nlohmann::ordered_json ready{
      {"ready", true},
      {"coaps", coaps_.to_string()},
      {"http", http_address_.to_string()},
      {"fingerprint", std::string(identity_.fingerprint.to_string().view())},
      {"policy", policy_name(options_.policy)},
      {"pid", static_cast<int>(::getpid())}};
  if (https_address_) ready["https"] = https_address_->to_string();
  return ready.dump();
}

}  // namespace tte::controller
