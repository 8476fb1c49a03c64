// The MotherShip's decisions, as pure functions of what the database holds and
// the time (docs/protocol.md sections 5 and 11): who may check an OTP, when a
// Dev ID is locked, and what a claim does.
#ifndef TTE_MOTHERSHIP_RULES_HPP
#define TTE_MOTHERSHIP_RULES_HPP

#include <cstdint>
#include <optional>

#include "tte/host/messages.hpp"

namespace tte::mothership {

// Guessing limits per Dev ID.
struct ThrottlePolicy {
  int max_failures = 10;           // wrong OTPs per window before the Dev ID locks
  std::int64_t window = 3600;      // seconds over which failures count
  std::int64_t first_lock = 3600;  // seconds; each further lock doubles it
  std::int64_t max_lock = 86400;   // seconds; the longest lock
};

// Failed attempts for one Dev ID, known or not (so that unknown Dev IDs lock
// exactly like known ones: no oracle). Persistent.
struct ThrottleState {
  int failures = 0;
  std::int64_t window_start = 0;
  std::int64_t locked_until = 0;
  int locks = 0;

  friend bool operator==(const ThrottleState&, const ThrottleState&) = default;
};

// Seconds until the lock lapses, or nothing if the Dev ID is not locked at `now`.
std::optional<std::int64_t> locked_for(const ThrottleState& state, std::int64_t now);

// The state after one more failed attempt at `now`: failures count within a
// window; reaching max_failures locks the Dev ID for first_lock * 2^locks
// (capped at max_lock) and starts a new window.
ThrottleState after_failure(ThrottleState state, std::int64_t now, const ThrottlePolicy& policy);

// What the MotherShip knows of a device, as far as the rules care.
struct DeviceStatus {
  DeviceState state;  // unmapped, mapped or registered
  bool revoked;
};

enum class Access {
  granted,         // the OTP is right and the Dev ID is not locked
  not_authorized,  // unknown Dev ID or wrong OTP (counts as a failure)
  locked,          // too many failures: refused whatever the OTP
};

// Whether presented credentials open the device's records. `device` is absent
// for an unknown Dev ID; `otp_matches` is meaningless then.
Access check_access(const std::optional<DeviceStatus>& device, bool otp_matches,
                    const ThrottleState& throttle, std::int64_t now);

enum class ClaimOutcome {
  mapped,          // 200: stored
  already_used,    // 409
  revoked,         // 410
  not_authorized,  // 403 (counts as a failure)
  locked,          // 429
};

const char* claim_outcome_name(ClaimOutcome outcome);

// The outcome of a claim (message 4).
ClaimOutcome decide_claim(const std::optional<DeviceStatus>& device, bool otp_matches,
                          const ThrottleState& throttle, std::int64_t now);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_RULES_HPP
