// The running MotherShip (`tte-mothership serve`): it owns its parts and wires
// them together once: the Writer (the one connection that writes), the pool
// of read connections, the OTP guess and client throttles, the public API for
// installers and the admin API on their HTTPS listeners, and the CoAPS server
// devices ask where their Controller is.
#ifndef TTE_MOTHERSHIP_MOTHERSHIP_SERVER_HPP
#define TTE_MOTHERSHIP_MOTHERSHIP_SERVER_HPP

#include <cstdint>
#include <optional>
#include <string>

#include "admin_api.hpp"
#include "client_throttle.hpp"
#include "coap_server.hpp"
#include "data_dir.hpp"
#include "otp_guard.hpp"
#include "public_api.hpp"
#include "read_pool.hpp"
#include "rules.hpp"
#include "tte/platform/http_server.hpp"
#include "tte/platform/listen_address.hpp"
#include "tte/platform/listener_budget.hpp"
#include "tte/platform/log.hpp"
#include "writer.hpp"

namespace tte::mothership {

struct MotherShipServerOptions {
  std::string data_dir;  // initialised by `init` (see data_dir.hpp)
  std::string database;  // sqlite:PATH or postgresql://... (empty: the data directory's)
  IdPolicy id_policy = IdPolicy::operational;  // allow_example: MS ID 0 (demos and tests)
  std::optional<MsId> ms_id;  // given (--ms-id): must be the one the database was made with
  ListenAddress https{"0.0.0.0", 443};     // installers
  ListenAddress admin{"127.0.0.1", 8443};  // the admin API
  ListenAddress coaps{"0.0.0.0", 5684};    // devices
  std::string https_cert = "https.crt";    // relative names are inside the data directory
  std::string https_key = "https.key";
  std::string coaps_public;       // where devices reach CoAPS, as the admin API reports it
  int threads = 2;                // HTTP worker threads
  std::uint32_t max_age = 60;     // seconds an unmapped device is told to wait
  GuessPolicy guess_policy;       // OTP checks per Dev ID
  int client_failure_limit = 30;  // failed checks per client address per minute (0: no limit)
  // Each HTTPS listener's connection budget (max_connections,
  // max_connections_per_client, header_timeout); the server sets the rest.
  http::ListenerOptions listener_budget;
  coaps::HalfOpenLimits half_open;
};

// The OTP guard `serve` uses: buckets in memory, or (shared: a database
// several instances use) in the database, through throttle_connections.
OtpGuard make_otp_guard(const GuessPolicy& policy, bool shared, ReadPool& reads,
                        ReadPool& throttle_connections, Logger& logger);

class MotherShipServer {
 public:
  // Opens the database and binds every listener (a port 0 becomes a free
  // one). Throws StartupError (a refused MS ID, address in use, ...).
  MotherShipServer(MotherShipServerOptions options, Logger& logger);
  ~MotherShipServer();
  MotherShipServer(const MotherShipServer&) = delete;
  MotherShipServer& operator=(const MotherShipServer&) = delete;

  // Starts the CoAPS server.
  void start();
  // Serves HTTPS until SIGTERM or SIGINT (or stop()), lets the requests in
  // flight finish, then stops the CoAPS server and the Writer.
  void run_until_signal();
  // Asks run_until_signal to return (thread-safe).
  void stop();

  const std::string& host() const { return host_; }  // tte-XXXXXX.net
  // The bound addresses: a configured port 0 is the port taken.
  const ListenAddress& https() const { return https_address_; }
  const ListenAddress& admin() const { return admin_address_; }
  const ListenAddress& coaps() const { return coaps_address_; }
  // The JSON line `serve` prints when every listener is up: ready, host,
  // https, coaps, admin, pid.
  std::string ready_line() const;

 private:
  void shut_down();

  MotherShipServerOptions options_;
  DataDir dir_;
  Logger& logger_;
  MsId ms_id_;
  std::string host_;
  OtpHasher hasher_;
  Writer writer_;
  ReadPool reads_;
  ReadPool throttle_connections_;  // a shared database's OTP buckets (unused on SQLite)
  ClientThrottle clients_;
  OtpGuard guard_;
  PublicApi public_api_;
  AdminApi admin_api_;
  CoapServer coap_;
  http::Server http_;  // after what its handlers use: it goes first
  ListenAddress https_address_;
  ListenAddress admin_address_;
  ListenAddress coaps_address_;
  bool started_ = false;
};

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_MOTHERSHIP_SERVER_HPP
