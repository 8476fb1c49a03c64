// The MotherShip's decisions, as pure functions of what the database holds and
// the time (docs/protocol.md sections 5 and 11): how many OTP checks a Dev ID
// allows, who may see a device, and what a claim does.
#ifndef TTE_MOTHERSHIP_RULES_HPP
#define TTE_MOTHERSHIP_RULES_HPP

#include <cstdint>
#include <optional>
#include <vector>

#include "tte/host/messages.hpp"

namespace tte::mothership {

// Guessing limits per Dev ID (docs/protocol.md section 11): every OTP check
// (claim, status, form) takes a slot first, from a bucket of `burst` slots
// that gains one back every `interval` seconds; a check with no slot left is
// refused (429) before any comparison, whatever the OTP. A right OTP gives its
// slot back. So at most burst + 86400 / interval OTPs (970 with the defaults)
// are tested per Dev ID per day, and a rightful owner waits at most one
// interval for the next slot.
struct GuessPolicy {
  int burst = 10;
  std::int64_t interval = 90;  // seconds
};

// One Dev ID's bucket, known or not (so that unknown Dev IDs are limited
// exactly like known ones: no oracle). `spent` slots were in use at `since`.
// Persistent, so that a restart gives no slots back.
struct ThrottleState {
  int spent = 0;
  std::int64_t since = 0;
  int emptied = 0;  // how many times the bucket ran out (for operators)

  friend bool operator==(const ThrottleState&, const ThrottleState&) = default;
};

// The state at `now`, with the slots regained since `since` given back.
ThrottleState refilled(ThrottleState state, std::int64_t now, const GuessPolicy& policy);

// Slots left at `now`.
int checks_left(const ThrottleState& state, std::int64_t now, const GuessPolicy& policy);

struct Slot {
  bool taken = false;
  ThrottleState state;           // after taking it (or refilled, when refused)
  std::int64_t retry_after = 0;  // seconds until the next slot, when refused
};

// Takes one slot at `now`, or says how long until the next one.
Slot take_slot(ThrottleState state, std::int64_t now, const GuessPolicy& policy);

// A right OTP gives back the slot its check took.
ThrottleState give_back_slot(ThrottleState state, std::int64_t now, const GuessPolicy& policy);

// What the MotherShip knows of a device, as far as the rules care.
struct DeviceStatus {
  DeviceState state;  // unmapped, mapped or registered
  bool revoked;
  bool psk_device = false;  // no key pair: its claims must carry cpsk (§13.3)
};

enum class Access {
  granted,         // the OTP is right
  not_authorized,  // unknown Dev ID or wrong OTP
};

// Whether presented credentials open the device's records (after a slot was
// taken). `device` is absent for an unknown Dev ID; `otp_matches` is
// meaningless then.
Access check_access(const std::optional<DeviceStatus>& device, bool otp_matches);

enum class ClaimOutcome {
  mapped,          // 200: stored
  already_used,    // 409
  revoked,         // 410
  not_authorized,  // 403 (its slot stays spent)
  locked,          // 429: no slot left, the OTP was not compared
  psk_required,    // 400 (tte-psk-required): a PSK Device's claim without cpsk; nothing stored
};

const char* claim_outcome_name(ClaimOutcome outcome);

// The outcome of a claim (message 4) whose check took a slot.
// carries_psk: the claim holds cpsk. A PSK Device cannot use a Controller it
// shares no PSK with, so mapping it without one is refused (after the OTP was
// found right: it says nothing to a guesser).
ClaimOutcome decide_claim(const std::optional<DeviceStatus>& device, bool otp_matches,
                          bool carries_psk = false);

// Bulk enrollment (docs/protocol.md section 13.2): one Device of a box claim,
// after its check tried to take a slot from the Device's own bucket.
struct BoxMember {
  bool slot_taken = false;
  std::optional<DeviceStatus> device;  // absent: unknown Dev ID
  bool otp_matches = false;            // the box key's OTP against the stored digest
};

struct BoxDecision {
  // mapped (all of them), already_used (409), not_authorized (403) or locked (429).
  ClaimOutcome outcome = ClaimOutcome::not_authorized;
  // already_used: the members (indexes) that are mapped, registered or revoked.
  std::vector<std::size_t> used;
  // Members whose slot goes back: all of them but the first refused one on a
  // 403 (a box claim is one guess of one key), and all of them otherwise.
  std::vector<bool> give_back;
};

// The outcome of a box claim, all or none: any member without a slot locks
// the box (nothing compared); then any unknown Dev ID or wrong OTP refuses it
// as a single claim's 403 (no oracle: which member failed is not told), one
// slot kept spent, the first refused member's; then
// any member already mapped, registered or revoked is a 409 naming exactly
// those; else every member is mapped.
BoxDecision decide_box_claim(const std::vector<BoxMember>& members);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_RULES_HPP
