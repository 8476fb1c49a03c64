#include "otp_guard.hpp"

namespace tte::mothership {

OtpGuard::OtpGuard(GuessPolicy policy, Load load, std::size_t max_buckets)
    : policy_(policy), load_(std::move(load)), max_buckets_(max_buckets) {}

OtpGuard::OtpGuard(GuessPolicy policy, Load load, SharedBuckets shared)
    : policy_(policy), load_(std::move(load)), max_buckets_(0), shared_(std::move(shared)) {}

OtpGuard::Result OtpGuard::take(DevId dev_id, std::int64_t now) {
  if (shared_) {
    std::optional<Slot> slot = shared_->take(dev_id, now);
    if (!slot) return Result{Verdict::unavailable, {}, 0};
    return Result{slot->taken ? Verdict::taken : Verdict::no_slot, slot->state, slot->retry_after};
  }
  const std::uint32_t key = dev_id.value();
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    known = buckets_.count(key) != 0;
  }
  std::optional<ThrottleState> stored;
  if (!known) {
    // Read outside the lock; if another thread got there first, its bucket wins.
    stored = load_(dev_id);
    if (!stored) return Result{Verdict::unavailable, {}, 0};
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_buckets_ && now != last_sweep_) {
      last_sweep_ = now;  // at most one sweep a second
      forget_full_buckets(now);
    }
    if (buckets_.size() >= max_buckets_) return Result{Verdict::unavailable, {}, 0};
    it = buckets_.emplace(key, stored.value_or(ThrottleState{})).first;
  }
  Slot slot = take_slot(it->second, now, policy_);
  it->second = slot.state;
  if (!slot.taken) return Result{Verdict::no_slot, slot.state, slot.retry_after};
  return Result{Verdict::taken, slot.state, 0};
}

void OtpGuard::give_back(DevId dev_id, std::int64_t now) {
  if (shared_) return shared_->give_back(dev_id, now);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(dev_id.value());
  if (it != buckets_.end()) it->second = give_back_slot(it->second, now, policy_);
}

OtpGuard::BoxResult OtpGuard::take_box(DevId first, std::uint32_t count, std::int64_t now) {
  BoxResult box;
  if (shared_) {
    auto slots = shared_->take_box(first, count, now);
    if (!slots) return box;  // unavailable
    for (const Slot& slot : *slots) {
      if (!slot.taken) {
        box.verdict = Verdict::no_slot;
        box.retry_after = slot.retry_after;
        box.states.clear();
        return box;
      }
      box.states.push_back(slot.state);
    }
    box.verdict = Verdict::taken;
    return box;
  }
  box.states.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    Result slot = take(DevId(first.value() + i), now);
    if (slot.verdict == Verdict::taken) {
      box.states.push_back(slot.state);
      continue;
    }
    // No OTP was compared: every slot taken so far goes back.
    for (std::uint32_t k = 0; k < i; ++k)
      give_back(DevId(first.value() + k), now);
    box.verdict = slot.verdict;
    box.retry_after = slot.retry_after;
    box.states.clear();
    return box;
  }
  box.verdict = Verdict::taken;
  return box;
}

void OtpGuard::give_back_box(DevId first, const std::vector<bool>& which, std::int64_t now) {
  if (shared_) return shared_->give_back_box(first, which, now);
  for (std::uint32_t i = 0; i < which.size(); ++i) {
    if (which[i]) give_back(DevId(first.value() + i), now);
  }
}

std::optional<ThrottleState> OtpGuard::peek(DevId dev_id) const {
  if (shared_) return load_(dev_id);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(dev_id.value());
  if (it == buckets_.end()) return std::nullopt;
  return it->second;
}

std::size_t OtpGuard::buckets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

// A bucket that has refilled holds nothing the database does not: it is
// dropped, and read again if its Dev ID comes back.
void OtpGuard::forget_full_buckets(std::int64_t now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = refilled(it->second, now, policy_).spent == 0 ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace tte::mothership
