// The per-Dev-ID limit on OTP checks (rules.hpp, GuessPolicy), shared by every
// request path and thread: a check takes its slot here, atomically, before any
// OTP is compared, so parallel requests cannot test more OTPs than the bucket
// allows. The buckets live in memory; each starts from the state the database
// holds (read once per Dev ID by `load`), and a failed check's state is stored
// by the caller (through the writer), so that a restart gives nothing back.
//
// On a database several instances share (PostgreSQL), the buckets live in the
// database instead (SharedBuckets: Store::take_shared_slot), so that the limit
// holds across all of them; nothing is kept in memory then.
#ifndef TTE_MOTHERSHIP_OTP_GUARD_HPP
#define TTE_MOTHERSHIP_OTP_GUARD_HPP

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "rules.hpp"
#include "tte/identifiers.hpp"

namespace tte::mothership {

class OtpGuard {
 public:
  // The stored state of a Dev ID; nothing when the database cannot be read
  // (the check is then refused as unavailable).
  using Load = std::function<std::optional<ThrottleState>(DevId)>;

  // The buckets in the database: take answers nothing when it cannot be read
  // or written (the check is then refused as unavailable).
  struct SharedBuckets {
    std::function<std::optional<Slot>(DevId, std::int64_t now)> take;
    std::function<void(DevId, std::int64_t now)> give_back;
    // A box's at once (Store::take_shared_slots, give_back_shared_slots).
    std::function<std::optional<std::vector<Slot>>(DevId first, std::uint32_t count,
                                                   std::int64_t now)>
        take_box;
    std::function<void(DevId first, const std::vector<bool>& which, std::int64_t now)>
        give_back_box;
  };

  // Buckets are dropped once refilled; at max_buckets (about 64 bytes each),
  // a Dev ID with no bucket yet is refused as unavailable.
  OtpGuard(GuessPolicy policy, Load load, std::size_t max_buckets = 200'000);
  OtpGuard(GuessPolicy policy, Load load, SharedBuckets shared);

  enum class Verdict { taken, no_slot, unavailable };
  struct Result {
    Verdict verdict = Verdict::unavailable;
    ThrottleState state;           // after the slot was taken: store it when the OTP is wrong
    std::int64_t retry_after = 0;  // no_slot: seconds until the next slot
  };
  Result take(DevId dev_id, std::int64_t now);
  // The OTP was right: its slot is given back.
  void give_back(DevId dev_id, std::int64_t now);

  // A box, Devices first .. first + count - 1: a slot of each, all or none.
  // taken: `states` holds each member's bucket after it (store them when the
  // claim is refused); no_slot: retry_after is the refused member's.
  struct BoxResult {
    Verdict verdict = Verdict::unavailable;
    std::vector<ThrottleState> states;
    std::int64_t retry_after = 0;
  };
  BoxResult take_box(DevId first, std::uint32_t count, std::int64_t now);
  // Gives back the slots of the members `which` marks (which[i]: Device first + i).
  void give_back_box(DevId first, const std::vector<bool>& which, std::int64_t now);
  // The bucket as it stands (for the admin API); nothing if never touched here
  // (shared buckets: as the database holds it).
  std::optional<ThrottleState> peek(DevId dev_id) const;
  std::size_t buckets() const;
  const GuessPolicy& policy() const { return policy_; }

 private:
  void forget_full_buckets(std::int64_t now);

  GuessPolicy policy_;
  Load load_;
  std::size_t max_buckets_;
  mutable std::mutex mutex_;
  std::unordered_map<std::uint32_t, ThrottleState> buckets_;
  std::int64_t last_sweep_ = 0;
  std::optional<SharedBuckets> shared_;
};

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_OTP_GUARD_HPP
