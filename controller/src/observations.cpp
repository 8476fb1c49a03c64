#include "observations.hpp"

#include <climits>

namespace tte::controller {
namespace {

std::vector<Notification> newer_than(const std::deque<Notification>& kept, std::uint64_t after) {
  std::vector<Notification> out;
  for (const auto& n : kept) {
    if (n.seq > after) out.push_back(n);
  }
  return out;
}

}  // namespace

std::uint64_t Observations::publish(const std::string& key, Notification notification) {
  std::vector<std::pair<Answer, std::vector<Notification>>> ready;
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    Resource& resource = resources_[key];
    notification.seq = seq = resource.next_seq++;
    resource.kept.push_back(std::move(notification));
    if (resource.kept.size() > kKept) resource.kept.pop_front();
    for (auto& waiter : resource.waiters) {
      ready.emplace_back(std::move(waiter.answer), newer_than(resource.kept, waiter.after));
    }
    resource.waiters.clear();
  }
  for (auto& [answer, notifications] : ready)
    answer(std::move(notifications));  // outside the lock
  return seq;
}

void Observations::wait(const std::string& key, std::uint64_t after, std::int64_t deadline_ms,
                        Answer answer) {
  std::vector<Notification> now;
  {
    std::lock_guard lock(mutex_);
    Resource& resource = resources_[key];
    now = newer_than(resource.kept, after);
    if (now.empty()) {
      resource.waiters.push_back(Waiter{after, deadline_ms, std::move(answer)});
      return;
    }
  }
  answer(std::move(now));
}

void Observations::expire(std::int64_t now_ms) {
  std::vector<Answer> due;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, resource] : resources_) {
      for (auto it = resource.waiters.begin(); it != resource.waiters.end();) {
        if (it->deadline_ms <= now_ms) {
          due.push_back(std::move(it->answer));
          it = resource.waiters.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  for (auto& answer : due)
    answer({});
}

void Observations::release_all() {
  expire(INT64_MAX);
}

std::uint64_t Observations::latest(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = resources_.find(key);
  return it == resources_.end() || it->second.kept.empty() ? 0 : it->second.kept.back().seq;
}

}  // namespace tte::controller
