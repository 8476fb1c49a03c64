// The MotherShip's database: devices, per-Dev-ID throttling, and the hash-chained
// audit log, on SQLite (the embedded default) or PostgreSQL (several instances on
// one database; store_backend.hpp, docs/operations.md). One Store is one
// connection; use it from one thread.
//
// Durability: SQLite runs WAL with synchronous=FULL, PostgreSQL with
// synchronous_commit on, so a transaction that has committed is on disk. Writes
// happen in transactions the caller opens with begin_immediate(); only the Writer
// (writer.hpp), the OTP throttle's shared buckets and the offline tools write.
#ifndef TTE_MOTHERSHIP_STORE_HPP
#define TTE_MOTHERSHIP_STORE_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit.hpp"
#include "device_record.hpp"
#include "rules.hpp"
#include "store_backend.hpp"

namespace tte::mothership {

struct AuditHead {
  std::int64_t seq = 0;  // 0 for an empty log
  AuditHash hash{};      // zeros for an empty log
};

class Store {
 public:
  using Access = StoreAccess;

  // Creates the schema in a new database (a SQLite file, or an empty PostgreSQL
  // database) and records the MS ID and `meta` (name, value) pairs. Throws
  // StartupError, also when the database already holds a MotherShip.
  static void initialize(const std::string& location, MsId ms_id,
                         const std::vector<std::pair<std::string, std::string>>& meta = {});

  // Opens an initialised database: `location` as DatabaseLocation::parse reads it
  // (a plain path is a SQLite file). Throws StartupError. psk_sealer: as use_psk_sealer.
  Store(const std::string& location, Access access, const PskSealer* psk_sealer = nullptr);
  Store(const DatabaseLocation& location, Access access, const PskSealer* psk_sealer = nullptr);

  // Seals the link PSKs (cpsk) map_device stores and opens those read back
  // (docs/protocol.md §11). Without it, map_device refuses a PSK (crypto) and
  // reads leave stored PSKs unopened (ControllerBinding::psk_unopened).
  void use_psk_sealer(const PskSealer& sealer) {
    link_sealer_ = sealer.for_purpose(PskSealer::Purpose::controller);
  }

  MsId ms_id(IdPolicy policy);  // throws StartupError if the stored one is refused
  // Where the database is, for messages (no password).
  std::string path() const { return db_->location(); }
  std::string last_error() const { return db_->last_error(); }
  // Several MotherShip instances may share this database (PostgreSQL): the OTP
  // throttle's buckets then live in it (take_shared_slot).
  bool shared() const { return db_->shared(); }
  // A meta value (schema_version, ms_id, otp_key_check, dtls_fingerprint).
  Result<std::optional<std::string>> meta(std::string_view key) { return db_->meta(key); }
  // Whether the database takes writes (PostgreSQL: not a standby, not read-only).
  Result<bool> takes_writes() { return db_->takes_writes(); }
  Result<bool> owns_tables() { return db_->owns_tables(); }

  // --- Reads. Errors: io.
  Result<std::optional<DeviceRecord>> device(DevId dev_id);
  Result<std::optional<DeviceRecord>> device_by_urn(std::string_view urn);
  // The stored Devices with Dev IDs first .. first + count - 1, in Dev ID order
  // (one statement: a box of 10,000 is one range scan); absent ones are skipped.
  // for_update: inside a write transaction, they stay as read until it ends (a
  // box claim decides on all of them; another instance cannot map one meanwhile).
  Result<std::vector<DeviceRecord>> box_devices(DevId first, std::uint32_t count,
                                                bool for_update = false);
  Result<ThrottleState> throttle(DevId dev_id);
  Result<AuditHead> audit_head();
  // Audit entries with seq > after, oldest first, at most limit.
  Result<std::vector<std::pair<AuditEntry, AuditHash>>> audit_after(std::int64_t after, int limit);
  Result<std::int64_t> device_count() { return db_->device_count(); }
  // One past the highest Dev ID stored (1 for an empty database); nothing if ffffffff is taken.
  Result<std::optional<DevId>> next_free_dev_id();
  // Whether a device with this URN is stored.
  Result<bool> urn_exists(std::string_view urn);

  // For bulk loads (SQLite: a 256 MiB page cache keeps the URN index in memory).
  void tune_for_bulk_load() { db_->tune_for_bulk_load(); }

  // --- Transactions. Errors: io.
  // A write transaction; on PostgreSQL it holds the audit chain's lock (one
  // writer at a time across all instances) until commit or rollback.
  Status begin_immediate() { return db_->begin_write(); }
  // A write transaction for a bulk import: call lock_audit_chain() before
  // audit_head() and append_audit() (PostgreSQL takes the lock then, so that the
  // rows of a long import do not hold up the claims of every instance).
  Status begin_bulk() { return db_->begin_bulk(); }
  Status lock_audit_chain() { return db_->lock_audit_chain(); }
  Status commit() { return db_->commit(); }
  void rollback() { db_->rollback(); }
  Status savepoint() { return db_->savepoint(); }
  Status release_savepoint() { return db_->release_savepoint(); }
  void rollback_to_savepoint() { db_->rollback_to_savepoint(); }

  // --- Writes, inside a transaction. Errors: io; duplicate where stated.
  Status save_throttle(DevId dev_id, const ThrottleState& state) {
    return db_->save_throttle(dev_id.value(), state);
  }
  // Maps an unmapped, unrevoked device; false if the device was not in that state.
  Result<bool> map_device(DevId dev_id, const ControllerBinding& controller,
                          const std::string& description, std::int64_t now);
  // Moves a mapped device to registered (recording the first time only).
  Result<bool> mark_registered(DevId dev_id, std::int64_t now) {
    return db_->mark_registered(dev_id.value(), now);
  }
  // Sets or clears revocation; false if the device does not exist.
  Result<bool> set_revoked(DevId dev_id, std::optional<std::int64_t> revoked_at) {
    return db_->set_revoked(dev_id.value(), revoked_at);
  }
  // A PSK Device (no fingerprint) comes with its sealed factory PSK, which the database
  // keeps instead of the PSK. Errors: duplicate (the Dev ID or the URN exists), syntax
  // (neither or both of a fingerprint and a sealed PSK).
  Status insert_device(const FactoryRecord& record, const OtpDigest& digest,
                       const std::optional<SealedPsk>& sealed_psk = std::nullopt);
  // Many at once (PostgreSQL: one COPY). On a duplicate, `duplicate_of` says which
  // Dev ID or URN, as far as the database tells. After a failure, roll the
  // transaction back (or back to a savepoint): PostgreSQL's takes nothing more.
  struct NewDevice {
    const FactoryRecord* record;
    OtpDigest digest;
    std::optional<SealedPsk> sealed_psk;
  };
  Status insert_devices(const std::vector<NewDevice>& devices, std::string* duplicate_of);
  int schema_version() const { return db_->schema_version(); }
  // Appends an entry after `head` (setting its seq) and returns the new head.
  Result<AuditHead> append_audit(AuditEntry& entry, const AuditHead& head);
  // The same for many, in order (PostgreSQL: one COPY).
  Result<AuditHead> append_audits(std::vector<AuditEntry>& entries, const AuditHead& head);

  // --- The OTP throttle's buckets kept in the database, each change in a
  // transaction of its own (not inside begin_immediate): what take_slot and
  // give_back_slot do in memory, atomic across every instance on the database.
  // Errors: io, unavailable (the bucket kept changing under us).
  Result<Slot> take_shared_slot(DevId dev_id, std::int64_t now, const GuessPolicy& policy);
  Status give_back_shared_slot(DevId dev_id, std::int64_t now, const GuessPolicy& policy);
  // The same for a box, Devices first .. first + count - 1, in a few statements
  // however many: a slot from each stored Device, all or none. The slots in Dev
  // ID order; where one is refused (not taken), nothing was taken. A Dev ID with
  // no Device has no bucket (nothing is stored for it) and counts as taken.
  Result<std::vector<Slot>> take_shared_slots(DevId first, std::uint32_t count, std::int64_t now,
                                              const GuessPolicy& policy);
  // Gives back the slots of the members `which` marks (which[i]: Device first + i).
  Status give_back_shared_slots(DevId first, const std::vector<bool>& which, std::int64_t now,
                                const GuessPolicy& policy);

  // Walks the whole audit log, recomputing the chain. Returns the number of
  // entries and the head on success; on a broken chain, the first bad seq.
  struct Verification {
    bool ok = true;
    std::int64_t entries = 0;
    std::int64_t first_bad_seq = 0;
    AuditHead head;
  };
  Result<Verification> verify_audit();

 private:
  Result<DeviceRecord> decode(const DeviceRow& row) const;

  std::unique_ptr<StoreBackend> db_;
  std::optional<PskSealer> link_sealer_;
};

// Inserts factory records (inside the caller's transaction), hashing each OTP and
// sealing each PSK Device's factory PSK with `sealer` (PSK records are refused,
// `unsupported`, without one). On a duplicate Dev ID or URN, `which` names the
// record and nothing is undone: the caller rolls back.
struct InsertOutcome {
  Status status;
  std::string which;
  std::size_t inserted = 0;
};
template <typename Iterator>
InsertOutcome insert_factory_records(Store& store, const OtpHasher& hasher, Iterator begin,
                                     Iterator end, const PskSealer* sealer = nullptr) {
  InsertOutcome outcome;
  std::vector<Store::NewDevice> devices;
  for (auto it = begin; it != end; ++it) {
    std::optional<SealedPsk> sealed;
    if (it->psk) {
      if (sealer == nullptr) {
        outcome.status = make_error(Errc::unsupported, "no PSK sealing key here", "psk");
        outcome.which = "PSK Device " + std::string(it->dev_id.to_string().view());
        return outcome;
      }
      auto sealing = sealer->seal(it->dev_id, *it->psk);
      if (!sealing.ok()) {
        outcome.status = sealing.error();
        outcome.which = "PSK Device " + std::string(it->dev_id.to_string().view());
        return outcome;
      }
      sealed = sealing.value();
    }
    devices.push_back(Store::NewDevice{&*it, hasher.digest(it->dev_id, it->otp), sealed});
  }
  outcome.status = store.insert_devices(devices, &outcome.which);
  if (outcome.status.ok()) outcome.inserted = devices.size();
  return outcome;
}

// The audit entry that records an import of `count` devices.
AuditEntry import_audit_entry(std::size_t count, const std::string& actor, std::int64_t now);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_STORE_HPP
