// The MotherShip's public HTTPS interface (docs/protocol.md section 5): the
// form page, the claim (message 4/5) and the status query (messages 7/8).
// Handlers take a request and answer through a callback; they never touch a
// socket, so they are tested without one.
#ifndef TTE_MOTHERSHIP_PUBLIC_API_HPP
#define TTE_MOTHERSHIP_PUBLIC_API_HPP

#include <string>

#include "client_throttle.hpp"
#include "read_pool.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/platform/http.hpp"
#include "writer.hpp"

namespace tte::mothership {

// Builds an RFC 9457 problem response. `type` is the TTE problem name
// ("otp-used") or empty for about:blank.
http::Response problem_response(int status, const std::string& type, const std::string& title,
                                const std::string& detail, const std::string& field = "",
                                const std::optional<StateObject>& device = std::nullopt);

struct PublicApiOptions {
  MsId::Host host;  // tte-XXXXXX.net
  OtpHasher hasher;
  Clock clock;
};

class PublicApi {
 public:
  PublicApi(PublicApiOptions options, ReadPool& reads, Writer& writer, ClientThrottle& clients);

  void handle(const http::Request& request, http::Respond respond);

 private:
  void claim(const http::Request& request, http::Respond respond);
  void status(const http::Request& request, http::Respond respond);
  void form(const http::Request& request, http::Respond respond);
  http::Response health();
  struct Checked {
    Access access = Access::not_authorized;
    std::optional<DeviceRecord> device;
    std::int64_t retry_after = 0;
    bool storage_failed = false;
  };
  // Reads the device and its throttling state and checks the OTP against them.
  Checked check_credentials(const DeviceCredentials& credentials, std::int64_t now);
  // Records a failed credential check, then answers 403 once it is stored.
  void refuse(const http::Request& request, DevId dev_id, bool html, http::Respond respond);

  http::Response not_authorized(bool html) const;
  http::Response locked(bool html, std::int64_t retry_after) const;
  http::Response unavailable(bool html) const;
  http::Response bad_request(bool html, const Error& error) const;
  http::Response page(int status, std::string html) const;

  PublicApiOptions options_;
  std::string host_;
  ReadPool& reads_;
  Writer& writer_;
  ClientThrottle& clients_;
};

// Headers every MotherShip response carries (no caching, no referrer: URLs hold OTPs).
void add_security_headers(http::Response& response);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_PUBLIC_API_HPP
