// The running Controller (`tte-controller serve`): it owns its parts and
// wires them together once: the registry (controller.db), the observations,
// the CoAPS server for Devices, the MotherShip poller (messages 7 and 8), the
// HTTP API and dashboard, and the HTTP and HTTPS listeners that serve it (the
// intake of message 6 among them).
#ifndef TTE_CONTROLLER_CONTROLLER_SERVER_HPP
#define TTE_CONTROLLER_CONTROLLER_SERVER_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "api.hpp"
#include "coap_server.hpp"
#include "data_dir.hpp"
#include "mothership_poller.hpp"
#include "observations.hpp"
#include "registry.hpp"
#include "tte/platform/http_client.hpp"
#include "tte/platform/http_server.hpp"
#include "tte/platform/listen_address.hpp"
#include "tte/platform/listener_budget.hpp"
#include "tte/platform/log.hpp"

namespace tte::controller {

// The HTTP listener, the optional HTTPS one, and the intake URL installers
// are given for them.
struct HttpListeners {
  ListenAddress http{"127.0.0.1", 8080};
  std::optional<ListenAddress> https;
  std::optional<std::string> intake;  // the intake URL as configured (`--intake`)

  // The intake URL: `intake` when configured, else the HTTPS listener's (or
  // the HTTP one's) at bound_port (default: its configured port); a listener
  // on every address is reached at coaps_public's host (see default_intake_url).
  std::string intake_url(const std::string& coaps_public,
                         std::optional<std::uint16_t> bound_port = std::nullopt) const;
};

struct ControllerServerOptions {
  std::string data_dir;  // initialised by `init` (see data_dir.hpp)
  Policy policy = Policy::strict;
  ListenAddress coaps{"0.0.0.0", 5684};
  std::string coaps_public;  // where Devices reach it; empty: this host's address and CoAPS port
  HttpListeners listeners;
  std::string https_cert = "https.crt";  // relative names are inside the data directory
  std::string https_key = "https.key";
  http::ClientOptions mothership;  // how to reach MotherShips
  PollSchedule poll;
  std::chrono::seconds request_timeout{10};  // a request to a Device
  unsigned session_timeout = 300;            // seconds a silent DTLS session is kept
  coaps::HalfOpenLimits half_open;
  // Each HTTP(S) listener's connection budget (max_connections,
  // max_connections_per_client, header_timeout); the server sets the rest.
  http::ListenerOptions listener_budget;
  int threads = 2;  // HTTP worker threads
};

class ControllerServer {
 public:
  // Opens the database and binds every listener (a port 0 becomes a free
  // one). Throws StartupError (address in use, unreadable key, ...).
  ControllerServer(ControllerServerOptions options, Logger& logger);
  ~ControllerServer();
  ControllerServer(const ControllerServer&) = delete;
  ControllerServer& operator=(const ControllerServer&) = delete;

  // Starts the CoAPS server, the poller and the flushing of soft state, and
  // writes DIR/run.json (the bound addresses, for `device` and `binding` on
  // this machine).
  void start();
  // Serves HTTP(S) until SIGTERM or SIGINT (or stop()), then stops the rest:
  // the soft state is flushed and run.json removed.
  void run_until_signal();
  // Asks run_until_signal to return (thread-safe).
  void stop();

  // The bound addresses: a configured port 0 is the port taken.
  const ListenAddress& coaps() const { return coaps_; }
  const ListenAddress& http() const { return http_address_; }
  const std::optional<ListenAddress>& https() const { return https_address_; }
  const ControllerIdentity& identity() const { return identity_; }
  // The JSON line `serve` prints when every listener is up (also run.json):
  // ready, coaps, http, [https,] fingerprint, policy, pid.
  std::string ready_line() const;

 private:
  std::uint16_t listen(const std::string& name, const ListenAddress& address,
                       std::optional<http::TlsFiles> tls);
  void shut_down();

  ControllerServerOptions options_;
  DataDir dir_;
  Logger& logger_;
  Registry registry_;
  Observations observations_;
  CoapServer coap_;
  ListenAddress coaps_;  // as bound
  ControllerIdentity identity_;
  MotherShipPoller poller_;
  Api api_;
  http::Server http_;  // after what its handlers use: it goes first
  ListenAddress http_address_;
  std::optional<ListenAddress> https_address_;
  std::atomic<bool> flushing_{false};
  std::thread flusher_;
  bool started_ = false;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_CONTROLLER_SERVER_HPP
