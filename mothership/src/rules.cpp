#include "rules.hpp"

#include <algorithm>

namespace tte::mothership {

std::optional<std::int64_t> locked_for(const ThrottleState& state, std::int64_t now) {
  if (state.locked_until > now) return state.locked_until - now;
  return std::nullopt;
}

ThrottleState after_failure(ThrottleState state, std::int64_t now, const ThrottlePolicy& policy) {
  if (now - state.window_start >= policy.window || now < state.window_start) {
    state.window_start = now;
    state.failures = 0;
  }
  state.failures += 1;
  if (state.failures >= policy.max_failures) {
    std::int64_t lock = policy.first_lock;
    for (int i = 0; i < state.locks && lock < policy.max_lock; ++i)
      lock *= 2;
    lock = std::min(lock, policy.max_lock);
    state.locked_until = now + lock;
    state.locks += 1;
    state.failures = 0;
    state.window_start = now;
  }
  return state;
}

Access check_access(const std::optional<DeviceStatus>& device, bool otp_matches,
                    const ThrottleState& throttle, std::int64_t now) {
  if (locked_for(throttle, now)) return Access::locked;
  if (!device || !otp_matches) return Access::not_authorized;
  return Access::granted;
}

const char* claim_outcome_name(ClaimOutcome outcome) {
  switch (outcome) {
    case ClaimOutcome::mapped:
      return "mapped";
    case ClaimOutcome::already_used:
      return "already_used";
    case ClaimOutcome::revoked:
      return "revoked";
    case ClaimOutcome::not_authorized:
      return "not_authorized";
    case ClaimOutcome::locked:
      return "locked";
  }
  return "unknown";
}

ClaimOutcome decide_claim(const std::optional<DeviceStatus>& device, bool otp_matches,
                          const ThrottleState& throttle, std::int64_t now) {
  switch (check_access(device, otp_matches, throttle, now)) {
    case Access::locked:
      return ClaimOutcome::locked;
    case Access::not_authorized:
      return ClaimOutcome::not_authorized;
    case Access::granted:
      break;
  }
  if (device->revoked) return ClaimOutcome::revoked;
  if (device->state != DeviceState::unmapped) return ClaimOutcome::already_used;
  return ClaimOutcome::mapped;
}

}  // namespace tte::mothership
