#include "store.hpp"

#include <cstring>

#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {

// Version 2 (PSK Devices, docs/protocol.md §13.3): devices.fingerprint may be NULL, and
// devices.factory_psk holds a PSK Device's sealed factory PSK. Version 1 files are upgraded
// when opened read-write (upgrade_to_2), and read as they are when opened read-only.
constexpr int kSchemaVersion = 2;

// Devices are looked up by Dev ID (the rowid: no separate index) and by URN
// (the CoAP query). The audit log refuses UPDATE and DELETE at the SQL level
// too; the hash chain is what detects changes made around SQLite.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE devices (
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

void configure(sqlite::Database& db, Store::Access access) {
  // WAL lets readers run beside the one writer; FULL makes every commit durable.
  db.exec_or_throw("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  if (access == Store::Access::read_only) db.exec_or_throw("PRAGMA query_only=1;");
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
  db.exec_or_throw(std::string(R"sql(
CREATE TABLE devices_v2 (
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
INSERT INTO devices_v2 ()sql") +
                   kDeviceColumnsV1 + ") SELECT " + kDeviceColumnsV1 +
                   R"sql( FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v2 RENAME TO devices;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
COMMIT;
)sql");
}

// Configures the connection, upgrades a version 1 file opened read-write, and returns the
// schema version the statements must be written for.
int open_schema(sqlite::Database& db, Store::Access access, const std::string& path) {
  configure(db, access);
  int version = stored_schema_version(db, path);
  if (version == 1 && access == Store::Access::read_write) {
    upgrade_to_2(db, path);
    version = stored_schema_version(db, path);
  }
  return version;
}

template <std::size_t N>
bool copy_blob(ByteView blob, std::array<std::uint8_t, N>& out) {
  if (blob.size() != N) return false;
  std::memcpy(out.data(), blob.data(), N);
  return true;
}

std::optional<std::int64_t> optional_int(const sqlite::Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return row.column_int(column);
}

Error corrupt(const char* what) {
  return make_error(Errc::io, what, "database");
}

}  // namespace

void Store::initialize(const std::string& path, MsId ms_id) {
  sqlite::Database db(path, sqlite::Database::Mode::read_write_create);
  configure(db, Access::read_write);
  db.exec_or_throw("BEGIN IMMEDIATE;");
  db.exec_or_throw(kSchema);
  db.exec_or_throw("INSERT INTO meta (key, value) VALUES ('schema_version', '" +
                   std::to_string(kSchemaVersion) + "'), ('ms_id', '" +
                   std::to_string(ms_id.value()) + "');");
  db.exec_or_throw("COMMIT;");
}

Store::Store(const std::string& path, Access access, const PskSealer* psk_sealer)
    : db_(path, access == Access::read_only ? sqlite::Database::Mode::read_only
                                            : sqlite::Database::Mode::read_write),
      // The pragmas (and an upgrade) must precede the first statement.
      schema_version_(open_schema(db_, access, path)),
      select_device_(db_.prepare(select_device_sql(schema_version_, "devid = ?").c_str())),
      select_device_by_urn_(db_.prepare(select_device_sql(schema_version_, "urn = ?").c_str())),
      select_box_devices_(db_.prepare(
          select_device_sql(schema_version_, "devid >= ? AND devid <= ? ORDER BY devid").c_str())),
      select_throttle_(db_.prepare(
          "SELECT failures, window_start, locked_until, locks FROM throttle WHERE devid = ?")),
      select_audit_head_(db_.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")),
      select_audit_after_(db_.prepare(
          "SELECT seq, time, actor, action, devid, outcome, cfingerprint, detail, hash FROM audit "
          "WHERE seq > ? ORDER BY seq LIMIT ?")),
      upsert_throttle_(db_.prepare(
          "INSERT INTO throttle (devid, failures, window_start, locked_until, locks) "
          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (devid) DO UPDATE SET failures = excluded.failures, "
          "window_start = excluded.window_start, locked_until = excluded.locked_until, "
          "locks = excluded.locks")),
      map_device_(db_.prepare(
          "UPDATE devices SET state = 1, controller_ip = ?, controller_port = ?, "
          "controller_fingerprint = ?, controller_psk = ?, description = ?, mapped_at = ? "
          "WHERE devid = ? AND state = 0 AND revoked_at IS NULL")),
      mark_registered_(db_.prepare(
          "UPDATE devices SET state = 2, registered_at = ? WHERE devid = ? AND state = 1")),
      set_revoked_(db_.prepare("UPDATE devices SET revoked_at = ? WHERE devid = ?")),
      insert_device_(db_.prepare(insert_device_sql(schema_version_).c_str())),
      insert_audit_(db_.prepare("INSERT INTO audit (seq, time, actor, action, devid, outcome, "
                                "cfingerprint, detail, hash) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
  if (psk_sealer) use_psk_sealer(*psk_sealer);
}

MsId Store::ms_id(IdPolicy policy) const {
  auto statement =
      const_cast<sqlite::Database&>(db_).prepare("SELECT value FROM meta WHERE key = 'ms_id'");
  auto row = statement.step();
  if (!row.ok() || !*row) throw StartupError(path() + " records no MS ID");
  std::string text = statement.column_text(0);
  auto ms_id = MsId::parse_number(text, policy);
  if (!ms_id.ok()) {
    std::string hint = text == "0" ? " (it is the example ID: start with --allow-example-id)" : "";
    throw StartupError(path() + ": MS ID " + text + " refused: " + ms_id.error().message + hint);
  }
  return ms_id.value();
}

Result<std::optional<DeviceRecord>> Store::read_device(sqlite::Statement& s) {
  sqlite::ResetOnExit reset(s);
  TTE_ASSIGN_OR_RETURN(bool found, s.step());
  if (!found) return std::optional<DeviceRecord>();
  TTE_ASSIGN_OR_RETURN(DeviceRecord record, device_of_row(s));
  return std::optional<DeviceRecord>(std::move(record));
}

Result<std::vector<DeviceRecord>> Store::box_devices(DevId first, std::uint32_t count) {
  auto& s = select_box_devices_;
  sqlite::ResetOnExit reset(s);
  s.bind(1, static_cast<std::int64_t>(first.value()))
      .bind(2, static_cast<std::int64_t>(first.value()) + static_cast<std::int64_t>(count) - 1);
  std::vector<DeviceRecord> devices;
  while (true) {
    TTE_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    TTE_ASSIGN_OR_RETURN(DeviceRecord record, device_of_row(s));
    devices.push_back(std::move(record));
  }
  return devices;
}

Result<DeviceRecord> Store::device_of_row(sqlite::Statement& s) {
  auto urn = DevUrn::parse(s.column_text(1));
  // A certificate Device has a key fingerprint; a PSK Device a sealed factory PSK instead.
  std::optional<Fingerprint> fingerprint;
  std::optional<SealedPsk> sealed_psk;
  if (!s.is_null(13)) {
    sealed_psk.emplace();
    if (!copy_blob(s.column_blob_view(13), *sealed_psk)) return corrupt("a sealed PSK is damaged");
  } else {
    auto key = Fingerprint::from_bytes(s.column_blob_view(2));
    if (!key.ok()) return corrupt("a device row does not parse");
    fingerprint = key.value();
  }
  OtpDigest digest{};
  if (!urn.ok() || !copy_blob(s.column_blob_view(3), digest)) {
    return corrupt("a device row does not parse");
  }
  DeviceRecord record{DevId(static_cast<std::uint32_t>(s.column_int(0))),
                      urn.value(),
                      fingerprint,
                      digest,
                      DeviceState::unmapped,
                      std::nullopt,
                      std::nullopt,
                      std::string(),
                      std::nullopt,
                      std::nullopt};
  std::int64_t state = s.column_int(4);
  record.state = state == 0   ? DeviceState::unmapped
                 : state == 1 ? DeviceState::mapped
                              : DeviceState::registered;
  record.revoked_at = optional_int(s, 5);
  if (!s.is_null(6)) {
    auto ip = IpAddress::from_bytes(s.column_blob_view(6));
    auto controller_fingerprint = Fingerprint::from_bytes(s.column_blob_view(8));
    if (!ip.ok() || !controller_fingerprint.ok())
      return corrupt("a controller binding does not parse");
    ControllerBinding binding{
        ControllerAddress{ip.value(), static_cast<std::uint16_t>(s.column_int(7))},
        controller_fingerprint.value(), std::nullopt};
    if (!s.is_null(9)) {
      // Sealed under psk.key (45 bytes); a database written before sealing holds 16 in clear.
      const ByteView stored = s.column_blob_view(9);
      Psk psk{};
      if (stored.size() == std::tuple_size<SealedPsk>::value) {
        if (link_sealer_) {
          TTE_ASSIGN_OR_RETURN(psk, link_sealer_->unseal(record.dev_id, stored));
          binding.psk = psk;
        } else {
          binding.psk_unopened = true;
        }
      } else {
        if (!copy_blob(stored, psk)) return corrupt("a PSK does not parse");
        binding.psk = psk;
      }
    }
    record.controller = binding;
  }
  record.description = s.column_text(10);
  record.mapped_at = optional_int(s, 11);
  record.registered_at = optional_int(s, 12);
  record.sealed_psk = sealed_psk;
  return record;
}

Result<std::optional<DeviceRecord>> Store::device(DevId dev_id) {
  select_device_.bind(1, static_cast<std::int64_t>(dev_id.value()));
  return read_device(select_device_);
}

Result<std::optional<DeviceRecord>> Store::device_by_urn(std::string_view urn) {
  select_device_by_urn_.bind(1, urn);
  return read_device(select_device_by_urn_);
}

Result<ThrottleState> Store::throttle(DevId dev_id) {
  sqlite::ResetOnExit reset(select_throttle_);
  select_throttle_.bind(1, static_cast<std::int64_t>(dev_id.value()));
  TTE_ASSIGN_OR_RETURN(bool found, select_throttle_.step());
  if (!found) return ThrottleState{};
  return ThrottleState{static_cast<int>(select_throttle_.column_int(0)),
                       select_throttle_.column_int(1),
                       static_cast<int>(select_throttle_.column_int(3))};
}

Result<AuditHead> Store::audit_head() {
  sqlite::ResetOnExit reset(select_audit_head_);
  TTE_ASSIGN_OR_RETURN(bool found, select_audit_head_.step());
  AuditHead head;
  if (!found) return head;
  head.seq = select_audit_head_.column_int(0);
  if (!copy_blob(select_audit_head_.column_blob_view(1), head.hash))
    return corrupt("an audit hash is not 32 bytes");
  return head;
}

Result<std::vector<std::pair<AuditEntry, AuditHash>>> Store::audit_after(std::int64_t after,
                                                                         int limit) {
  sqlite::ResetOnExit reset(select_audit_after_);
  select_audit_after_.bind(1, after).bind(2, limit);
  std::vector<std::pair<AuditEntry, AuditHash>> entries;
  while (true) {
    TTE_ASSIGN_OR_RETURN(bool row, select_audit_after_.step());
    if (!row) break;
    auto& s = select_audit_after_;
    AuditEntry entry;
    entry.seq = s.column_int(0);
    entry.time = s.column_int(1);
    entry.actor = s.column_text(2);
    entry.action = s.column_text(3);
    if (!s.is_null(4)) entry.dev_id = DevId(static_cast<std::uint32_t>(s.column_int(4)));
    entry.outcome = s.column_text(5);
    entry.controller_fingerprint = s.column_text(6);
    entry.detail = s.column_text(7);
    AuditHash hash{};
    if (!copy_blob(s.column_blob_view(8), hash)) return corrupt("an audit hash is not 32 bytes");
    entries.emplace_back(std::move(entry), hash);
  }
  return entries;
}

Result<std::int64_t> Store::device_count() {
  auto statement = db_.prepare("SELECT count(*) FROM devices");
  TTE_ASSIGN_OR_RETURN(bool row, statement.step());
  return row ? statement.column_int(0) : 0;
}

Result<std::optional<DevId>> Store::next_free_dev_id() {
  auto statement = db_.prepare("SELECT max(devid) FROM devices");
  TTE_ASSIGN_OR_RETURN(bool row, statement.step());
  if (!row || statement.is_null(0)) return std::optional<DevId>(DevId(1));
  std::int64_t highest = statement.column_int(0);
  if (highest >= 0xffffffff) return std::optional<DevId>();
  return std::optional<DevId>(DevId(static_cast<std::uint32_t>(highest + 1)));
}

Result<bool> Store::urn_exists(std::string_view urn) {
  TTE_ASSIGN_OR_RETURN(auto device, device_by_urn(urn));
  return device.has_value();
}

Status Store::begin_immediate() {
  return db_.exec("BEGIN IMMEDIATE");
}
Status Store::commit() {
  return db_.exec("COMMIT");
}
void Store::rollback() {
  (void)db_.exec("ROLLBACK");
}
Status Store::savepoint() {
  return db_.exec("SAVEPOINT job");
}
Status Store::release_savepoint() {
  return db_.exec("RELEASE job");
}
void Store::rollback_to_savepoint() {
  (void)db_.exec("ROLLBACK TO job");
  (void)db_.exec("RELEASE job");
}

Status Store::save_throttle(DevId dev_id, const ThrottleState& state) {
  sqlite::ResetOnExit reset(upsert_throttle_);
  upsert_throttle_.bind(1, static_cast<std::int64_t>(dev_id.value()))
      .bind(2, state.spent)
      .bind(3, state.since)
      .bind(4, std::int64_t{0})
      .bind(5, state.emptied);
  return upsert_throttle_.run();
}

Result<bool> Store::map_device(DevId dev_id, const ControllerBinding& controller,
                               const std::string& description, std::int64_t now) {
  sqlite::ResetOnExit reset(map_device_);
  map_device_.bind_blob(1, controller.address.ip.bytes())
      .bind(2, controller.address.port)
      .bind_blob(3, controller.fingerprint.bytes());
  if (controller.psk) {
    if (!link_sealer_) return make_error(Errc::crypto, "no psk.key to seal the link PSK", "cpsk");
    TTE_ASSIGN_OR_RETURN(SealedPsk sealed, link_sealer_->seal(dev_id, *controller.psk));
    map_device_.bind_blob(4, sealed);
  } else {
    map_device_.bind_null(4);
  }
  map_device_.bind(5, description).bind(6, now).bind(7, static_cast<std::int64_t>(dev_id.value()));
  TTE_TRY(map_device_.run());
  return db_.changes() == 1;
}

Status Store::mark_registered(DevId dev_id, std::int64_t now) {
  sqlite::ResetOnExit reset(mark_registered_);
  mark_registered_.bind(1, now).bind(2, static_cast<std::int64_t>(dev_id.value()));
  return mark_registered_.run();
}

Result<bool> Store::set_revoked(DevId dev_id, std::optional<std::int64_t> revoked_at) {
  sqlite::ResetOnExit reset(set_revoked_);
  if (revoked_at) {
    set_revoked_.bind(1, *revoked_at);
  } else {
    set_revoked_.bind_null(1);
  }
  set_revoked_.bind(2, static_cast<std::int64_t>(dev_id.value()));
  TTE_TRY(set_revoked_.run());
  return db_.changes() == 1;
}

Status Store::insert_device(const FactoryRecord& record, const OtpDigest& digest,
                            const std::optional<SealedPsk>& sealed_psk) {
  if (record.fingerprint.has_value() == sealed_psk.has_value()) {
    return make_error(Errc::syntax, "a device has either a key fingerprint or a sealed PSK",
                      "fingerprint");
  }
  if (sealed_psk && schema_version_ < 2)
    return make_error(Errc::unsupported, "a version 1 database holds no PSK Devices", "psk");
  sqlite::ResetOnExit reset(insert_device_);
  insert_device_.bind(1, static_cast<std::int64_t>(record.dev_id.value()))
      .bind(2, record.urn.view());
  if (record.fingerprint) {
    insert_device_.bind_blob(3, record.fingerprint->bytes());
  } else {
    insert_device_.bind_null(3);
  }
  insert_device_.bind_blob(4, digest);
  if (schema_version_ >= 2) {
    if (sealed_psk) {
      insert_device_.bind_blob(5, *sealed_psk);
    } else {
      insert_device_.bind_null(5);
    }
  }
  return insert_device_.run();
}

Result<AuditHead> Store::append_audit(AuditEntry& entry, const AuditHead& head) {
  entry.seq = head.seq + 1;
  AuditHead next{entry.seq, chain_hash(head.hash, entry)};
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
      .bind_blob(9, next.hash);
  TTE_TRY(insert_audit_.run());
  return next;
}

Result<Store::Verification> Store::verify_audit() {
  Verification verification;
  std::int64_t after = 0;
  while (true) {
    TTE_ASSIGN_OR_RETURN(auto entries, audit_after(after, 10000));
    if (entries.empty()) break;
    for (auto& [entry, stored] : entries) {
      AuditHash expected = chain_hash(verification.head.hash, entry);
      if (entry.seq != verification.head.seq + 1 || expected != stored) {
        verification.ok = false;
        verification.first_bad_seq = entry.seq;
        return verification;
      }
      verification.head = AuditHead{entry.seq, stored};
      ++verification.entries;
    }
    after = verification.head.seq;
  }
  return verification;
}

AuditEntry import_audit_entry(std::size_t count, const std::string& actor, std::int64_t now) {
  AuditEntry entry;
  entry.time = now;
  entry.actor = actor;
  entry.action = "import";
  entry.outcome = "done";
  entry.detail = std::to_string(count) + " devices";
  return entry;
}

}  // namespace tte::mothership
