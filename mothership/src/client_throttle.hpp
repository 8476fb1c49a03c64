// Throttling per client address (docs/protocol.md section 11): a client that
// fails too many credential checks in a minute (wrong OTPs, unknown Dev IDs,
// on any device) is refused for the rest of that minute. Each check counts as
// a failure when it starts (atomically, so parallel requests cannot pass the
// limit) and is given back when the OTP was right. In memory only: the
// per-Dev-ID limit (OtpGuard) is the persistent one.
#ifndef TTE_MOTHERSHIP_CLIENT_THROTTLE_HPP
#define TTE_MOTHERSHIP_CLIENT_THROTTLE_HPP

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace tte::mothership {

class ClientThrottle {
 public:
  // `limit` failures per `window` seconds; 0 disables the limit.
  explicit ClientThrottle(int limit, std::int64_t window = 60) : limit_(limit), window_(window) {}

  // Seconds the client must wait, or nothing if it may go on (its check then
  // counts as a failure until given back).
  std::optional<std::int64_t> take(const std::string& client, std::int64_t now);
  // The check succeeded (a right OTP), or never compared an OTP.
  void give_back(const std::string& client, std::int64_t now);

 private:
  struct Window {
    std::int64_t start = 0;
    int failures = 0;
  };
  int limit_;
  std::int64_t window_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> clients_;
};

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_CLIENT_THROTTLE_HPP
