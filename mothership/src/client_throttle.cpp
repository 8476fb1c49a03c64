#include "client_throttle.hpp"

namespace tte::mothership {

std::optional<std::int64_t> ClientThrottle::take(const std::string& client, std::int64_t now) {
  if (limit_ <= 0) return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  // Forget expired windows now and then, so the map holds only recent clients.
  if (clients_.size() > 100000) {
    for (auto it = clients_.begin(); it != clients_.end();) {
      it = now - it->second.start >= window_ ? clients_.erase(it) : std::next(it);
    }
  }
  Window& w = clients_[client];
  if (now - w.start >= window_ || now < w.start) w = Window{now, 0};
  if (w.failures >= limit_) return w.start + window_ - now;
  w.failures += 1;
  return std::nullopt;
}

void ClientThrottle::give_back(const std::string& client, std::int64_t now) {
  if (limit_ <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = clients_.find(client);
  if (it != clients_.end() && now - it->second.start < window_ && it->second.failures > 0)
    it->second.failures -= 1;
}

}  // namespace tte::mothership
