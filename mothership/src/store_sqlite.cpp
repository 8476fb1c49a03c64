// The SQLite backend (store_backend.hpp): the embedded default, one file.
#include <cstring>

#include "store_backend.hpp"
#include "tte/platform/sqlite.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {

// Version 2 (PSK Devices, docs/protocol.md §13.3): devices.fingerprint may be NULL, and
// devices.factory_psk holds a PSK Device's sealed factory PSK. Version 1 files are upgraded
// when opened read-write (upgrade_to_2), and read as they are when opened read-only.

// Devices are looked up by Dev ID (the rowid: no separate index) and by URN
// (the CoAP query). The audit log refuses UPDATE and DELETE at the SQL level
// too; the hash chain is what detects changes made around SQLite.
// The devices table of version 2, named (the upgrade makes it beside version 1's).
std::string devices_table(const char* name) {
  return std::string("CREATE TABLE ") + name + R"sql( (
  devid INTEGER PRIMARY KEY,
  urn TEXT NOT NULL UNIQUE,
  fingerprint BLOB,
  otp_digest BLOB NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER,
  controller_ip BLOB,
  controller_port INTEGER,
  controller_fingerprint BLOB,
  controller_psk BLOB,
  description TEXT,
  mapped_at INTEGER,
  registered_at INTEGER,
  factory_psk BLOB,
  CHECK ((fingerprint IS NULL) != (factory_psk IS NULL))
);
)sql";
}

constexpr const char* kMetaTable = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

constexpr const char* kSchemaRest = R"sql(
-- Each Dev ID's bucket of OTP checks (rules.hpp, ThrottleState): failures holds
-- the slots spent at window_start, locks how often the bucket ran out;
-- locked_until is no longer used (0), kept so that version 1 files still open.
CREATE TABLE throttle (
  devid INTEGER PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  locked_until INTEGER NOT NULL,
  locks INTEGER NOT NULL
);

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  devid INTEGER,
  outcome TEXT NOT NULL,
  cfingerprint TEXT NOT NULL,
  detail TEXT NOT NULL,
  hash BLOB NOT NULL
);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

constexpr const char* kDeviceColumnsV1 =
    "devid, urn, fingerprint, otp_digest, state, revoked_at, controller_ip, controller_port, "
    "controller_fingerprint, controller_psk, description, mapped_at, registered_at";

// A version 1 file (read-only) has no factory_psk column: none of its devices is a PSK Device.
std::string select_device_sql(int version, const char* where) {
  return std::string("SELECT ") + kDeviceColumnsV1 + (version >= 2 ? ", factory_psk" : ", NULL") +
         " FROM devices WHERE " + where;
}

std::string insert_device_sql(int version) {
  return version >= 2 ? "INSERT INTO devices (devid, urn, fingerprint, otp_digest, factory_psk) "
                        "VALUES (?, ?, ?, ?, ?)"
                      : "INSERT INTO devices (devid, urn, fingerprint, otp_digest) "
                        "VALUES (?, ?, ?, ?)";
}

void configure(sqlite::Database& db, StoreAccess access) {
  // WAL lets readers run beside the one writer; FULL makes every commit durable.
  db.exec_or_throw("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (access == StoreAccess::read_only) db.exec_or_throw("PRAGMA query_only=1;");
}

int stored_schema_version(sqlite::Database& db, const std::string& path) {
  auto version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  auto row = version.step();
  if (!row.ok() || !*row) throw StartupError(path + " is not a MotherShip database");
  std::string text = version.column_text(0);
  if (text == "1") return 1;
  if (text == "2") return 2;
  throw StartupError(path + " has schema version " + text + "; this program knows " +
                     std::to_string(kSchemaVersion));
}

// Version 1 to 2: SQLite cannot drop a NOT NULL, so the devices table is copied into its
// version 2 form, in one transaction (a crash leaves version 1 whole).
void upgrade_to_2(sqlite::Database& db, const std::string& path) {
  db.exec_or_throw("BEGIN IMMEDIATE;");
  if (stored_schema_version(db, path) != 1) {  // another process upgraded it first
    db.exec_or_throw("COMMIT;");
    return;
  }
  db.exec_or_throw(devices_table("devices_v2") + "INSERT INTO devices_v2 (" + kDeviceColumnsV1 +
                   ") SELECT " + kDeviceColumnsV1 +
                   R"sql( FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v2 RENAME TO devices;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
COMMIT;
)sql");
}

// Configures the connection, upgrades a version 1 file opened read-write, and returns the
// schema version the statements must be written for.
int open_schema(sqlite::Database& db, StoreAccess access, const std::string& path) {
  configure(db, access);
  int version = stored_schema_version(db, path);
  if (version == 1 && access == StoreAccess::read_write) {
    upgrade_to_2(db, path);
    version = stored_schema_version(db, path);
  }
  return version;
}

std::optional<std::int64_t> optional_int(const sqlite::Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return row.column_int(column);
}

std::optional<Blob> optional_blob(const sqlite::Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return row.column_blob(column);
}

void bind_optional_blob(sqlite::Statement& s, int index, const std::optional<Blob>& blob) {
  if (blob) {
    s.bind_blob(index, ByteView(blob->data(), blob->size()));
  } else {
    s.bind_null(index);
  }
}

DeviceRow device_row(const sqlite::Statement& s) {
  DeviceRow row;
  row.devid = s.column_int(0);
  row.urn = s.column_text(1);
  row.fingerprint = optional_blob(s, 2);
  row.otp_digest = s.column_blob(3);
  row.state = s.column_int(4);
  row.revoked_at = optional_int(s, 5);
  row.controller_ip = optional_blob(s, 6);
  row.controller_port = s.is_null(7) ? 0 : s.column_int(7);
  row.controller_fingerprint = optional_blob(s, 8);
  row.controller_psk = optional_blob(s, 9);
  row.description = s.is_null(10) ? std::string() : s.column_text(10);
  row.mapped_at = optional_int(s, 11);
  row.registered_at = optional_int(s, 12);
  row.factory_psk = optional_blob(s, 13);
  return row;
}

class SqliteBackend final : public StoreBackend {
 public:
  SqliteBackend(const std::string& path, StoreAccess access)
      : db_(path, access == StoreAccess::read_only ? sqlite::Database::Mode::read_only
                                                   : sqlite::Database::Mode::read_write),
        // The pragmas (and an upgrade) must precede the first statement.
        schema_version_(open_schema(db_, access, path)),
        select_device_(db_.prepare(select_device_sql(schema_version_, "devid = ?").c_str())),
        select_device_by_urn_(db_.prepare(select_device_sql(schema_version_, "urn = ?").c_str())),
        select_box_devices_(db_.prepare(
            select_device_sql(schema_version_, "devid >= ? AND devid <= ? ORDER BY devid")
                .c_str())),
        select_throttle_(db_.prepare(
            "SELECT failures, window_start, locked_until, locks FROM throttle WHERE devid = ?")),
        select_device_buckets_(db_.prepare(
            "SELECT d.devid, t.failures, t.window_start, t.locks FROM devices d LEFT JOIN "
            "throttle t ON t.devid = d.devid WHERE d.devid BETWEEN ? AND ? ORDER BY d.devid")),
        select_audit_last_(
            db_.prepare("SELECT " TTE_AUDIT_COLUMNS " FROM audit ORDER BY seq DESC LIMIT 1")),
        select_audit_after_(db_.prepare("SELECT " TTE_AUDIT_COLUMNS
                                        " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?")),
        upsert_throttle_(db_.prepare(
            "INSERT INTO throttle (devid, failures, window_start, locked_until, locks) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (devid) DO UPDATE SET failures = "
            "excluded.failures, "
            "window_start = excluded.window_start, locked_until = excluded.locked_until, "
            "locks = excluded.locks")),
        swap_throttle_(
            db_.prepare("UPDATE throttle SET failures = ?, window_start = ?, locks = ? "
                        "WHERE devid = ? AND failures = ? AND window_start = ? AND locks = ?")),
        insert_throttle_(db_.prepare(
            "INSERT OR IGNORE INTO throttle (devid, failures, window_start, locked_until, locks) "
            "VALUES (?, ?, ?, 0, ?)")),
        map_device_(db_.prepare(
            "UPDATE devices SET state = 1, controller_ip = ?, controller_port = ?, "
            "controller_fingerprint = ?, controller_psk = ?, description = ?, mapped_at = ? "
            "WHERE devid = ? AND state = 0 AND revoked_at IS NULL")),
        mark_registered_(db_.prepare(
            "UPDATE devices SET state = 2, registered_at = ? WHERE devid = ? AND state = 1")),
        set_revoked_(db_.prepare("UPDATE devices SET revoked_at = ? WHERE devid = ?")),
        insert_device_(db_.prepare(insert_device_sql(schema_version_).c_str())),
        insert_audit_(db_.prepare("INSERT INTO audit (" TTE_AUDIT_COLUMNS
                                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {}

  int schema_version() const override { return schema_version_; }
  std::string location() const override { return db_.path(); }
  std::string last_error() const override { return db_.error_message(); }
  bool shared() const override { return false; }

  Result<std::optional<std::string>> meta(std::string_view key) override {
    auto statement = db_.prepare("SELECT value FROM meta WHERE key = ?");
    statement.bind(1, key);
    TTE_ASSIGN_OR_RETURN(bool row, statement.step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(statement.column_text(0));
  }
  Status set_meta(std::string_view key, std::string_view value) override {
    auto statement = db_.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
        "excluded.value");
    statement.bind(1, key).bind(2, value);
    return statement.run();
  }

  Result<std::optional<DeviceRow>> device(std::int64_t devid) override {
    select_device_.bind(1, devid);
    return read_device(select_device_);
  }
  Result<std::optional<DeviceRow>> device_by_urn(std::string_view urn) override {
    select_device_by_urn_.bind(1, urn);
    return read_device(select_device_by_urn_);
  }
  Result<std::vector<DeviceRow>> devices_between(std::int64_t first, std::int64_t last,
                                                 bool /*for_update*/) override {
    auto& s = select_box_devices_;
    sqlite::ResetOnExit reset(s);
    s.bind(1, first).bind(2, last);
    std::vector<DeviceRow> rows;
    while (true) {
      TTE_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      rows.push_back(device_row(s));
    }
    return rows;
  }
  Result<std::optional<ThrottleState>> throttle(std::int64_t devid) override {
    sqlite::ResetOnExit reset(select_throttle_);
    select_throttle_.bind(1, devid);
    TTE_ASSIGN_OR_RETURN(bool found, select_throttle_.step());
    if (!found) return std::optional<ThrottleState>();
    return std::optional<ThrottleState>(ThrottleState{
        static_cast<int>(select_throttle_.column_int(0)), select_throttle_.column_int(1),
        static_cast<int>(select_throttle_.column_int(3))});
  }
  Result<std::optional<AuditRow>> audit_last() override {
    sqlite::ResetOnExit reset(select_audit_last_);
    TTE_ASSIGN_OR_RETURN(bool found, select_audit_last_.step());
    if (!found) return std::optional<AuditRow>();
    TTE_ASSIGN_OR_RETURN(AuditRow row, audit_row(select_audit_last_));
    return std::optional<AuditRow>(std::move(row));
  }
  Result<std::vector<AuditRow>> audit_after(std::int64_t after, int limit) override {
    sqlite::ResetOnExit reset(select_audit_after_);
    select_audit_after_.bind(1, after).bind(2, limit);
    std::vector<AuditRow> rows;
    while (true) {
      TTE_ASSIGN_OR_RETURN(bool found, select_audit_after_.step());
      if (!found) break;
      TTE_ASSIGN_OR_RETURN(AuditRow row, audit_row(select_audit_after_));
      rows.push_back(std::move(row));
    }
    return rows;
  }
  Result<std::int64_t> device_count() override {
    auto statement = db_.prepare("SELECT count(*) FROM devices");
    TTE_ASSIGN_OR_RETURN(bool row, statement.step());
    return row ? statement.column_int(0) : 0;
  }
  Result<std::optional<std::int64_t>> max_devid() override {
    auto statement = db_.prepare("SELECT max(devid) FROM devices");
    TTE_ASSIGN_OR_RETURN(bool row, statement.step());
    if (!row || statement.is_null(0)) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(statement.column_int(0));
  }

  // One file has one writer at a time anyway: BEGIN IMMEDIATE takes its lock.
  Status begin_write() override { return db_.exec("BEGIN IMMEDIATE"); }
  Status begin_bulk() override { return db_.exec("BEGIN IMMEDIATE"); }
  Status lock_audit_chain() override { return ok_status(); }
  Status commit() override { return db_.exec("COMMIT"); }
  void rollback() override { (void)db_.exec("ROLLBACK"); }
  Status savepoint() override { return db_.exec("SAVEPOINT job"); }
  Status release_savepoint() override { return db_.exec("RELEASE job"); }
  void rollback_to_savepoint() override {
    (void)db_.exec("ROLLBACK TO job");
    (void)db_.exec("RELEASE job");
  }

  Status save_throttle(std::int64_t devid, const ThrottleState& state) override {
    sqlite::ResetOnExit reset(upsert_throttle_);
    upsert_throttle_.bind(1, devid)
        .bind(2, state.spent)
        .bind(3, state.since)
        .bind(4, std::int64_t{0})
        .bind(5, state.emptied);
    return upsert_throttle_.run();
  }
  Result<bool> swap_throttle(std::int64_t devid, const std::optional<ThrottleState>& expected,
                             const ThrottleState& next) override {
    if (expected) {
      sqlite::ResetOnExit reset(swap_throttle_);
      swap_throttle_.bind(1, next.spent)
          .bind(2, next.since)
          .bind(3, next.emptied)
          .bind(4, devid)
          .bind(5, expected->spent)
          .bind(6, expected->since)
          .bind(7, expected->emptied);
      TTE_TRY(swap_throttle_.run());
    } else {
      sqlite::ResetOnExit reset(insert_throttle_);
      insert_throttle_.bind(1, devid).bind(2, next.spent).bind(3, next.since).bind(4, next.emptied);
      TTE_TRY(insert_throttle_.run());
    }
    return db_.changes() == 1;
  }
  // The buckets of the stored Devices first..last, in Dev ID order.
  Result<std::vector<DeviceBucket>> device_buckets(std::int64_t first, std::int64_t last) {
    sqlite::ResetOnExit reset(select_device_buckets_);
    select_device_buckets_.bind(1, first).bind(2, last);
    std::vector<DeviceBucket> buckets;
    for (;;) {
      TTE_ASSIGN_OR_RETURN(bool found, select_device_buckets_.step());
      if (!found) break;
      DeviceBucket bucket{select_device_buckets_.column_int(0), std::nullopt};
      if (!select_device_buckets_.is_null(1)) {
        bucket.state = ThrottleState{static_cast<int>(select_device_buckets_.column_int(1)),
                                     select_device_buckets_.column_int(2),
                                     static_cast<int>(select_device_buckets_.column_int(3))};
      }
      buckets.push_back(bucket);
    }
    return buckets;
  }
  Result<bool> takes_writes() override { return true; }
  Status change_device_buckets(std::int64_t first, std::int64_t last,
                               const DecideBuckets& decide) override {
    TTE_TRY(db_.exec("BEGIN IMMEDIATE"));  // the one writer: the buckets stay as read
    auto changed = [&]() -> Status {
      TTE_ASSIGN_OR_RETURN(auto buckets, device_buckets(first, last));
      for (const BucketChange& change : decide(buckets))
        TTE_TRY(save_throttle(change.devid, change.next));
      return db_.exec("COMMIT");
    };
    Status status = ok_status();
    try {
      status = changed();
    } catch (...) {
      (void)db_.exec("ROLLBACK");
      throw;
    }
    if (!status.ok()) (void)db_.exec("ROLLBACK");
    return status;
  }
  Result<bool> map_device(std::int64_t devid, const MappingRow& m) override {
    sqlite::ResetOnExit reset(map_device_);
    map_device_.bind_blob(1, ByteView(m.controller_ip.data(), m.controller_ip.size()))
        .bind(2, m.controller_port)
        .bind_blob(3, ByteView(m.controller_fingerprint.data(), m.controller_fingerprint.size()));
    bind_optional_blob(map_device_, 4, m.controller_psk);
    map_device_.bind(5, m.description).bind(6, m.mapped_at).bind(7, devid);
    TTE_TRY(map_device_.run());
    return db_.changes() == 1;
  }
  Result<bool> mark_registered(std::int64_t devid, std::int64_t now) override {
    sqlite::ResetOnExit reset(mark_registered_);
    mark_registered_.bind(1, now).bind(2, devid);
    TTE_TRY(mark_registered_.run());
    return db_.changes() == 1;
  }
  Result<bool> set_revoked(std::int64_t devid, std::optional<std::int64_t> revoked_at) override {
    sqlite::ResetOnExit reset(set_revoked_);
    if (revoked_at) {
      set_revoked_.bind(1, *revoked_at);
    } else {
      set_revoked_.bind_null(1);
    }
    set_revoked_.bind(2, devid);
    TTE_TRY(set_revoked_.run());
    return db_.changes() == 1;
  }
  Status insert_devices(const std::vector<NewDeviceRow>& rows, std::string* duplicate_of) override {
    for (const NewDeviceRow& row : rows) {
      sqlite::ResetOnExit reset(insert_device_);
      insert_device_.bind(1, row.devid).bind(2, row.urn);
      bind_optional_blob(insert_device_, 3, row.fingerprint);
      insert_device_.bind_blob(4, ByteView(row.otp_digest.data(), row.otp_digest.size()));
      if (schema_version_ >= 2) bind_optional_blob(insert_device_, 5, row.factory_psk);
      Status inserted = insert_device_.run();
      if (!inserted.ok()) {
        if (duplicate_of && inserted.error().code == Errc::duplicate) {
          *duplicate_of =
              "Dev ID " +
              std::string(DevId(static_cast<std::uint32_t>(row.devid)).to_string().view()) +
              " or URN " + row.urn;
        }
        return inserted;
      }
    }
    return ok_status();
  }
  Status insert_audit(const AuditEntry& entry, const AuditHash& hash) override {
    sqlite::ResetOnExit reset(insert_audit_);
    insert_audit_.bind(1, entry.seq).bind(2, entry.time).bind(3, entry.actor).bind(4, entry.action);
    if (entry.dev_id) {
      insert_audit_.bind(5, static_cast<std::int64_t>(entry.dev_id->value()));
    } else {
      insert_audit_.bind_null(5);
    }
    insert_audit_.bind(6, entry.outcome)
        .bind(7, entry.controller_fingerprint)
        .bind(8, entry.detail)
        .bind_blob(9, hash);
    return insert_audit_.run();
  }
  // A 256 MiB page cache keeps the URN index in memory.
  void tune_for_bulk_load() override { db_.exec_or_throw("PRAGMA cache_size=-262144;"); }

 private:
  Result<std::optional<DeviceRow>> read_device(sqlite::Statement& s) {
    sqlite::ResetOnExit reset(s);
    TTE_ASSIGN_OR_RETURN(bool found, s.step());
    if (!found) return std::optional<DeviceRow>();
    return std::optional<DeviceRow>(device_row(s));
  }
  static Result<AuditRow> audit_row(const sqlite::Statement& s) {
    AuditRow row;
    AuditEntry& entry = row.entry;
    entry.seq = s.column_int(0);
    entry.time = s.column_int(1);
    entry.actor = s.column_text(2);
    entry.action = s.column_text(3);
    if (!s.is_null(4)) entry.dev_id = DevId(static_cast<std::uint32_t>(s.column_int(4)));
    entry.outcome = s.column_text(5);
    entry.controller_fingerprint = s.column_text(6);
    entry.detail = s.column_text(7);
    ByteView hash = s.column_blob_view(8);
    if (hash.size() != row.hash.size())
      return make_error(Errc::io, "an audit hash is not 32 bytes", "database");
    std::memcpy(row.hash.data(), hash.data(), hash.size());
    return row;
  }

  mutable sqlite::Database db_;
  int schema_version_;
  sqlite::Statement select_device_;
  sqlite::Statement select_device_by_urn_;
  sqlite::Statement select_box_devices_;
  sqlite::Statement select_throttle_;
  sqlite::Statement select_device_buckets_;
  sqlite::Statement select_audit_last_;
  sqlite::Statement select_audit_after_;
  sqlite::Statement upsert_throttle_;
  sqlite::Statement swap_throttle_;
  sqlite::Statement insert_throttle_;
  sqlite::Statement map_device_;
  sqlite::Statement mark_registered_;
  sqlite::Statement set_revoked_;
  sqlite::Statement insert_device_;
  sqlite::Statement insert_audit_;
};

}  // namespace

std::unique_ptr<StoreBackend> open_sqlite_backend(const std::string& path, StoreAccess access) {
  return std::make_unique<SqliteBackend>(path, access);
}

void create_sqlite_schema(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& meta) {
  sqlite::Database db(path, sqlite::Database::Mode::read_write_create);
  configure(db, StoreAccess::read_write);
  db.exec_or_throw("BEGIN IMMEDIATE;");
  db.exec_or_throw(std::string(kMetaTable) + devices_table("devices") + kSchemaRest);
  auto insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
  for (const auto& [key, value] : meta) {
    sqlite::ResetOnExit reset(insert);
    insert.bind(1, key).bind(2, value);
    if (!insert.run().ok()) throw StartupError(path + ": " + db.error_message());
  }
  db.exec_or_throw("COMMIT;");
}

}  // namespace tte::mothership
