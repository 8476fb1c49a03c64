#include "writer.hpp"

#include <algorithm>
#include <cstdint>

#include "tte/hex.hpp"

namespace tte::mothership {
namespace {

// Compared against when the Dev ID is unknown, so that the work done for an
// unknown Dev ID and for a wrong OTP is the same.
const OtpDigest kNoDigest{};

std::string fingerprint_hex(const Fingerprint& fingerprint) {
  return std::string(fingerprint.to_string().view());
}

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

// A failed check's bucket. On a shared database (PostgreSQL) the OTP guard has
// stored every change of it already, atomically (Store::take_shared_slot):
// writing this copy would undo the other instances' changes.
Status Writer::record_failure(DevId dev_id, const ThrottleState& state) {
  if (store_.shared()) return ok_status();
  return store_.save_throttle(dev_id, state);
}

void fail_job(Job& job) {
  std::visit(
      Overloaded{
          [](ClaimJob& j) {
            ClaimResult result;
            result.storage_failed = true;
            if (j.done) j.done(result);
          },
          [](FailureJob& j) {
            if (j.done) j.done(false);
          },
          [](RegisteredJob&) {},
          [](RevocationJob& j) {
            if (j.done)
              j.done(make_error(Errc::unavailable, "the MotherShip is stopping", "database"));
          },
          [](ImportJob& j) {
            if (j.done)
              j.done(make_error(Errc::unavailable, "the MotherShip is stopping", "database"), "");
          },
          [](BoxClaimJob& j) {
            BoxClaimResult result;
            result.storage_failed = true;
            if (j.done) j.done(result);
          },
          [](BoxFailureJob& j) {
            if (j.done) j.done(false);
          },
      },
      job);
}

Writer::Writer(const std::string& database, OtpHasher hasher, Clock clock, Logger& logger,
               WriterOptions options)
    : store_(database, Store::Access::read_write,
             options.psk_sealer ? &*options.psk_sealer : nullptr),
      hasher_(hasher),
      clock_(std::move(clock)),
      logger_(logger),
      options_(options),
      thread_([this] { run(); }) {}

std::size_t Writer::batch_limit() const {
  // Each job runs in a savepoint, a subtransaction once it writes. PostgreSQL
  // keeps 64 of a transaction's subtransactions in shared memory; past that,
  // every other session's snapshot must look them up on disk while it lasts.
  return store_.shared() ? std::min<std::size_t>(options_.max_batch, kMaxSubtransactions)
                         : options_.max_batch;
}

Writer::~Writer() {
  stop();
}

void Writer::submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  fail_job(job);
}

void Writer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void Writer::run() {
  const std::size_t limit = batch_limit();
  while (true) {
    std::deque<Job> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is done
      while (!queue_.empty() && batch.size() < limit) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    process_batch(batch);
  }
}

namespace {

// The first Dev ID a job changes (jobs that name none last).
std::uint64_t first_dev_id(const Job& job) {
  return std::visit(Overloaded{
                        [](const ClaimJob& j) -> std::uint64_t { return j.dev_id.value(); },
                        [](const FailureJob& j) -> std::uint64_t { return j.dev_id.value(); },
                        [](const RegisteredJob& j) -> std::uint64_t { return j.dev_id.value(); },
                        [](const RevocationJob& j) -> std::uint64_t { return j.dev_id.value(); },
                        [](const BoxClaimJob& j) -> std::uint64_t { return j.first.value(); },
                        [](const BoxFailureJob& j) -> std::uint64_t {
                          return j.throttles.empty() ? UINT64_MAX
                                                     : j.throttles.front().first.value();
                        },
                        [](const ImportJob& j) -> std::uint64_t {
                          return j.records.empty() ? UINT64_MAX : j.records.front().dev_id.value();
                        },
                    },
                    job);
}

}  // namespace

void Writer::process_batch(std::deque<Job>& batch) {
  std::vector<std::function<void(bool)>> callbacks;
  callbacks.reserve(batch.size());
  bool committed = false;
  // The jobs first, then the chain's lock (PostgreSQL: one appender at a time
  // across instances) for as short as it can be: the head, the batch's audit
  // entries in one go, the commit.
  if (store_.begin_bulk().ok()) {
    std::vector<AuditEntry> audit;
    std::int64_t now = clock_();
    // In Dev ID order: batches of two instances that touch the same devices
    // lock their rows in one order, so they wait for each other, never deadlock.
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Job& a, const Job& b) { return first_dev_id(a) < first_dev_id(b); });
    for (Job& job : batch)
      callbacks.push_back(apply(job, audit, now));
    if (audit.empty()) {
      committed = store_.commit().ok();  // nothing to chain: no lock
    } else if (store_.lock_audit_chain().ok()) {
      auto head = store_.audit_head();
      committed =
          head.ok() && store_.append_audits(audit, head.value()).ok() && store_.commit().ok();
    }
    if (!committed) {
      logger_.error("database transaction failed", {{"error", store_.last_error()}});
      store_.rollback();
    }
  } else {
    if (auto left_out = begin_failures_.admit()) {
      logger_.error("cannot begin a database transaction",
                    {{"error", store_.last_error()}, {"left_out", *left_out}});
    }
    for (Job& job : batch)
      fail_job(job);
    return;
  }
  transactions_ += 1;
  jobs_ += batch.size();
  for (auto& callback : callbacks) {
    if (callback) callback(committed);
  }
}

// Message 4 (draft §2; docs/protocol.md §5.2), stored: a ClaimJob maps the Device (or is
// refused). The other jobs: message 2's records (ImportJob), the "registered" of message 10,
// failed OTP checks and revocations.
std::function<void(bool)> Writer::apply(Job& job, std::vector<AuditEntry>& audit,
                                        std::int64_t now) {
  if (!store_.savepoint().ok()) {
    fail_job(job);
    return nullptr;
  }
  const std::size_t audit_before = audit.size();
  bool savepoint_open = true;
  // Undoes the job's changes (and its audit entries) but not the batch's others.
  auto undo = [&] {
    store_.rollback_to_savepoint();
    audit.resize(audit_before);
    savepoint_open = false;
  };
  auto storage_error = [&](const char* what) -> std::function<void(bool)> {
    logger_.error(what, {{"error", store_.last_error()}});
    undo();
    fail_job(job);
    return nullptr;
  };
  std::function<void(bool)> callback = std::visit(
      Overloaded{
          [&](ClaimJob& claim) -> std::function<void(bool)> {
            auto device = store_.device(claim.dev_id);
            if (!device.ok()) return storage_error("cannot read a device");
            const OtpDigest& stored = device.value() ? device.value()->otp_digest : kNoDigest;
            bool matches =
                equal_constant_time(stored, claim.presented) && device.value().has_value();
            std::optional<DeviceStatus> status;
            if (device.value()) status = device.value()->status();
            ClaimResult result;
            result.outcome = decide_claim(status, matches, claim.controller.psk.has_value());
            switch (result.outcome) {
              case ClaimOutcome::psk_required:
                break;  // nothing stored
              case ClaimOutcome::not_authorized:
                if (!record_failure(claim.dev_id, claim.throttle).ok())
                  return storage_error("cannot record a failed attempt");
                break;
              case ClaimOutcome::locked:
                break;  // decided before the job (no slot left)
              case ClaimOutcome::mapped: {
                auto changed =
                    store_.map_device(claim.dev_id, claim.controller, claim.description, now);
                if (!changed.ok()) return storage_error("cannot map a device");
                auto updated = store_.device(claim.dev_id);
                if (!updated.ok() || !updated.value())
                  return storage_error("cannot re-read a device");
                // Not changed: another instance claimed or revoked it between the
                // read and the update (PostgreSQL; within one SQLite transaction
                // it cannot happen). Decided again on what it holds now.
                if (!changed.value() && updated.value()->revoked_at) {
                  result.outcome = ClaimOutcome::revoked;
                  break;
                }
                if (!changed.value()) result.outcome = ClaimOutcome::already_used;
                result.device = updated.value()->state_object();
                break;
              }
              case ClaimOutcome::already_used:
                result.device = device.value()->state_object();
                break;
              case ClaimOutcome::revoked:
                break;
            }
            AuditEntry entry;
            entry.time = now;
            entry.actor = claim.client;
            entry.action = "claim";
            entry.dev_id = claim.dev_id;
            entry.outcome = claim_outcome_name(result.outcome);
            entry.controller_fingerprint = fingerprint_hex(claim.controller.fingerprint);
            audit.push_back(std::move(entry));
            auto done = std::move(claim.done);
            return [done, result](bool committed) {
              if (committed) {
                done(result);
              } else {
                ClaimResult failed;
                failed.storage_failed = true;
                done(failed);
              }
            };
          },
          [&](FailureJob& failure) -> std::function<void(bool)> {
            if (!record_failure(failure.dev_id, failure.throttle).ok())
              return storage_error("cannot record a failed attempt");
            auto done = std::move(failure.done);
            return [done](bool committed) {
              if (done) done(committed);
            };
          },
          [&](RegisteredJob& registered) -> std::function<void(bool)> {
            auto device = store_.device(registered.dev_id);
            if (!device.ok()) return storage_error("cannot read a device");
            if (!device.value() || device.value()->state != DeviceState::mapped) return nullptr;
            auto changed = store_.mark_registered(registered.dev_id, now);
            if (!changed.ok()) return storage_error("cannot record a registration");
            // Another instance recorded it since the read (the Device asked both).
            if (!changed.value()) return nullptr;
            AuditEntry entry;
            entry.time = now;
            entry.actor = "device";
            entry.action = "registered";
            entry.dev_id = registered.dev_id;
            entry.outcome = "registered";
            entry.controller_fingerprint = fingerprint_hex(device.value()->controller->fingerprint);
            audit.push_back(std::move(entry));
            return nullptr;
          },
          [&](RevocationJob& revocation) -> std::function<void(bool)> {
            auto changed = store_.set_revoked(
                revocation.dev_id,
                revocation.revoke ? std::optional<std::int64_t>(now) : std::nullopt);
            if (!changed.ok()) return storage_error("cannot change revocation");
            auto device = store_.device(revocation.dev_id);
            if (!device.ok()) return storage_error("cannot read a device");
            if (changed.value()) {
              AuditEntry entry;
              entry.time = now;
              entry.actor = revocation.actor;
              entry.action = revocation.revoke ? "revoke" : "unrevoke";
              entry.dev_id = revocation.dev_id;
              entry.outcome = "done";
              audit.push_back(std::move(entry));
            }
            auto done = std::move(revocation.done);
            auto record = device.value();
            return [done, record](bool committed) {
              if (!done) return;
              if (committed) {
                done(record);
              } else {
                done(make_error(Errc::io, "the database did not commit", "database"));
              }
            };
          },
          [&](BoxClaimJob& box) -> std::function<void(bool)> {
            auto stored = apply_box(box, audit, now);
            if (!stored) return storage_error("cannot store a box claim");
            return *stored;
          },
          [&](BoxFailureJob& failure) -> std::function<void(bool)> {
            for (const auto& [dev_id, throttle] : failure.throttles) {
              if (!record_failure(dev_id, throttle).ok())
                return storage_error("cannot record a failed attempt");
            }
            auto done = std::move(failure.done);
            return [done](bool committed) {
              if (done) done(committed);
            };
          },
          [&](ImportJob& import) -> std::function<void(bool)> {
            auto inserted = insert_factory_records(
                store_, hasher_, import.records.begin(), import.records.end(),
                options_.psk_sealer ? &*options_.psk_sealer : nullptr);
            if (!inserted.status.ok()) {
              if (inserted.status.error().code != Errc::duplicate) {
                return storage_error("cannot import devices");
              }
              undo();
              auto done = std::move(import.done);
              if (done) done(inserted.status, inserted.which);
              return nullptr;
            }
            AuditEntry entry = import_audit_entry(import.records.size(), import.actor, now);
            audit.push_back(std::move(entry));
            auto done = std::move(import.done);
            return [done](bool committed) {
              if (!done) return;
              done(committed
                       ? ok_status()
                       : Status(make_error(Errc::io, "the database did not commit", "database")),
                   "");
            };
          },
      },
      job);
  if (savepoint_open && !store_.release_savepoint().ok()) {
    logger_.error("cannot release a savepoint", {{"error", store_.last_error()}});
    undo();
    if (callback) callback(false);
    return nullptr;
  }
  return callback;
}

// Bulk enrollment (docs/protocol.md §13.2): the box's Devices are read in one range
// statement, decided together (decide_box_claim) and, when all are fresh, mapped in
// this job's savepoint: all or none, committed with the batch before any answer.
std::optional<std::function<void(bool)>> Writer::apply_box(BoxClaimJob& box,
                                                           std::vector<AuditEntry>& audit,
                                                           std::int64_t now) {
  // Locked as read: on a shared database another instance could map a member
  // between this read and the updates below.
  auto stored = store_.box_devices(box.first, box.count, /*for_update=*/true);
  if (!stored.ok()) return std::nullopt;
  // The members in Dev ID order; an absent Dev ID compares against zeros.
  std::vector<const DeviceRecord*> records(box.count, nullptr);
  for (const DeviceRecord& record : stored.value())
    records[record.dev_id.value() - box.first.value()] = &record;
  std::vector<BoxMember> members(box.count);
  for (std::uint32_t i = 0; i < box.count; ++i) {
    const DeviceRecord* record = records[i];
    const OtpDigest& digest = record ? record->otp_digest : kNoDigest;
    members[i].slot_taken = true;  // decided before the job
    members[i].otp_matches = equal_constant_time(digest, box.presented[i]) && record != nullptr;
    if (record) members[i].device = record->status();
  }
  BoxDecision decision = decide_box_claim(members);
  BoxClaimResult result;
  result.outcome = decision.outcome;
  result.give_back = decision.give_back;
  const std::string controller_fingerprint = fingerprint_hex(box.controller.fingerprint);
  switch (decision.outcome) {
    case ClaimOutcome::not_authorized:
      for (std::uint32_t i = 0; i < box.count; ++i) {
        if (decision.give_back[i]) continue;
        if (!record_failure(DevId(box.first.value() + i), box.throttle[i]).ok())
          return std::nullopt;
      }
      break;
    case ClaimOutcome::already_used:
      for (std::size_t i : decision.used)
        result.devices.push_back(records[i]->state_object());
      break;
    case ClaimOutcome::mapped: {
      for (std::uint32_t i = 0; i < box.count; ++i) {
        const DevId dev_id(box.first.value() + i);
        auto changed = store_.map_device(dev_id, box.controller, box.description, now);
        if (!changed.ok() || !changed.value()) return std::nullopt;  // the rows are locked
        AuditEntry entry;
        entry.time = now;
        entry.actor = box.client;
        entry.action = "claim";
        entry.dev_id = dev_id;
        entry.outcome = claim_outcome_name(ClaimOutcome::mapped);
        entry.controller_fingerprint = controller_fingerprint;
        audit.push_back(std::move(entry));
      }
      auto updated = store_.box_devices(box.first, box.count);
      if (!updated.ok() || updated->size() != box.count) return std::nullopt;
      result.devices.reserve(box.count);
      for (const DeviceRecord& record : updated.value())
        result.devices.push_back(record.state_object());
      break;
    }
    case ClaimOutcome::revoked:
    case ClaimOutcome::locked:
    case ClaimOutcome::psk_required:
      break;  // not decided here
  }
  AuditEntry entry;
  entry.time = now;
  entry.actor = box.client;
  entry.action = "box-claim";
  entry.dev_id = box.first;
  entry.outcome = claim_outcome_name(decision.outcome);
  entry.controller_fingerprint = controller_fingerprint;
  entry.detail = "count " + std::to_string(box.count);
  if (decision.outcome == ClaimOutcome::already_used)
    entry.detail += ", " + std::to_string(decision.used.size()) + " already used or revoked";
  audit.push_back(std::move(entry));
  auto done = std::move(box.done);
  return std::function<void(bool)>([done, result = std::move(result)](bool committed) {
    if (!done) return;
    if (committed) {
      done(result);
    } else {
      BoxClaimResult failed;
      failed.storage_failed = true;
      done(failed);
    }
  });
}

}  // namespace tte::mothership
