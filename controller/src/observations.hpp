// Notifications from observed Device resources (RFC 7641), kept for the HTTP
// API's long polls: `GET .../observe/switch?after=N` answers with every
// notification newer than N, or waits for the next one. Thread-safe: the CoAP
// thread publishes, HTTP threads wait.
#ifndef TTE_CONTROLLER_OBSERVATIONS_HPP
#define TTE_CONTROLLER_OBSERVATIONS_HPP

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tte::controller {

struct Notification {
  std::uint64_t seq = 0;  // per resource, from 1
  std::int64_t time = 0;  // seconds since the epoch
  int code = 0;           // CoAP code, class * 32 + detail (2.05 = 69)
  std::optional<unsigned> content_format;
  std::string payload;
};

class Observations {
 public:
  using Answer = std::function<void(std::vector<Notification>)>;
  static constexpr std::size_t kKept = 64;  // notifications kept per resource

  static std::string key(const std::string& urn, const std::string& path) {
    return urn + '\n' + path;
  }

  // Stores a notification (assigning its seq) and answers the waiting polls.
  std::uint64_t publish(const std::string& key, Notification notification);
  // Answers at once with the notifications newer than `after` (oldest first),
  // or keeps `answer` until one arrives or `deadline` passes (then empty).
  void wait(const std::string& key, std::uint64_t after, std::int64_t deadline_ms, Answer answer);
  // Answers the polls whose deadline has passed. `now_ms`: steady milliseconds.
  void expire(std::int64_t now_ms);
  // Answers every waiting poll (shutdown).
  void release_all();
  std::uint64_t latest(const std::string& key) const;

 private:
  struct Waiter {
    std::uint64_t after;
    std::int64_t deadline_ms;
    Answer answer;
  };
  struct Resource {
    std::uint64_t next_seq = 1;
    std::deque<Notification> kept;
    std::vector<Waiter> waiters;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Resource> resources_;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_OBSERVATIONS_HPP
