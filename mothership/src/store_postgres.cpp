// The PostgreSQL backend (store_backend.hpp), through libpq: several MotherShip
// instances on one database (docs/operations.md, "Running on PostgreSQL, several instances").
//
// - Every write transaction that appends to the audit log holds one advisory
//   lock (kAuditChainLock) until it ends, so the chain has one appender at a
//   time whichever instance it runs in; a bulk import takes it only for its end.
// - synchronous_commit is on for every session: a commit is on disk (and on a
//   synchronous standby, if the server has one) before COMMIT returns.
// - A connection that broke is opened again by the next call, at most once a
//   second (sooner once another connection got through); until then calls
//   fail (io), and the MotherShip answers 503.
// - No call waits for the server longer than the deadline
//   (set_database_deadline): the server cancels a statement after it
//   (statement_timeout), and the client gives up 2 s later if the server says
//   nothing at all (a hung host, a dead network), closing the connection. The
//   first call that gives up so marks the database stalled for the whole
//   process: for the next second every call fails at once, then one call at a
//   time tries again, so a hung database ties up one thread, not all of them.
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "store_backend.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<std::int64_t> deadline_ms{10'000};
constexpr std::int64_t kClientGraceMs = 2'000;

// steady_clock ticks, as the process-wide atomics below keep them.
std::int64_t ticks_now() {
  return Clock::now().time_since_epoch().count();
}
constexpr std::int64_t kSecondTicks = Clock::duration(std::chrono::seconds(1)).count();

constexpr long long kAuditChainLock = 0x7474652d61756474;  // "tte-audt"
const std::string kLockAuditChain =
    "SELECT pg_advisory_xact_lock(" + std::to_string(kAuditChainLock) + ")";

// libpq's messages end in a newline.
std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE devices (
  devid bigint PRIMARY KEY CHECK (devid BETWEEN 0 AND 4294967295),
  urn text NOT NULL UNIQUE,
  fingerprint bytea,
  otp_digest bytea NOT NULL,
  state bigint NOT NULL DEFAULT 0,
  revoked_at bigint,
  controller_ip bytea,
  controller_port bigint,
  controller_fingerprint bytea,
  controller_psk bytea,
  description text,
  mapped_at bigint,
  registered_at bigint,
  factory_psk bytea,
  CHECK ((fingerprint IS NULL) <> (factory_psk IS NULL))
);

-- As in SQLite (store_sqlite.cpp): locked_until is unused (0).
CREATE TABLE throttle (
  devid bigint PRIMARY KEY,
  failures bigint NOT NULL,
  window_start bigint NOT NULL,
  locked_until bigint NOT NULL,
  locks bigint NOT NULL
);

CREATE TABLE audit (
  seq bigint PRIMARY KEY,
  time bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  devid bigint,
  outcome text NOT NULL,
  cfingerprint text NOT NULL,
  detail text NOT NULL,
  hash bytea NOT NULL
);

CREATE FUNCTION tte_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION tte_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION tte_audit_append_only();
)sql";

constexpr const char* kDeviceColumns =
    "devid, urn, fingerprint, otp_digest, state, revoked_at, controller_ip, controller_port, "
    "controller_fingerprint, controller_psk, description, mapped_at, registered_at, factory_psk";

constexpr unsigned kInt8 = 20, kBytea = 17, kText = 25;

// Parameters in binary format.
class Params {
 public:
  Params& add(std::int64_t value) {
    std::string bytes(8, '\0');
    auto v = static_cast<std::uint64_t>(value);
    for (int i = 7; i >= 0; --i, v >>= 8)
      bytes[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    return push(kInt8, std::move(bytes));
  }
  Params& add_text(std::string_view text) { return push(kText, std::string(text)); }
  Params& add_blob(const Blob& blob) { return push(kBytea, std::string(blob.begin(), blob.end())); }
  Params& add_blob(const std::optional<Blob>& blob) {
    if (!blob) return push_null(kBytea);
    return add_blob(*blob);
  }
  Params& add(std::optional<std::int64_t> value) {
    if (!value) return push_null(kInt8);
    return add(*value);
  }

  int count() const { return static_cast<int>(types_.size()); }
  const unsigned* types() const { return types_.data(); }
  const char* const* values() {
    pointers_.clear();
    for (std::size_t i = 0; i < values_.size(); ++i)
      pointers_.push_back(nulls_[i] ? nullptr : values_[i].data());
    return pointers_.data();
  }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  Params& push(unsigned type, std::string bytes) {
    types_.push_back(type);
    lengths_.push_back(static_cast<int>(bytes.size()));
    formats_.push_back(1);
    values_.push_back(std::move(bytes));
    nulls_.push_back(false);
    return *this;
  }
  Params& push_null(unsigned type) {
    push(type, std::string());
    nulls_.back() = true;
    return *this;
  }
  std::vector<unsigned> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<const char*> pointers_;
};

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Columns of a binary-format result.
struct Row {
  const PGresult* result;
  int row;
  bool is_null(int column) const { return PQgetisnull(result, row, column) != 0; }
  std::int64_t int8(int column) const {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result, row, column));
    const int length = PQgetlength(result, row, column);
    std::uint64_t v = 0;
    for (int i = 0; i < length; ++i)
      v = (v << 8) | bytes[i];
    if (length == 4) return static_cast<std::int32_t>(v);
    return static_cast<std::int64_t>(v);
  }
  // failures, window_start, locks from `column` on.
  ThrottleState throttle_state(int column) const {
    return ThrottleState{static_cast<int>(int8(column)), int8(column + 1),
                         static_cast<int>(int8(column + 2))};
  }
  std::optional<std::int64_t> optional_int8(int column) const {
    if (is_null(column)) return std::nullopt;
    return int8(column);
  }
  std::string text(int column) const {
    return std::string(PQgetvalue(result, row, column),
                       static_cast<std::size_t>(PQgetlength(result, row, column)));
  }
  Blob blob(int column) const {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result, row, column));
    return Blob(bytes, bytes + PQgetlength(result, row, column));
  }
  std::optional<Blob> optional_blob(int column) const {
    if (is_null(column)) return std::nullopt;
    return blob(column);
  }
};

DeviceRow device_row(const Row& r) {
  DeviceRow row;
  row.devid = r.int8(0);
  row.urn = r.text(1);
  row.fingerprint = r.optional_blob(2);
  row.otp_digest = r.blob(3);
  row.state = r.int8(4);
  row.revoked_at = r.optional_int8(5);
  row.controller_ip = r.optional_blob(6);
  row.controller_port = r.is_null(7) ? 0 : r.int8(7);
  row.controller_fingerprint = r.optional_blob(8);
  row.controller_psk = r.optional_blob(9);
  row.description = r.is_null(10) ? std::string() : r.text(10);
  row.mapped_at = r.optional_int8(11);
  row.registered_at = r.optional_int8(12);
  row.factory_psk = r.optional_blob(13);
  return row;
}

Result<AuditRow> audit_row(const Row& r) {
  AuditRow row;
  row.entry.seq = r.int8(0);
  row.entry.time = r.int8(1);
  row.entry.actor = r.text(2);
  row.entry.action = r.text(3);
  if (!r.is_null(4)) row.entry.dev_id = DevId(static_cast<std::uint32_t>(r.int8(4)));
  row.entry.outcome = r.text(5);
  row.entry.controller_fingerprint = r.text(6);
  row.entry.detail = r.text(7);
  Blob hash = r.blob(8);
  if (hash.size() != row.hash.size())
    return make_error(Errc::io, "an audit hash is not 32 bytes", "database");
  std::memcpy(row.hash.data(), hash.data(), hash.size());
  return row;
}

// "postgresql://..." with our defaults (the URI's own settings win): the
// deadline for connecting, and TCP keepalives and a TCP user timeout so that a
// peer that vanished is noticed in about 25 s even on an idle connection.
PGconn* connect(const std::string& uri) {
  const std::string timeout = std::to_string(std::max<std::int64_t>(2, deadline_ms.load() / 1000));
  const char* keywords[] = {"connect_timeout",
                            "application_name",
                            "keepalives",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "tcp_user_timeout",
                            "dbname",
                            nullptr};
  const char* values[] = {timeout.c_str(), "tte-mothership", "1",    "10", "5", "3",
                          "25000",         uri.c_str(),      nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (PQstatus(conn) == CONNECTION_OK) PQsetnonblocking(conn, 1);
  return conn;
}

void append_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void append_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void append_field(std::string& out, const void* bytes, std::size_t length) {
  append_u32(out, static_cast<std::uint32_t>(length));
  out.append(static_cast<const char*>(bytes), length);
}
void append_field(std::string& out, const std::optional<Blob>& blob) {
  if (!blob) {
    append_u32(out, 0xffffffffu);  // NULL
    return;
  }
  append_field(out, blob->data(), blob->size());
}

void append_int8(std::string& out, std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(value);
  append_u32(out, 8);
  append_u32(out, static_cast<std::uint32_t>(v >> 32));
  append_u32(out, static_cast<std::uint32_t>(v & 0xffffffffu));
}

// "Key (devid)=(5) already exists." -> "Dev ID 00000005"; the URN likewise.
std::string duplicate_named_by(const char* detail) {
  if (detail == nullptr) return "a Dev ID or URN";
  std::string text(detail);
  const std::size_t open = text.find(")=(");
  const std::size_t close = text.rfind(") already exists");
  if (open == std::string::npos || close == std::string::npos || close < open) return text;
  const std::string value = text.substr(open + 3, close - open - 3);
  if (text.find("(devid)") != std::string::npos) {
    char* end = nullptr;
    const unsigned long long devid = std::strtoull(value.c_str(), &end, 10);
    if (end != value.c_str() && devid <= 0xffffffffull)
      return "Dev ID " + std::string(DevId(static_cast<std::uint32_t>(devid)).to_string().view());
  }
  if (text.find("(urn)") != std::string::npos) return "URN " + value;
  return text;
}

class PostgresBackend final : public StoreBackend {
 public:
  PostgresBackend(std::string uri, StoreAccess access) : uri_(std::move(uri)), access_(access) {
    try {
      open_checked();
    } catch (...) {
      close();  // no destructor runs for what the constructor threw out of
      throw;
    }
  }
  ~PostgresBackend() override { close(); }

 private:
  void open_checked() {
    {
      // While the database is stalled (the comment at the top), a new
      // connection is one more call: refused, or the one that tries it again.
      Admission admission(*this);
      if (!admission.admitted()) throw StartupError(redacted() + ": " + last_error_);
      if (!open_connection())
        throw StartupError("cannot connect to " + redacted() + ": " + last_error_);
      if (!set_up_session()) throw StartupError(redacted() + ": " + last_error_);
    }
    last_reconnect_.store(ticks_now());
    auto version = meta("schema_version");
    if (!version.ok() || !version.value()) {
      throw StartupError(redacted() +
                         " is not a MotherShip database (tte-mothership init --database creates "
                         "one): " +
                         last_error_);
    }
    const std::string& text = *version.value();
    schema_version_ = std::atoi(text.c_str());
    if (schema_version_ != kSchemaVersion) {
      throw StartupError(redacted() + " has schema version " + text + "; this program knows " +
                         std::to_string(kSchemaVersion));
    }
  }

 public:
  int schema_version() const override { return schema_version_; }
  std::string location() const override { return redacted(); }
  std::string last_error() const override { return last_error_; }
  bool shared() const override { return true; }

  Result<std::optional<std::string>> meta(std::string_view key) override {
    Params p;
    p.add_text(key);
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query("SELECT value FROM meta WHERE key = $1", p));
    if (PQntuples(r.get()) == 0) return std::optional<std::string>();
    return std::optional<std::string>(Row{r.get(), 0}.text(0));
  }
  Result<bool> takes_writes() override {
    // reset_val: the session's default before its own SETs (a read pool sets
    // default_transaction_read_only itself).
    return one_true(
        "SELECT NOT pg_is_in_recovery() AND reset_val = 'off' FROM pg_settings WHERE name = "
        "'default_transaction_read_only'");
  }
  Result<bool> owns_tables() override {
    return one_true(
        "SELECT pg_has_role(relowner, 'MEMBER') FROM pg_class WHERE oid = to_regclass('audit')");
  }
  Status set_meta(std::string_view key, std::string_view value) override {
    Params p;
    p.add_text(key).add_text(value);
    return command(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = "
        "excluded.value",
        p);
  }

  Result<std::optional<DeviceRow>> device(std::int64_t devid) override {
    Params p;
    p.add(devid);
    return one_device(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE devid = $1",
                      p);
  }
  Result<std::optional<DeviceRow>> device_by_urn(std::string_view urn) override {
    Params p;
    p.add_text(urn);
    return one_device(std::string("SELECT ") + kDeviceColumns + " FROM devices WHERE urn = $1", p);
  }
  Result<std::vector<DeviceRow>> devices_between(std::int64_t first, std::int64_t last,
                                                 bool for_update) override {
    Params p;
    p.add(first).add(last);
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query(std::string("SELECT ") + kDeviceColumns +
                                                " FROM devices WHERE devid >= $1 AND devid <= $2 "
                                                "ORDER BY devid" +
                                                (for_update ? " FOR UPDATE" : ""),
                                            p));
    std::vector<DeviceRow> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i)
      rows.push_back(device_row(Row{r.get(), i}));
    return rows;
  }
  Result<std::optional<ThrottleState>> throttle(std::int64_t devid) override {
    Params p;
    p.add(devid);
    TTE_ASSIGN_OR_RETURN(
        ResultPtr r,
        query("SELECT failures, window_start, locks FROM throttle WHERE devid = $1", p));
    if (PQntuples(r.get()) == 0) return std::optional<ThrottleState>();
    return std::optional<ThrottleState>(Row{r.get(), 0}.throttle_state(0));
  }
  Result<std::optional<AuditRow>> audit_last() override {
    Params p;
    TTE_ASSIGN_OR_RETURN(
        ResultPtr r, query("SELECT " TTE_AUDIT_COLUMNS " FROM audit ORDER BY seq DESC LIMIT 1", p));
    if (PQntuples(r.get()) == 0) return std::optional<AuditRow>();
    TTE_ASSIGN_OR_RETURN(AuditRow row, audit_row(Row{r.get(), 0}));
    return std::optional<AuditRow>(std::move(row));
  }
  Result<std::vector<AuditRow>> audit_after(std::int64_t after, int limit) override {
    Params p;
    p.add(after).add(std::int64_t{limit});
    TTE_ASSIGN_OR_RETURN(
        ResultPtr r,
        query("SELECT " TTE_AUDIT_COLUMNS " FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2", p));
    std::vector<AuditRow> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      TTE_ASSIGN_OR_RETURN(AuditRow row, audit_row(Row{r.get(), i}));
      rows.push_back(std::move(row));
    }
    return rows;
  }
  Result<std::int64_t> device_count() override {
    Params p;
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query("SELECT count(*) FROM devices", p));
    return Row{r.get(), 0}.int8(0);
  }
  Result<std::optional<std::int64_t>> max_devid() override {
    Params p;
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query("SELECT max(devid) FROM devices", p));
    Row row{r.get(), 0};
    return row.optional_int8(0);
  }

  Status begin_write() override { return simple("BEGIN; " + kLockAuditChain, true); }
  Status begin_bulk() override { return simple("BEGIN", true); }
  Status lock_audit_chain() override { return simple(kLockAuditChain); }
  Status commit() override {
    Status committed = simple("COMMIT");
    in_transaction_ = false;
    // A COMMIT of a failed transaction "succeeds" as a ROLLBACK.
    if (committed.ok() && rolled_back_) {
      rolled_back_ = false;
      last_error_ = "the transaction had failed and was rolled back";
      return make_error(Errc::io, "the transaction was rolled back", "database");
    }
    return committed;
  }
  void rollback() override {
    (void)simple("ROLLBACK");
    in_transaction_ = false;
    rolled_back_ = false;
  }
  Status savepoint() override { return simple("SAVEPOINT job"); }
  Status release_savepoint() override { return simple("RELEASE job"); }
  void rollback_to_savepoint() override { (void)simple("ROLLBACK TO job; RELEASE job"); }

  Status save_throttle(std::int64_t devid, const ThrottleState& state) override {
    Params p;
    p.add(devid).add(std::int64_t{state.spent}).add(state.since).add(std::int64_t{state.emptied});
    return command(
        "INSERT INTO throttle (devid, failures, window_start, locked_until, locks) "
        "VALUES ($1, $2, $3, 0, $4) ON CONFLICT (devid) DO UPDATE SET failures = "
        "excluded.failures, window_start = excluded.window_start, locks = excluded.locks",
        p);
  }
  Result<bool> swap_throttle(std::int64_t devid, const std::optional<ThrottleState>& expected,
                             const ThrottleState& next) override {
    Params p;
    p.add(devid).add(std::int64_t{next.spent}).add(next.since).add(std::int64_t{next.emptied});
    if (expected) {
      p.add(std::int64_t{expected->spent})
          .add(expected->since)
          .add(std::int64_t{expected->emptied});
      return changed_one(
          "UPDATE throttle SET failures = $2, window_start = $3, locks = $4 WHERE devid = $1 AND "
          "failures = $5 AND window_start = $6 AND locks = $7",
          p);
    }
    return changed_one(
        "INSERT INTO throttle (devid, failures, window_start, locked_until, locks) "
        "VALUES ($1, $2, $3, 0, $4) ON CONFLICT (devid) DO NOTHING",
        p);
  }
  // Five round trips for any number of buckets (a box of 10,000 is not 20,000):
  // BEGIN, rows made where there were none, read locked in Dev ID order
  // (two boxes never deadlock; a single check waits, then sees the change),
  // one UPDATE from arrays, COMMIT.
  Status change_device_buckets(std::int64_t first, std::int64_t last,
                               const DecideBuckets& decide) override {
    // A transaction of its own: inside the caller's, its COMMIT would commit theirs.
    if (in_transaction_)
      return make_error(Errc::internal, "buckets are changed outside transactions", "throttle");
    TTE_TRY(simple("BEGIN", true));
    auto changed = [&]() -> Status {
      Params range;
      range.add(first).add(last);
      TTE_TRY(command(
          "INSERT INTO throttle (devid, failures, window_start, locked_until, locks) SELECT devid, "
          "0, 0, 0, 0 FROM devices WHERE devid BETWEEN $1 AND $2 ORDER BY devid ON CONFLICT "
          "(devid) DO NOTHING",
          range));
      TTE_ASSIGN_OR_RETURN(
          ResultPtr r,
          query("SELECT t.devid, t.failures, t.window_start, t.locks FROM throttle t JOIN devices "
                "d ON d.devid = t.devid WHERE t.devid BETWEEN $1 AND $2 ORDER BY t.devid FOR "
                "UPDATE OF t",
                range));
      std::vector<DeviceBucket> buckets;
      buckets.reserve(static_cast<std::size_t>(PQntuples(r.get())));
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        Row row{r.get(), i};
        buckets.push_back(DeviceBucket{row.int8(0), row.throttle_state(1)});
      }
      const std::vector<BucketChange> changes = decide(buckets);
      if (!changes.empty()) {
        std::string ids, spent, since, emptied;
        auto append = [](std::string& list, std::int64_t value) {
          list += list.empty() ? "{" : ",";
          list += std::to_string(value);
        };
        for (const BucketChange& change : changes) {
          append(ids, change.devid);
          append(spent, change.next.spent);
          append(since, change.next.since);
          append(emptied, change.next.emptied);
        }
        Params p;
        p.add_text(ids + "}").add_text(spent + "}").add_text(since + "}").add_text(emptied + "}");
        TTE_TRY(command(
            "UPDATE throttle t SET failures = u.spent, window_start = u.since, locks = u.emptied "
            "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(devid, "
            "spent, since, emptied) WHERE t.devid = u.devid",
            p));
      }
      return commit();
    };
    Status status = ok_status();
    try {
      status = changed();
    } catch (...) {
      rollback();  // never back to the pool with the rows locked
      throw;
    }
    if (!status.ok() && in_transaction_) rollback();
    return status;
  }
  Result<bool> map_device(std::int64_t devid, const MappingRow& m) override {
    Params p;
    p.add_blob(m.controller_ip)
        .add(m.controller_port)
        .add_blob(m.controller_fingerprint)
        .add_blob(m.controller_psk)
        .add_text(m.description)
        .add(m.mapped_at)
        .add(devid);
    return changed_one(
        "UPDATE devices SET state = 1, controller_ip = $1, controller_port = $2, "
        "controller_fingerprint = $3, controller_psk = $4, description = $5, mapped_at = $6 "
        "WHERE devid = $7 AND state = 0 AND revoked_at IS NULL",
        p);
  }
  Result<bool> mark_registered(std::int64_t devid, std::int64_t now) override {
    Params p;
    p.add(now).add(devid);
    return changed_one(
        "UPDATE devices SET state = 2, registered_at = $1 WHERE devid = $2 AND state = 1", p);
  }
  Result<bool> set_revoked(std::int64_t devid, std::optional<std::int64_t> revoked_at) override {
    Params p;
    p.add(revoked_at).add(devid);
    return changed_one("UPDATE devices SET revoked_at = $1 WHERE devid = $2", p);
  }
  // One COPY in binary format, sent in pieces of about 1 MiB. No savepoint of
  // its own (a subtransaction each would overflow PostgreSQL's cache of 64 in a
  // long import): after a failure the transaction takes no more statements
  // until it is rolled back, or back to the caller's savepoint.
  Status insert_devices(const std::vector<NewDeviceRow>& rows, std::string* duplicate_of) override {
    if (rows.empty()) return ok_status();
    return copy_in(
        "COPY devices (devid, urn, fingerprint, otp_digest, factory_psk) FROM STDIN "
        "(FORMAT binary)",
        rows.size(),
        [&](std::size_t i, std::string& buffer) {
          const NewDeviceRow& row = rows[i];
          append_u16(buffer, 5);
          append_int8(buffer, row.devid);
          append_field(buffer, row.urn.data(), row.urn.size());
          append_field(buffer, row.fingerprint);
          append_field(buffer, row.otp_digest.data(), row.otp_digest.size());
          append_field(buffer, row.factory_psk);
        },
        duplicate_of);
  }

  // One COPY ... FROM STDIN (FORMAT binary) of `count` tuples, sent in pieces of
  // about 1 MiB; `tuple` appends tuple i.
  template <typename Tuple>
  Status copy_in(const char* sql, std::size_t count, Tuple tuple, std::string* duplicate_of) {
    Admission admission(*this);
    if (!admission.admitted() || !usable()) return unreachable();
    ResultPtr started = run(PQsendQuery(conn_, sql) == 1);
    if (PQresultStatus(started.get()) != PGRES_COPY_IN) return failed(started.get());
    std::string buffer("PGCOPY\n\377\r\n\0", 11);
    append_u32(buffer, 0);  // flags
    append_u32(buffer, 0);  // header extension
    // Each piece has the deadline: a COPY may be long, but never stuck.
    auto send = [&]() -> bool {
      if (buffer.empty()) return true;
      const bool sent = put(deadline(), [&] {
        return PQputCopyData(conn_, buffer.data(), static_cast<int>(buffer.size()));
      });
      buffer.clear();
      return sent;
    };
    bool sending = true;
    for (std::size_t i = 0; i < count; ++i) {
      tuple(i, buffer);
      if (buffer.size() >= (1u << 20) && !(sending = send())) break;
    }
    if (sending) {
      append_u16(buffer, 0xffff);  // trailer
      sending = send();
    }
    if (timed_out_ || !conn_) return failed(nullptr);
    const Clock::time_point end_deadline = deadline();
    if (!put(end_deadline,
             [&] { return PQputCopyEnd(conn_, sending ? nullptr : "the client stopped"); }) ||
        !flush(end_deadline)) {
      return failed(nullptr);
    }
    Status status = ok_status();
    for (;;) {
      ResultPtr r(nullptr, &PQclear);
      if (!next_result(end_deadline, r)) return failed(nullptr);
      if (!r) break;
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && status.ok()) {
        status = failed(r.get());
        if (status.error().code == Errc::duplicate && duplicate_of)
          *duplicate_of = duplicate_named_by(PQresultErrorField(r.get(), PG_DIAG_MESSAGE_DETAIL));
      }
    }
    return status;
  }

 public:
  Status insert_audit(const AuditEntry& entry, const AuditHash& hash) override {
    Params p;
    p.add(entry.seq).add(entry.time).add_text(entry.actor).add_text(entry.action);
    p.add(entry.dev_id ? std::optional<std::int64_t>(entry.dev_id->value()) : std::nullopt);
    p.add_text(entry.outcome)
        .add_text(entry.controller_fingerprint)
        .add_text(entry.detail)
        .add_blob(Blob(hash.begin(), hash.end()));
    return command(
        "INSERT INTO audit (" TTE_AUDIT_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", p);
  }
  // A batch's audit entries: one COPY.
  Status insert_audits(const std::vector<AuditRow>& rows) override {
    if (rows.size() == 1) return insert_audit(rows[0].entry, rows[0].hash);
    return copy_in(
        "COPY audit (" TTE_AUDIT_COLUMNS ") FROM STDIN (FORMAT binary)", rows.size(),
        [&](std::size_t i, std::string& buffer) {
          const AuditEntry& e = rows[i].entry;
          append_u16(buffer, 9);
          append_int8(buffer, e.seq);
          append_int8(buffer, e.time);
          append_field(buffer, e.actor.data(), e.actor.size());
          append_field(buffer, e.action.data(), e.action.size());
          if (e.dev_id) {
            append_int8(buffer, e.dev_id->value());
          } else {
            append_u32(buffer, 0xffffffffu);
          }
          append_field(buffer, e.outcome.data(), e.outcome.size());
          append_field(buffer, e.controller_fingerprint.data(), e.controller_fingerprint.size());
          append_field(buffer, e.detail.data(), e.detail.size());
          append_field(buffer, rows[i].hash.data(), rows[i].hash.size());
        },
        nullptr);
  }
  // An import reads its input inside its transaction: however slowly the input
  // comes, the server must not end the session as idle.
  void tune_for_bulk_load() override {
    (void)simple("SET idle_in_transaction_session_timeout = 0");
  }

 private:
  std::string redacted() const {
    auto location = DatabaseLocation::parse(uri_);
    return location.ok() ? location->redacted() : "the PostgreSQL database";
  }

  // Every session: durable commits, READ COMMITTED (whatever the server's
  // default: the audit head must be read fresh), the deadline, and (from
  // PostgreSQL 14 on) a backend that notices a client gone while it waits.
  // A session not so set up is not used: it is closed and opened again later.
  bool set_up_session() {
    const std::int64_t timeout = deadline_ms.load();
    std::string setup =
        "SET synchronous_commit = on; SET client_min_messages = warning; "
        "SET default_transaction_isolation = 'read committed'; SET statement_timeout = " +
        std::to_string(timeout) + "; SET idle_in_transaction_session_timeout = '60s'";
    if (PQserverVersion(conn_) >= 140000) setup += "; SET client_connection_check_interval = 1000";
    if (access_ == StoreAccess::read_only) setup += "; SET default_transaction_read_only = on";
    ResultPtr r = run_sql(setup);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      (void)failed(r.get());
      close();
      return false;
    }
    return true;
  }

  // A new session in conn_. A server that let the attempt run out of time (it
  // takes the connection, then says nothing) marks the database stalled.
  bool open_connection() {
    const Clock::time_point started = Clock::now();
    conn_ = connect(uri_);
    if (PQstatus(conn_) == CONNECTION_OK) {
      pass_notice_ = PQsetNoticeReceiver(conn_, &PostgresBackend::on_notice, this);
      answered_ = true;
      return true;
    }
    // (libpq quotes a URI it cannot parse, password and all.)
    last_error_ = redact_database_text(trimmed(PQerrorMessage(conn_)));
    close();
    // libpq's connect_timeout is 2 s at least; a refusal comes at once.
    if (Clock::now() - started >= std::chrono::milliseconds(1900)) mark_stalled();
    return false;
  }

  void close() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    prepared_.clear();  // a new session has none
  }

  // The deadline of a call starting now: the server's statement_timeout, and
  // the grace for its answer to come.
  static Clock::time_point deadline() {
    return Clock::now() + std::chrono::milliseconds(deadline_ms.load() + kClientGraceMs);
  }

  // The server said nothing before the deadline: this connection is given up
  // (closing it tells the server to end its transaction), and the whole
  // process treats the database as stalled for a second.
  void give_up() {
    last_error_ = "the database did not answer within " +
                  std::to_string((deadline_ms.load() + kClientGraceMs) / 1000) + " s";
    close();
    mark_stalled();
  }
  // This call got no answer in time, and the process knows it.
  void mark_stalled() {
    timed_out_ = true;
    stalled_at_.store(ticks_now());
  }

  // Waits until the connection's socket can be read (or written, too), until
  // `by`. False: the deadline passed (give_up() was called) or the socket broke.
  bool wait_for_socket(Clock::time_point by, bool writing) {
    const int fd = PQsocket(conn_);
    if (fd < 0) return false;
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(by - Clock::now()).count();
      if (left <= 0) {
        give_up();
        return false;
      }
      pollfd p{fd, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, INT32_MAX)));
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
  }

  // Sends what libpq holds, until `by`.
  bool flush(Clock::time_point by) {
    for (;;) {
      const int left = PQflush(conn_);
      if (left == 0) return true;
      if (left < 0 || !wait_for_socket(by, true) || PQconsumeInput(conn_) == 0) return false;
    }
  }

  // Hands libpq data with `offer` (PQputCopyData, PQputCopyEnd: 1 taken, 0
  // full, -1 broken), waiting for room until `by`.
  template <typename Offer>
  bool put(Clock::time_point by, Offer offer) {
    for (;;) {
      if (!conn_) return false;
      const int taken = offer();
      if (taken == 1) return true;
      if (taken < 0 || !wait_for_socket(by, true) || PQflush(conn_) < 0) return false;
    }
  }

  // The statement's next result into `out` (null: it has no more). False: no
  // answer by `by`, or the connection broke.
  bool next_result(Clock::time_point by, ResultPtr& out) {
    while (PQisBusy(conn_)) {
      if (!wait_for_socket(by, false) || PQconsumeInput(conn_) == 0) return false;
    }
    out.reset(PQgetResult(conn_));
    answered_ = true;
    return true;
  }

  // The results of what was just sent (sent: the PQsend... call succeeded),
  // as PQexec gives them: the last one, or the first error; a COPY's start as
  // soon as it comes. Null: no answer (failed(nullptr) says why).
  ResultPtr run(bool sent) {
    ResultPtr last(nullptr, &PQclear);
    if (!sent) return last;
    const Clock::time_point by = deadline();
    if (!flush(by)) return last;
    for (;;) {
      ResultPtr r(nullptr, &PQclear);
      if (!next_result(by, r)) {
        // The server's error (a FATAL before it closed) says more than the end.
        if (last && PQresultStatus(last.get()) == PGRES_FATAL_ERROR && !timed_out_) return last;
        return ResultPtr(nullptr, &PQclear);
      }
      if (!r) break;
      const ExecStatusType status = PQresultStatus(r.get());
      if (status == PGRES_COPY_IN) return r;
      if (!last || PQresultStatus(last.get()) != PGRES_FATAL_ERROR) last = std::move(r);
      if (PQstatus(conn_) == CONNECTION_BAD) break;
    }
    return last;
  }
  // SQL without parameters, sent and run to its end.
  ResultPtr run_sql(const std::string& sql) { return run(PQsendQuery(conn_, sql.c_str()) == 1); }

  // Whether a call may use the database now. While it is stalled (a call of
  // this process got no answer in time), calls fail at once for a second; then
  // one call at a time, the probe, tries it again.
  class Admission {
   public:
    explicit Admission(PostgresBackend& backend) : backend_(backend) {
      backend_.timed_out_ = false;
      backend_.answered_ = false;
      const std::int64_t stalled = stalled_at_.load();
      if (stalled == 0) return;
      bool free = false;
      if (ticks_now() - stalled >= kSecondTicks && probing_.compare_exchange_strong(free, true)) {
        probe_ = true;
        return;
      }
      admitted_ = false;
      backend_.last_error_ = "the database stopped answering; trying again once a second";
      // A transaction in progress is lost: ending the session ends it on the
      // server too, and no later statement runs in it by mistake.
      if (backend_.in_transaction_) backend_.close();
    }
    ~Admission() {
      if (!probe_) return;
      // Over only if the database answered (a probe refused before it reached
      // the server, by usable()'s once a second, proves nothing).
      if (!backend_.timed_out_ && backend_.answered_) stalled_at_.store(0);
      probing_.store(false);
    }
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;
    bool admitted() const { return admitted_; }

   private:
    PostgresBackend& backend_;
    bool admitted_ = true;
    bool probe_ = false;
  };

  // The connection works, or was opened again (not inside a transaction: that
  // one is lost, and the caller's next statement fails).
  bool usable() {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK && !ended_by_server()) return true;
    if (in_transaction_) return false;
    // At most one try a second per connection while the server is away, unless
    // another connection of this process got through since (it is back).
    const std::int64_t now = ticks_now();
    if (last_reset_ != 0 && now - last_reset_ < kSecondTicks &&
        last_reconnect_.load() <= last_reset_)
      return false;
    last_reset_ = now;
    close();
    if (!open_connection() || !set_up_session()) return false;
    last_reconnect_.store(ticks_now());
    return true;
  }
  // Whether the server has ended this connection since its last statement (a
  // restart, a failover, pg_terminate_backend): its farewell, or the end of the
  // stream, is waiting to be read. Seen before anything is sent, so a write is
  // sent on a new connection once, never again after it may have run.
  bool ended_by_server() {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (p.fd < 0) return true;
    if (::poll(&p, 1, 0) <= 0) return false;
    ended_ = false;
    if (PQconsumeInput(conn_) == 0) return true;
    // Parses what came: libpq hands an error that comes while the connection
    // is idle (the server's FATAL before it closes) to the notice receiver.
    (void)PQisBusy(conn_);
    return ended_ || PQstatus(conn_) == CONNECTION_BAD;
  }
  static void on_notice(void* self, const PGresult* notice) {
    auto* backend = static_cast<PostgresBackend*>(self);
    const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity && (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0)) {
      backend->ended_ = true;
      return;
    }
    // Anything else (a server WARNING) as libpq shows it: on standard error.
    if (backend->pass_notice_) backend->pass_notice_(nullptr, notice);
  }
  Error unreachable() {
    if (last_error_.empty()) last_error_ = "the database is unreachable";
    return make_error(Errc::io, "the database is unreachable", "database");
  }
  Error failed(const PGresult* r) {
    if (!timed_out_) {
      last_error_ = r ? trimmed(PQresultErrorMessage(r)) : std::string();
      if (last_error_.empty() && conn_) last_error_ = trimmed(PQerrorMessage(conn_));
      if (last_error_.empty()) last_error_ = "the database connection was lost";
    }
    // No answer, or a broken connection: closed, so that no later statement
    // finds it with a call half done ("another command is already in progress").
    if (conn_ && (r == nullptr || PQstatus(conn_) == CONNECTION_BAD)) close();
    if (in_transaction_) rolled_back_ = true;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    if (state && std::strcmp(state, "23505") == 0)
      return make_error(Errc::duplicate, "already stored", "devid");
    return make_error(Errc::io, "the database failed", "database");
  }

  // A connection that broke while this statement was on it (its farewell came
  // after usable() looked): outside a transaction, a statement that changes
  // nothing that lasts (a read, a BEGIN) is sent once more on a new
  // connection. A write is not: it may have been committed before the
  // connection broke (a compare-and-set of a bucket run twice takes two slots).
  bool reopen_after(const PGresult* r, bool was_in_transaction, bool may_repeat) {
    const ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) return false;
    if (!may_repeat || timed_out_ || was_in_transaction || !conn_ ||
        PQstatus(conn_) != CONNECTION_BAD)
      return false;
    last_reset_ = 0;
    const bool beginning = in_transaction_;  // the BEGIN that failed
    in_transaction_ = false;
    const bool reopened = usable();
    in_transaction_ = beginning;
    return reopened;
  }

  Result<ResultPtr> query(const std::string& sql, Params& p) {
    Admission admission(*this);
    if (!admission.admitted() || !usable()) return unreachable();
    const bool was_in_transaction = in_transaction_;
    bool only_prepared = false;  // the statement broke while being prepared: it did not run
    // Each statement is prepared once per connection (parsed and planned once).
    auto send = [&] {
      auto it = prepared_.find(sql);
      if (it == prepared_.end()) {
        const std::string name = "s" + std::to_string(prepared_.size());
        ResultPtr made =
            run(PQsendPrepare(conn_, name.c_str(), sql.c_str(), p.count(), p.types()) == 1);
        only_prepared = PQresultStatus(made.get()) != PGRES_COMMAND_OK;
        if (only_prepared) return made;
        it = prepared_.emplace(sql, name).first;
      }
      return run(PQsendQueryPrepared(conn_, it->second.c_str(), p.count(), p.values(), p.lengths(),
                                     p.formats(), 1) == 1);
    };
    ResultPtr r = send();
    if (reopen_after(r.get(), was_in_transaction, only_prepared || sql.rfind("SELECT ", 0) == 0))
      r = send();
    const ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return failed(r.get());
    return r;
  }
  Status command(const std::string& sql, Params& p) {
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query(sql, p));
    (void)r;
    return ok_status();
  }
  // Whether `sql` (no parameters) answers one row whose one boolean is true.
  Result<bool> one_true(const std::string& sql) {
    Params p;
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query(sql, p));
    return PQntuples(r.get()) == 1 && PQgetvalue(r.get(), 0, 0)[0] == '\1';  // binary: 1 byte
  }
  Result<bool> changed_one(const std::string& sql, Params& p) {
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query(sql, p));
    return std::strcmp(PQcmdTuples(r.get()), "1") == 0;
  }
  Result<std::optional<DeviceRow>> one_device(const std::string& sql, Params& p) {
    TTE_ASSIGN_OR_RETURN(ResultPtr r, query(sql, p));
    if (PQntuples(r.get()) == 0) return std::optional<DeviceRow>();
    return std::optional<DeviceRow>(device_row(Row{r.get(), 0}));
  }
  // SQL without parameters (several statements allowed). begins: it opens a transaction.
  Status simple(const std::string& sql, bool begins = false) {
    Admission admission(*this);
    if (!admission.admitted() || !usable()) return unreachable();
    const bool was_in_transaction = in_transaction_;
    if (begins) {
      in_transaction_ = true;
      rolled_back_ = false;
    }
    ResultPtr r = run_sql(sql);
    if (reopen_after(r.get(), was_in_transaction, begins)) r = run_sql(sql);
    const ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      Error error = failed(r.get());
      if (begins) {
        if (conn_) (void)run_sql("ROLLBACK");
        in_transaction_ = false;
        rolled_back_ = false;
      }
      return error;
    }
    // ROLLBACK TO clears a failed transaction's state.
    if (sql.rfind("ROLLBACK TO", 0) == 0) rolled_back_ = false;
    return ok_status();
  }

  std::string uri_;
  StoreAccess access_;
  PGconn* conn_ = nullptr;
  int schema_version_ = 0;
  std::string last_error_;
  bool in_transaction_ = false;
  bool rolled_back_ = false;                // a statement failed inside the open transaction
  bool timed_out_ = false;                  // the current call gave up waiting (give_up)
  bool answered_ = false;                   // the current call heard from the server
  bool ended_ = false;                      // the server said FATAL while the connection was idle
  PQnoticeReceiver pass_notice_ = nullptr;  // libpq's own, for the notices that are not that
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> its prepared statement
  std::int64_t last_reset_ = 0;  // steady_clock ticks of the last try to reconnect
  // When any connection of this process last reconnected.
  static inline std::atomic<std::int64_t> last_reconnect_{0};
  // When a call of this process last got no answer in time (0: none since a
  // call got one), and whether a call is trying the database again.
  static inline std::atomic<std::int64_t> stalled_at_{0};
  static inline std::atomic<bool> probing_{false};
};

}  // namespace

void set_database_deadline(std::chrono::milliseconds deadline) {
  deadline_ms.store(std::max<std::int64_t>(1, deadline.count()));
}

std::unique_ptr<StoreBackend> open_postgres_backend(const std::string& uri, StoreAccess access) {
  return std::make_unique<PostgresBackend>(uri, access);
}

void create_postgres_schema(const std::string& uri,
                            const std::vector<std::pair<std::string, std::string>>& meta) {
  auto location = DatabaseLocation::parse(uri);
  const std::string name = location.ok() ? location->redacted() : "the database";
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(connect(uri), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw StartupError("cannot connect to " + name + ": " +
                       redact_database_text(trimmed(PQerrorMessage(conn.get()))));
  }
  auto run = [&](const std::string& sql) {
    ResultPtr r(PQexec(conn.get(), sql.c_str()), &PQclear);
    const ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string why = trimmed(PQresultErrorMessage(r.get()));
      PQclear(PQexec(conn.get(), "ROLLBACK"));
      throw StartupError(name + ": " + why);
    }
    return r;
  };
  run("SET client_min_messages = warning; SET synchronous_commit = on");
  run("BEGIN; " + kLockAuditChain);
  ResultPtr existing = run("SELECT to_regclass('meta') IS NOT NULL");
  if (std::strcmp(PQgetvalue(existing.get(), 0, 0), "t") == 0) {
    PQclear(PQexec(conn.get(), "ROLLBACK"));
    throw StartupError(name + " already holds a MotherShip; init wants an empty database");
  }
  // Anything else in the schema (another program's tables): not ours to share.
  ResultPtr others =
      run("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'm', 'S', 'f', 'p')");
  if (std::strcmp(PQgetvalue(others.get(), 0, 0), "0") != 0) {
    PQclear(PQexec(conn.get(), "ROLLBACK"));
    throw StartupError(name + " is not empty (its schema holds " + PQgetvalue(others.get(), 0, 0) +
                       " tables, views or sequences); init wants an empty database");
  }
  run(kSchema);
  for (const auto& [key, value] : meta) {
    const char* values[] = {key.c_str(), value.c_str()};
    ResultPtr r(PQexecParams(conn.get(), "INSERT INTO meta (key, value) VALUES ($1, $2)", 2,
                             nullptr, values, nullptr, nullptr, 0),
                &PQclear);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      const std::string why = trimmed(PQresultErrorMessage(r.get()));
      PQclear(PQexec(conn.get(), "ROLLBACK"));
      throw StartupError(name + ": " + why);
    }
  }
  run("COMMIT");
}

}  // namespace tte::mothership
