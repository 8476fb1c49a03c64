// The Controller's HTTP side, as request handlers with no sockets:
// - the intake of message 6 (POST /.well-known/tte/devices, intake token), and
//   its batch route (POST /.well-known/tte/devices/batch);
// - the control API under /api/v1 (API token): devices, their resources,
//   observations (long polls), bindings;
// - the dashboard at / (a login with the API token sets a session cookie).
// docs/controller.md documents every route.
#ifndef TTE_CONTROLLER_API_HPP
#define TTE_CONTROLLER_API_HPP

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "device_gateway.hpp"
#include "observations.hpp"
#include "registry.hpp"
#include "tte/platform/http.hpp"
#include "tte/platform/http_server.hpp"

namespace tte::controller {

struct ControllerIdentity {
  Fingerprint fingerprint;  // of the DTLS key Devices pin
  std::string coaps;        // where Devices reach it, "192.0.2.7:5684"
  std::string intake_url;   // where Introducers send message 6 (may be empty)
};

struct ApiOptions {
  std::string intake_token;
  std::string api_token;
  ControllerIdentity identity;
  std::function<std::int64_t()> clock;      // seconds since the epoch
  std::function<std::int64_t()> steady_ms;  // for long-poll deadlines
  int dashboard_refresh_seconds = 5;
};

class Api {
 public:
  Api(ApiOptions options, Registry& registry, DeviceGateway& devices, Observations& observations);

  // over_tls: the request came over HTTPS (the session cookie is then Secure).
  void handle(http::Request request, http::Respond respond, bool over_tls);
  // From a request's headers, before its body is read: 401 for the intake and
  // the API without their tokens; how much body each route may send (8 MiB for
  // a batch of notices, 2 MiB for batches of requests, 64 KiB for one Device's,
  // 16 KiB for a notice, 8 KiB for anything else).
  http::Admission admit(const http::Request& head) const;

  static constexpr std::size_t kBatchBodyLimit = 2 * 1024 * 1024;
  static constexpr std::size_t kNoticeBodyLimit = 16 * 1024;
  // The batch intake (docs/protocol.md §10.2): up to 10,000 notices, 8 MiB.
  static constexpr std::size_t kNoticeBatchBodyLimit = 8 * 1024 * 1024;
  // The most any route admits (the listeners' limit; admit() lowers it per route).
  static constexpr std::size_t kLargestBody = kNoticeBatchBodyLimit;
  // Where Introducers send message 6, once the listeners are bound (thread-safe).
  void set_intake_url(std::string url);

 private:
  bool api_authorised(const http::Request& request, bool allow_cookie) const;
  bool intake_authorised(const http::Request& request) const;
  std::string intake_url() const;
  std::string new_session();
  bool valid_session(const http::Request& request) const;
  void end_session(const http::Request& request);

  void intake(const http::Request& request, const http::Respond& respond);
  void intake_batch(const http::Request& request, const http::Respond& respond);
  void devices_route(const http::Request& request, std::string_view rest,
                     const http::Respond& respond);
  void resource(const http::Request& request, const std::string& urn, const std::string& path,
                const http::Respond& respond);
  void observe(const http::Request& request, const std::string& urn, const std::string& path,
               const http::Respond& respond);
  void batch(const http::Request& request, const http::Respond& respond);
  void bindings_route(const http::Request& request, std::string_view rest,
                      const http::Respond& respond);
  http::Response dashboard() const;

  ApiOptions options_;
  Registry& registry_;
  DeviceGateway& devices_;
  Observations& observations_;
  mutable std::mutex intake_url_mutex_;
  std::string intake_url_;  // options_.identity.intake_url until set_intake_url
  mutable std::mutex sessions_mutex_;
  std::map<std::string, std::int64_t> sessions_;  // session id -> expiry (seconds)
};

// The JSON of one device as the API shows it (never its OTP).
std::string device_json(const DeviceEntry& device);

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_API_HPP
