// Messages 7 and 8: for Devices an Introducer announced that have not joined
// yet, the Controller asks their MotherShip how far they have come
// (GET https://tte-XXXXXX.net/.well-known/tte/status?otp=..&devid=.., the
// certificate verified), backing off while nothing changes.
#ifndef TTE_CONTROLLER_MOTHERSHIP_POLLER_HPP
#define TTE_CONTROLLER_MOTHERSHIP_POLLER_HPP

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "registry.hpp"
#include "tte/platform/http_client.hpp"
#include "tte/platform/log.hpp"

namespace tte::controller {

struct PollSchedule {
  std::int64_t min_interval = 30;    // seconds: the first repeat, and after a change
  std::int64_t max_interval = 3600;  // the longest wait between two polls
};

struct PollOutcome {
  std::string state;  // unmapped, mapped, registered, revoked; empty if the poll failed
  std::string error;  // for people
  std::optional<std::int64_t> next_in;  // seconds to the next poll; absent: stop polling
};

// What a status answer means (pure). previous_state and interval are the last
// poll's; failures counts the polls that failed in a row before this one.
PollOutcome interpret_status(const http::FetchResult& result, const std::string& previous_state,
                             std::int64_t interval, int failures, const PollSchedule& schedule);

class MotherShipPoller {
 public:
  MotherShipPoller(Registry& registry, http::ClientOptions client, PollSchedule schedule,
                   Logger& logger, std::function<std::int64_t()> clock);
  ~MotherShipPoller();
  void start();
  void stop();
  void wake();  // an announcement arrived: look for due polls now

 private:
  void loop();

  Registry& registry_;
  http::ClientOptions client_;
  PollSchedule schedule_;
  Logger& logger_;
  std::function<std::int64_t()> clock_;
  std::map<Fingerprint::Bytes, std::int64_t> interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_MOTHERSHIP_POLLER_HPP
