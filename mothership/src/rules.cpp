#include "rules.hpp"

#include <algorithm>

namespace tte::mothership {

ThrottleState refilled(ThrottleState state, std::int64_t now, const GuessPolicy& policy) {
  if (state.spent <= 0 || now < state.since) {
    // Nothing spent, or a clock that went back: start from here.
    state.spent = std::max(state.spent, 0);
    if (state.spent == 0 || now < state.since) state.since = now;
    return state;
  }
  const std::int64_t interval = std::max<std::int64_t>(policy.interval, 1);
  const std::int64_t regained = (now - state.since) / interval;
  if (regained >= state.spent) {
    state.spent = 0;
    state.since = now;
  } else {
    state.spent -= static_cast<int>(regained);
    state.since += regained * interval;
  }
  return state;
}

int checks_left(const ThrottleState& state, std::int64_t now, const GuessPolicy& policy) {
  return std::max(policy.burst - refilled(state, now, policy).spent, 0);
}

Slot take_slot(ThrottleState state, std::int64_t now, const GuessPolicy& policy) {
  Slot slot;
  slot.state = refilled(state, now, policy);
  if (slot.state.spent < policy.burst) {
    slot.taken = true;
    slot.state.spent += 1;
    if (slot.state.spent == policy.burst) slot.state.emptied += 1;
    return slot;
  }
  slot.retry_after = std::max<std::int64_t>(
      slot.state.since + std::max<std::int64_t>(policy.interval, 1) - now, 1);
  return slot;
}

ThrottleState give_back_slot(ThrottleState state, std::int64_t now, const GuessPolicy& policy) {
  state = refilled(state, now, policy);
  if (state.spent > 0) state.spent -= 1;
  if (state.spent == 0) state.since = now;
  return state;
}

Access check_access(const std::optional<DeviceStatus>& device, bool otp_matches) {
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
    case ClaimOutcome::psk_required:
      return "psk_required";
  }
  return "unknown";
}

ClaimOutcome decide_claim(const std::optional<DeviceStatus>& device, bool otp_matches,
                          bool carries_psk) {
  if (check_access(device, otp_matches) == Access::not_authorized)
    return ClaimOutcome::not_authorized;
  if (device->revoked) return ClaimOutcome::revoked;
  if (device->state != DeviceState::unmapped) return ClaimOutcome::already_used;
  if (device->psk_device && !carries_psk) return ClaimOutcome::psk_required;
  return ClaimOutcome::mapped;
}

BoxDecision decide_box_claim(const std::vector<BoxMember>& members) {
  BoxDecision decision;
  decision.give_back.assign(members.size(), false);
  for (const BoxMember& member : members) {
    if (!member.slot_taken) {
      decision.outcome = ClaimOutcome::locked;
      decision.give_back.assign(members.size(), true);
      return decision;
    }
  }
  bool authorized = !members.empty();
  for (std::size_t i = 0; i < members.size(); ++i) {
    const bool right = check_access(members[i].device, members[i].otp_matches) == Access::granted;
    decision.give_back[i] = right;
    authorized = authorized && right;
  }
  if (!authorized) {
    // A refused box claim is one guess of one box key: it keeps one slot
    // spent, the first refused member's, and gives the others back. Keeping
    // every wrong member's slot let one request drain 10,000 Dev IDs' buckets
    // (a rightful owner of any of them then waited, and the store wrote 10,000
    // buckets), which a black-box test showed.
    bool kept = false;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (decision.give_back[i]) continue;
      if (kept) decision.give_back[i] = true;
      kept = true;
    }
    decision.outcome = ClaimOutcome::not_authorized;
    return decision;
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    const DeviceStatus& device = *members[i].device;
    if (device.revoked || device.state != DeviceState::unmapped) decision.used.push_back(i);
  }
  decision.outcome = decision.used.empty() ? ClaimOutcome::mapped : ClaimOutcome::already_used;
  return decision;
}

}  // namespace tte::mothership
