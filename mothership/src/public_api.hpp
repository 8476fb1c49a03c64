// The MotherShip's public HTTPS interface (docs/protocol.md section 5): the
// form page, the claim (message 4/5) and the status query (messages 7/8).
// Handlers take a request and answer through a callback; they never touch a
// socket, so they are tested without one.
#ifndef TTE_MOTHERSHIP_PUBLIC_API_HPP
#define TTE_MOTHERSHIP_PUBLIC_API_HPP

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "client_throttle.hpp"
#include "otp_guard.hpp"
#include "read_pool.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/platform/http.hpp"
#include "tte/query.hpp"
#include "writer.hpp"

namespace tte::mothership {

// Builds an RFC 9457 problem response. `type` is the TTE problem name
// ("otp-used") or empty for about:blank.
http::Response problem_response(int status, const std::string& type, const std::string& title,
                                const std::string& detail, const std::string& field = "",
                                const std::optional<StateObject>& device = std::nullopt,
                                const std::vector<StateObject>& devices = {});

struct PublicApiOptions {
  MsId::Host host;  // tte-XXXXXX.net
  OtpHasher hasher;
  Clock clock;
};

// A box claim counted in flight until release() (or its end).
struct BoxInFlight {
  explicit BoxInFlight(std::atomic<int>& count) : count_(count) {}
  ~BoxInFlight() { release(); }
  BoxInFlight(const BoxInFlight&) = delete;
  BoxInFlight& operator=(const BoxInFlight&) = delete;
  void release() {
    if (!released_.exchange(true)) count_.fetch_sub(1);
  }

 private:
  std::atomic<int>& count_;
  std::atomic<bool> released_{false};
};

class PublicApi {
 public:
  PublicApi(PublicApiOptions options, ReadPool& reads, Writer& writer, ClientThrottle& clients,
            OtpGuard& guard);

  void handle(const http::Request& request, http::Respond respond);

 private:
  void claim(const http::Request& request, http::Respond respond);
  void status(const http::Request& request, http::Respond respond);
  void form(const http::Request& request, http::Respond respond);
  // Bulk enrollment (docs/protocol.md section 13.2).
  void box_claim(const http::Request& request, http::Respond respond);
  void box_form(const http::Request& request, http::Respond respond);
  // One slot per member, from the client's limit once, then each Dev ID's bucket.
  // Otherwise the answer to send (429 or 503): every slot taken is given back.
  // A box's check slots are held while it is decided (up to 10,000 Dev IDs'
  // each): at most kBoxesInFlight at once per instance, so that boxes in flight
  // (wrong keys from an attacker) cannot hold every slot of their members.
  // in_flight: held until the box is answered.
  std::optional<http::Response> take_box_slots(const http::Request& request,
                                               const BoxCredentials& box, bool html,
                                               std::vector<ThrottleState>* after,
                                               std::shared_ptr<BoxInFlight>* in_flight);
  // Gives back the members' slots that `give_back` marks, and the client's if `client_too`.
  void give_back_box(const std::string& client, const BoxCredentials& box,
                     const std::vector<bool>& give_back, bool client_too);
  // The presented OTPs' digests, in Dev ID order.
  std::vector<OtpDigest> box_digests(const BoxCredentials& box) const;
  http::Response health();
  // A slot for one OTP check: from the client's limit, then the Dev ID's.
  // Otherwise the answer to send (429 or 503), and nothing was compared.
  std::optional<http::Response> take_slot(const http::Request& request, DevId dev_id, bool html,
                                          ThrottleState* after);
  struct Checked {
    Access access = Access::not_authorized;
    std::optional<DeviceRecord> device;
    bool storage_failed = false;
  };
  // Reads the device and checks the OTP (after take_slot).
  Checked check_credentials(const DeviceCredentials& credentials);
  // A right OTP: the slots its check took are given back.
  void give_back(const std::string& client, DevId dev_id);
  // Stores the Dev ID's bucket after a failed check, then answers 403.
  void refuse(DevId dev_id, const ThrottleState& after, bool html, http::Respond respond);

  http::Response not_authorized(bool html) const;
  http::Response locked(bool html, std::int64_t retry_after) const;
  http::Response unavailable(bool html) const;  // the database: Retry-After 5
  http::Response unavailable(bool html, const char* page_text, const char* detail,
                             int retry_after) const;
  http::Response bad_request(bool html, const Error& error) const;
  http::Response page(int status, std::string html) const;

  PublicApiOptions options_;
  std::string host_;
  ReadPool& reads_;
  Writer& writer_;
  ClientThrottle& clients_;
  OtpGuard& guard_;
  static constexpr int kBoxesInFlight = 2;
  std::atomic<int> boxes_in_flight_{0};
};

// Headers every MotherShip response carries (no caching, no referrer: URLs hold OTPs).
void add_security_headers(http::Response& response);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_PUBLIC_API_HPP
