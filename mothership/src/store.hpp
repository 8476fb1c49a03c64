// The MotherShip's database (SQLite): devices, per-Dev-ID throttling, and the
// hash-chained audit log. One Store is one connection; use it from one thread.
//
// Durability: WAL with synchronous=FULL, so a transaction that has committed is
// on disk. Writes happen in transactions the caller opens with begin(); only
// the Writer (writer.hpp) and the offline tools write.
#ifndef TTE_MOTHERSHIP_STORE_HPP
#define TTE_MOTHERSHIP_STORE_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit.hpp"
#include "device_record.hpp"
#include "rules.hpp"
#include "tte/platform/sqlite.hpp"

namespace tte::mothership {

struct AuditHead {
  std::int64_t seq = 0;  // 0 for an empty log
  AuditHash hash{};      // zeros for an empty log
};

class Store {
 public:
  enum class Access { read_only, read_write };

  // Creates the schema in a new database file and records the MS ID. Throws StartupError.
  static void initialize(const std::string& path, MsId ms_id);

  // Opens an initialised database. Throws StartupError. psk_sealer: as use_psk_sealer.
  Store(const std::string& path, Access access, const PskSealer* psk_sealer = nullptr);

  // Seals the link PSKs (cpsk) map_device stores and opens those read back
  // (docs/protocol.md §11). Without it, map_device refuses a PSK (crypto) and
  // reads leave stored PSKs unopened (ControllerBinding::psk_unopened).
  void use_psk_sealer(const PskSealer& sealer) {
    link_sealer_ = sealer.for_purpose(PskSealer::Purpose::controller);
  }

  MsId ms_id(IdPolicy policy) const;  // throws StartupError if the stored one is refused
  const std::string& path() const { return db_.path(); }
  std::string last_error() const { return db_.error_message(); }

  // --- Reads. Errors: io.
  Result<std::optional<DeviceRecord>> device(DevId dev_id);
  Result<std::optional<DeviceRecord>> device_by_urn(std::string_view urn);
  // The stored Devices with Dev IDs first .. first + count - 1, in Dev ID order
  // (one statement: a box of 10,000 is one range scan); absent ones are skipped.
  Result<std::vector<DeviceRecord>> box_devices(DevId first, std::uint32_t count);
  Result<ThrottleState> throttle(DevId dev_id);
  Result<AuditHead> audit_head();
  // Audit entries with seq > after, oldest first, at most limit.
  Result<std::vector<std::pair<AuditEntry, AuditHash>>> audit_after(std::int64_t after, int limit);
  Result<std::int64_t> device_count();
  // One past the highest Dev ID stored (1 for an empty database); nothing if ffffffff is taken.
  Result<std::optional<DevId>> next_free_dev_id();
  // Whether a device with this URN is stored.
  Result<bool> urn_exists(std::string_view urn);

  // For bulk loads: a 256 MiB page cache keeps the URN index in memory.
  void tune_for_bulk_load() { db_.exec_or_throw("PRAGMA cache_size=-262144;"); }

  // --- Transactions. Errors: io.
  Status begin_immediate();
  Status commit();
  void rollback();
  Status savepoint();
  Status release_savepoint();
  void rollback_to_savepoint();

  // --- Writes, inside a transaction. Errors: io; duplicate where stated.
  Status save_throttle(DevId dev_id, const ThrottleState& state);
  // Maps an unmapped, unrevoked device; false if the device was not in that state.
  Result<bool> map_device(DevId dev_id, const ControllerBinding& controller,
                          const std::string& description, std::int64_t now);
  // Moves a mapped device to registered (recording the first time only).
  Status mark_registered(DevId dev_id, std::int64_t now);
  // Sets or clears revocation; false if the device does not exist.
  Result<bool> set_revoked(DevId dev_id, std::optional<std::int64_t> revoked_at);
  // A PSK Device (no fingerprint) comes with its sealed factory PSK, which the database
  // keeps instead of the PSK. Errors: duplicate (the Dev ID or the URN exists), syntax
  // (neither or both of a fingerprint and a sealed PSK).
  Status insert_device(const FactoryRecord& record, const OtpDigest& digest,
                       const std::optional<SealedPsk>& sealed_psk = std::nullopt);
  int schema_version() const { return schema_version_; }
  // Appends an entry after `head` (setting its seq) and returns the new head.
  Result<AuditHead> append_audit(AuditEntry& entry, const AuditHead& head);

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
  Result<std::optional<DeviceRecord>> read_device(sqlite::Statement& statement);
  // The row the statement stands on.
  Result<DeviceRecord> device_of_row(sqlite::Statement& statement);

  sqlite::Database db_;
  int schema_version_;
  sqlite::Statement select_device_;
  sqlite::Statement select_device_by_urn_;
  sqlite::Statement select_box_devices_;
  sqlite::Statement select_throttle_;
  sqlite::Statement select_audit_head_;
  sqlite::Statement select_audit_after_;
  sqlite::Statement upsert_throttle_;
  sqlite::Statement map_device_;
  sqlite::Statement mark_registered_;
  sqlite::Statement set_revoked_;
  sqlite::Statement insert_device_;
  sqlite::Statement insert_audit_;
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
    auto inserted = store.insert_device(*it, hasher.digest(it->dev_id, it->otp), sealed);
    if (!inserted.ok()) {
      outcome.status = inserted.error();
      outcome.which = "Dev ID " + std::string(it->dev_id.to_string().view()) + " or URN " +
                      std::string(it->urn.view());
      return outcome;
    }
    ++outcome.inserted;
  }
  return outcome;
}

// The audit entry that records an import of `count` devices.
AuditEntry import_audit_entry(std::size_t count, const std::string& actor, std::int64_t now);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_STORE_HPP
