// The two databases under a Store (store.hpp): SQLite, the embedded default, and
// PostgreSQL, for several MotherShip instances on one database (docs/operations.md).
// A backend moves rows, as the schema holds them; what they mean (decoding,
// sealing, the audit chain, the throttle's rules) is the Store's, so it is the
// same on both.
#ifndef TTE_MOTHERSHIP_STORE_BACKEND_HPP
#define TTE_MOTHERSHIP_STORE_BACKEND_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit.hpp"
#include "database_location.hpp"
#include "rules.hpp"
#include "tte/identifiers.hpp"
#include "tte/result.hpp"

namespace tte::mothership {

using Blob = std::vector<std::uint8_t>;

// One row of the devices table (schema version 2).
struct DeviceRow {
  std::int64_t devid = 0;
  std::string urn;
  std::optional<Blob> fingerprint;
  Blob otp_digest;
  std::int64_t state = 0;
  std::optional<std::int64_t> revoked_at;
  std::optional<Blob> controller_ip;
  std::int64_t controller_port = 0;
  std::optional<Blob> controller_fingerprint;
  std::optional<Blob> controller_psk;
  std::string description;
  std::optional<std::int64_t> mapped_at;
  std::optional<std::int64_t> registered_at;
  std::optional<Blob> factory_psk;
};

// A new device's row: what the factory gives (the rest starts empty).
struct NewDeviceRow {
  std::int64_t devid = 0;
  std::string urn;
  std::optional<Blob> fingerprint;
  Blob otp_digest;
  std::optional<Blob> factory_psk;
};

// The columns map_device sets.
struct MappingRow {
  Blob controller_ip;
  std::int64_t controller_port = 0;
  Blob controller_fingerprint;
  std::optional<Blob> controller_psk;
  std::string description;
  std::int64_t mapped_at = 0;
};

struct AuditRow {
  AuditEntry entry;
  AuditHash hash{};
};

// The audit table's columns, in the order both backends read and write them.
#define TTE_AUDIT_COLUMNS "seq, time, actor, action, devid, outcome, cfingerprint, detail, hash"

enum class StoreAccess { read_only, read_write };

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  virtual int schema_version() const = 0;
  virtual std::string location() const = 0;  // for messages: no password
  // The last failure's text, for logs.
  virtual std::string last_error() const = 0;
  // PostgreSQL: several instances share the database (and so the OTP throttle).
  virtual bool shared() const = 0;

  virtual Result<std::optional<std::string>> meta(std::string_view key) = 0;
  // Whether the database takes writes (PostgreSQL: not a standby, and not read
  // only by default for this database or role, as a session starts).
  virtual Result<bool> takes_writes() = 0;
  // PostgreSQL: whether this session's role owns the tables (the owner is not
  // bound by the application role's grants: it could change the audit log).
  virtual Result<bool> owns_tables() { return false; }
  // Inside a transaction.
  virtual Status set_meta(std::string_view key, std::string_view value) = 0;

  virtual Result<std::optional<DeviceRow>> device(std::int64_t devid) = 0;
  virtual Result<std::optional<DeviceRow>> device_by_urn(std::string_view urn) = 0;
  // for_update: inside a write transaction, the rows stay as read until it ends
  // (PostgreSQL: row locks, taken in Dev ID order; SQLite's one writer has them anyway).
  virtual Result<std::vector<DeviceRow>> devices_between(std::int64_t first, std::int64_t last,
                                                         bool for_update = false) = 0;
  virtual Result<std::optional<ThrottleState>> throttle(std::int64_t devid) = 0;
  virtual Result<std::optional<AuditRow>> audit_last() = 0;
  virtual Result<std::vector<AuditRow>> audit_after(std::int64_t after, int limit) = 0;
  virtual Result<std::int64_t> device_count() = 0;
  virtual Result<std::optional<std::int64_t>> max_devid() = 0;

  // A write transaction that appends to the audit log: on PostgreSQL it holds
  // the chain's lock (one appender at a time, whichever instance) until it ends.
  virtual Status begin_write() = 0;
  // A write transaction that takes the chain's lock only when lock_audit_chain
  // is called (a bulk import: the rows first, the lock for its last moment).
  virtual Status begin_bulk() = 0;
  virtual Status lock_audit_chain() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  virtual Status savepoint() = 0;
  virtual Status release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;

  virtual Status save_throttle(std::int64_t devid, const ThrottleState& state) = 0;
  // Sets the bucket to `next` only if it still is `expected` (nothing: no row yet),
  // in a transaction of its own. False: someone else changed it first.
  virtual Result<bool> swap_throttle(std::int64_t devid,
                                     const std::optional<ThrottleState>& expected,
                                     const ThrottleState& next) = 0;
  // Changes the buckets of the stored Devices first..last at once, in a
  // transaction of its own: `decide` gets them as they stand, locked until it
  // ends (PostgreSQL: a row each, made first where there was none, locked in
  // Dev ID order), and answers the new states (none: nothing changes).
  // A stored Device's bucket (nothing: no row yet; Dev IDs with no Device have
  // none), and what it becomes.
  struct DeviceBucket {
    std::int64_t devid;
    std::optional<ThrottleState> state;
  };
  struct BucketChange {
    std::int64_t devid;
    ThrottleState next;
  };
  using DecideBuckets =
      std::function<std::vector<BucketChange>(const std::vector<DeviceBucket>& buckets)>;
  virtual Status change_device_buckets(std::int64_t first, std::int64_t last,
                                       const DecideBuckets& decide) = 0;
  // One statement: maps the device only if it is unmapped and not revoked
  // (so of racing claims exactly one changes the row). False: it was not.
  virtual Result<bool> map_device(std::int64_t devid, const MappingRow& mapping) = 0;
  // Whether it changed the row (false: not mapped, or registered already).
  virtual Result<bool> mark_registered(std::int64_t devid, std::int64_t now) = 0;
  virtual Result<bool> set_revoked(std::int64_t devid, std::optional<std::int64_t> revoked_at) = 0;
  // Errors: duplicate (the Dev ID or the URN is taken; `duplicate_of` then names
  // it when the database says which), io.
  virtual Status insert_devices(const std::vector<NewDeviceRow>& rows,
                                std::string* duplicate_of) = 0;
  virtual Status insert_audit(const AuditEntry& entry, const AuditHash& hash) = 0;
  virtual Status insert_audits(const std::vector<AuditRow>& rows) {
    for (const AuditRow& row : rows)
      TTE_TRY(insert_audit(row.entry, row.hash));
    return ok_status();
  }
  virtual void tune_for_bulk_load() = 0;
};

// Each throws StartupError when the database cannot be opened or is not a
// MotherShip's (or is one of a schema version this program does not know).
std::unique_ptr<StoreBackend> open_sqlite_backend(const std::string& path, StoreAccess access);
std::unique_ptr<StoreBackend> open_postgres_backend(const std::string& uri, StoreAccess access);

// How long a PostgreSQL statement may take, for every connection of the process
// (default 10 s; `serve --database-timeout`): the server cancels it then, and
// the client gives up 2 s later if the server has said nothing at all.
void set_database_deadline(std::chrono::milliseconds deadline);

// Create the schema (version kSchemaVersion) and the meta rows. Throws
// StartupError, also when the database already holds a MotherShip.
void create_sqlite_schema(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& meta);
void create_postgres_schema(const std::string& uri,
                            const std::vector<std::pair<std::string, std::string>>& meta);

inline constexpr int kSchemaVersion = 2;

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_STORE_BACKEND_HPP
