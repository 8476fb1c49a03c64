// The MotherShip's single writer: every change to the database goes through
// one thread that commits in groups (docs/protocol.md section 11).
//
// Requests queue jobs; the writer takes all that are waiting, runs them in one
// transaction (each in its own savepoint, so one failing job does not undo the
// others), appends their audit entries to the chain at the end, commits (one
// fsync for the group) and only then calls each job's `done`. On PostgreSQL the
// audit chain's lock is held only for that end, so that the instances sharing the
// database take turns for as little as they can. A claim's answer is therefore never sent before
// the claim is on disk, and throughput grows with concurrency instead of
// being capped at one fsync per claim.
#ifndef TTE_MOTHERSHIP_WRITER_HPP
#define TTE_MOTHERSHIP_WRITER_HPP

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "rules.hpp"
#include "store.hpp"
#include "tte/platform/log.hpp"

namespace tte::mothership {

using Clock = std::function<std::int64_t()>;  // seconds since the epoch

struct ClaimResult {
  ClaimOutcome outcome = ClaimOutcome::not_authorized;
  std::optional<StateObject> device;  // for mapped and already_used
  bool storage_failed = false;        // nothing was decided: answer 503
};

// Message 4. The OTP arrives as its digest, computed by the request's thread.
struct ClaimJob {
  DevId dev_id{0};
  OtpDigest presented;
  ControllerBinding controller;
  std::string description;
  std::string client;
  // The Dev ID's bucket after this check took its slot, stored if the OTP is wrong.
  ThrottleState throttle;
  std::function<void(ClaimResult)> done;
};

// Bulk enrollment (docs/protocol.md section 13.2): a whole box, all or none.
struct BoxClaimResult {
  ClaimOutcome outcome = ClaimOutcome::not_authorized;  // mapped, already_used or not_authorized
  // mapped: every Device of the box; already_used: those already used or revoked.
  std::vector<StateObject> devices;
  // Per member: whose slot goes back (decide_box_claim).
  std::vector<bool> give_back;
  bool storage_failed = false;  // nothing was decided: answer 503 (and give every slot back)
};

// A box claim, after every member took a slot. The OTPs arrive as digests.
struct BoxClaimJob {
  DevId first{0};
  std::uint32_t count = 0;
  std::vector<OtpDigest> presented;     // per member, in Dev ID order
  std::vector<ThrottleState> throttle;  // per member, after its slot: stored if its OTP is wrong
  ControllerBinding controller;
  std::string description;
  std::string client;
  std::function<void(BoxClaimResult)> done;
};

// A wrong OTP or unknown Dev ID seen outside a claim (status query, form
// page): the Dev ID's bucket after the check, to store.
struct FailureJob {
  DevId dev_id;
  ThrottleState throttle;
  std::function<void(bool stored)> done;
};

// The box form page's failed check: the buckets to store, per Dev ID.
struct BoxFailureJob {
  std::vector<std::pair<DevId, ThrottleState>> throttles;
  std::function<void(bool stored)> done;
};

// The MotherShip answered a Device with its Controller (message 10).
struct RegisteredJob {
  DevId dev_id;
};

// An administrator revokes or un-revokes a device.
struct RevocationJob {
  DevId dev_id;
  bool revoke;
  std::string actor;
  std::function<void(Result<std::optional<DeviceRecord>>)> done;  // nullopt: no such device
};

// The factory adds devices (all or none).
struct ImportJob {
  std::vector<FactoryRecord> records;
  std::string actor;
  // On a duplicate, `which` names the record that is already there.
  std::function<void(Status status, std::string which)> done;
};

using Job = std::variant<ClaimJob, FailureJob, RegisteredJob, RevocationJob, ImportJob, BoxClaimJob,
                         BoxFailureJob>;

// PostgreSQL's PGPROC_MAX_CACHED_SUBXIDS: the subtransactions (one per job that
// writes) a transaction may have before others' snapshots slow down.
inline constexpr std::size_t kMaxSubtransactions = 64;

struct WriterOptions {
  // Jobs per transaction; on PostgreSQL at most kMaxSubtransactions.
  std::size_t max_batch = 512;
  // Seals PSK Devices' factory PSKs on import; without it PSK records are refused.
  std::optional<PskSealer> psk_sealer = std::nullopt;
};

class Writer {
 public:
  Writer(const std::string& database, OtpHasher hasher, Clock clock, Logger& logger,
         WriterOptions options = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Thread-safe. After stop(), jobs are refused (their `done` gets a storage failure).
  void submit(Job job);
  // Finishes every queued job, then stops the thread.
  void stop();

  // Counters for benchmarks and logs.
  std::uint64_t transactions() const { return transactions_; }
  std::uint64_t jobs() const { return jobs_; }
  // The database is shared by several instances (PostgreSQL).
  bool shared() const { return store_.shared(); }

 private:
  void run();
  std::size_t batch_limit() const;
  Status record_failure(DevId dev_id, const ThrottleState& state);
  void process_batch(std::deque<Job>& batch);
  // Runs one job inside the open transaction; returns the callback to run after commit.
  // Its audit entries join `audit`, appended to the chain when the batch commits.
  std::function<void(bool committed)> apply(Job& job, std::vector<AuditEntry>& audit,
                                            std::int64_t now);
  // The box claim inside apply's savepoint; nullopt: a storage error (undo and fail).
  std::optional<std::function<void(bool)>> apply_box(BoxClaimJob& box,
                                                     std::vector<AuditEntry>& audit,
                                                     std::int64_t now);

  Store store_;
  OtpHasher hasher_;
  Clock clock_;
  Logger& logger_;
  WriterOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  RepeatLimiter begin_failures_;  // the database is down: one line a second
  std::uint64_t transactions_ = 0;
  std::uint64_t jobs_ = 0;
  std::thread thread_;
};

// Fails a job without running it (used after stop()).
void fail_job(Job& job);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_WRITER_HPP
