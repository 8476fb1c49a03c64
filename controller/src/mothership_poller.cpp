#include "mothership_poller.hpp"

#include <algorithm>

#include "tte/host/messages.hpp"

namespace tte::controller {

// Message 8 (draft §2, §3.2; docs/protocol.md §5.4, §6): the MotherShip's answer to a status query.
PollOutcome interpret_status(const http::FetchResult& result, const std::string& previous_state,
                             std::int64_t interval, int failures, const PollSchedule& schedule) {
  PollOutcome outcome;
  auto backoff = [&] {
    std::int64_t wait = schedule.min_interval;
    for (int i = 0; i < failures + 1 && wait < schedule.max_interval; ++i)
      wait *= 2;
    return std::min(wait, schedule.max_interval);
  };
  if (!result.ok()) {
    outcome.error = result.error;
    outcome.next_in = backoff();
    return outcome;
  }
  const http::Response& response = result.response;
  if (response.status == 200) {
    auto state = StateObject::from_json(response.body);
    if (!state.ok()) {
      outcome.error = "the MotherShip's answer is not a state object";
      outcome.next_in = backoff();
      return outcome;
    }
    outcome.state = device_state_name(state->state);
    if (outcome.state == "registered" || outcome.state == "revoked")
      return outcome;  // nothing more to learn
    outcome.next_in =
        outcome.state != previous_state
            ? schedule.min_interval
            : std::min(std::max(interval, schedule.min_interval) * 2, schedule.max_interval);
    return outcome;
  }
  switch (response.status) {
    case 403:
      outcome.error =
          "the MotherShip does not recognise the device (the notice's Dev ID or OTP is wrong)";
      return outcome;  // asking again will not help
    case 410:
      outcome.state = "revoked";
      return outcome;
    case 429: {
      std::int64_t wait = schedule.min_interval;
      if (auto retry = response.header("Retry-After"))
        wait = std::max<std::int64_t>(wait, std::atoll(std::string(*retry).c_str()));
      outcome.error = "throttled by the MotherShip";
      outcome.next_in = std::min(wait, schedule.max_interval * 24);
      return outcome;
    }
    default:
      outcome.error = "the MotherShip answered HTTP " + std::to_string(response.status);
      outcome.next_in = backoff();
      return outcome;
  }
}

MotherShipPoller::MotherShipPoller(Registry& registry, http::ClientOptions client,
                                   PollSchedule schedule, Logger& logger,
                                   std::function<std::int64_t()> clock)
    : registry_(registry),
      client_(std::move(client)),
      schedule_(schedule),
      logger_(logger),
      clock_(std::move(clock)) {}

MotherShipPoller::~MotherShipPoller() {
  stop();
}

void MotherShipPoller::start() {
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void MotherShipPoller::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    woken_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MotherShipPoller::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

// Message 7 (draft §2; docs/protocol.md §5.4): the status queries, each announced Device's
// when it is due; message 8 is the answer (interpret_status).
void MotherShipPoller::loop() {
  while (running_.load()) {
    const std::int64_t now = clock_();
    for (const auto& task : registry_.due_polls(now)) {
      if (!running_.load()) return;
      const std::string url = "https://" + task.mothership + "/.well-known/tte/status?otp=" +
                              std::string(task.otp.to_string().view()) +
                              "&devid=" + std::string(task.dev_id.to_string().view());
      http::FetchResult result =
          http::fetch("GET", url, {{"Accept", "application/json"}}, "", client_);
      std::int64_t& interval = interval_[task.key.bytes()];
      PollOutcome outcome =
          interpret_status(result, task.state, interval, task.failures, schedule_);
      if (outcome.next_in) interval = *outcome.next_in;
      const std::int64_t done = clock_();
      registry_.poll_result(
          task.key, outcome.state, outcome.error, done,
          outcome.next_in ? std::optional<std::int64_t>(done + *outcome.next_in) : std::nullopt);
      logger_.info("status", {{"mothership", task.mothership},
                              {"devid", std::string(task.dev_id.to_string().view())},
                              {"state", outcome.state.empty() ? "-" : outcome.state},
                              {"error", outcome.error},
                              {"next_in", outcome.next_in ? *outcome.next_in : -1}});
    }
    std::unique_lock lock(mutex_);
    auto next = registry_.next_poll_at();
    auto wait = std::chrono::seconds(next ? std::clamp<std::int64_t>(*next - clock_(), 0, 60) : 60);
    if (next && *next <= clock_())
      wait = std::chrono::seconds(1);  // due but not picked up: avoid spinning
    wake_.wait_for(lock, wait, [this] { return woken_; });
    woken_ = false;
  }
}

}  // namespace tte::controller
