// The Controller's CoAP-over-DTLS side (messages 11 and 12), on libcoap's
// OpenSSL flavour:
// - the DTLS handshake computes each Device's key fingerprint and, under the
//   strict policy, refuses keys no Introducer announced;
// - the Resource Directory (POST /rd, POST and DELETE /rd/<n>) of directory.hpp;
// - requests to a Device's resources, sent over the Device's own DTLS session
//   (the Controller never opens a connection to a Device: it may be behind NAT),
//   observations, and bindings (a notification from one Device's resource sets
//   another's).
// libcoap runs on one thread; other threads hand it work through a queue
// (request(), observe(), bindings_changed()) and are answered by callbacks.
#ifndef TTE_CONTROLLER_COAP_SERVER_HPP
#define TTE_CONTROLLER_COAP_SERVER_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "device_gateway.hpp"
#include "observations.hpp"
#include "registry.hpp"
#include "tte/platform/coaps_server.hpp"
#include "tte/platform/log.hpp"

namespace tte::controller {

using Clock = std::function<std::int64_t()>;  // seconds since the epoch

struct CoapServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 5684;  // 0: any free port (see port())
  std::string certificate_file;
  std::string private_key_file;
  unsigned max_idle_sessions = 1000;  // sessions without a registration
  unsigned session_timeout = 300;     // seconds such a session is kept
  // libcoap's own cap on handshakes in progress (cookie exchanges included);
  // half_open acts long before it.
  unsigned max_handshakes = 4096;
  coaps::HalfOpenLimits half_open;  // past the cookie exchange, per source and in all
  std::chrono::milliseconds request_timeout{10000};
  std::size_t receive_buffer = 4 << 20;  // bytes for the UDP socket (see udp_socket.hpp)
};

class CoapServer : public DeviceGateway {
 public:
  // Binds the endpoint. Throws StartupError.
  CoapServer(CoapServerOptions options, Registry& registry, Observations& observations,
             Logger& logger, Clock clock);
  ~CoapServer() override;
  CoapServer(const CoapServer&) = delete;
  CoapServer& operator=(const CoapServer&) = delete;

  std::uint16_t port() const { return port_; }
  void start();
  void stop();

  // Thread-safe. `done` runs on the CoAP thread: it must not block.
  void request(DeviceRequest request, std::function<void(DeviceReply)> done) override;
  // Thread-safe: keep the resource observed while the Device is registered
  // (for the HTTP API's long polls); notifications go to Observations.
  void observe(const std::string& urn, const std::string& path) override;
  // Thread-safe: the bindings changed; observe every binding's source.
  void bindings_changed() override;

  struct Stats {
    std::uint64_t registrations = 0;  // now
    std::uint64_t requests_sent = 0;
    std::uint64_t replies = 0;
    std::uint64_t notifications = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_COAP_SERVER_HPP
