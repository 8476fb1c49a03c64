#include "registry.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>

#include "tte/platform/sqlite.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::controller {
namespace {

constexpr std::int64_t kSchemaVersion = 2;
constexpr std::int64_t kStoreSeenEvery = 60;  // seconds

constexpr const char* kSchema =
    "CREATE TABLE devices ("
    " fingerprint TEXT PRIMARY KEY,"
    " urn TEXT,"  // NULL until known (an open-policy device that has not registered); unique in
                  // memory
    " devid TEXT, otp TEXT, mothership TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT "
    "'',"
    " announced_at INTEGER, joined_at INTEGER, last_seen INTEGER, address TEXT NOT NULL DEFAULT '',"
    " location TEXT NOT NULL DEFAULT '', lifetime INTEGER NOT NULL DEFAULT 0, registered_at "
    "INTEGER,"
    " expires_at INTEGER, links TEXT NOT NULL DEFAULT '', registration_ended TEXT NOT NULL DEFAULT "
    "'',"
    " ms_state TEXT NOT NULL DEFAULT '', ms_checked_at INTEGER, ms_next_poll_at INTEGER,"
    " ms_failures INTEGER NOT NULL DEFAULT 0, ms_error TEXT NOT NULL DEFAULT '',"
    " psk BLOB, psk_only INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE bindings ("
    " id INTEGER PRIMARY KEY, source_urn TEXT NOT NULL, source_path TEXT NOT NULL,"
    " target_urn TEXT NOT NULL, target_path TEXT NOT NULL, created_at INTEGER NOT NULL,"
    " UNIQUE (source_urn, source_path, target_urn, target_path));";

std::optional<std::int64_t> optional_int(const sqlite::Statement& s, int column) {
  if (s.is_null(column)) return std::nullopt;
  return s.column_int(column);
}

void bind_optional(sqlite::Statement& s, int index, const std::optional<std::int64_t>& value) {
  if (value) {
    s.bind(index, *value);
  } else {
    s.bind_null(index);
  }
}

// Version 1 to 2: the PSK variant (docs/protocol.md §13.3). psk holds the sealed
// Device-Controller PSK; psk_only marks an entry filed under psk_peer_key(urn).
constexpr const char* kUpgradeTo2 =
    "ALTER TABLE devices ADD COLUMN psk BLOB;"
    "ALTER TABLE devices ADD COLUMN psk_only INTEGER NOT NULL DEFAULT 0;";

}  // namespace

Fingerprint psk_peer_key(std::string_view urn) {
  std::string input("tte-psk-peer", 12);
  input.push_back('\0');
  input.append(urn);
  Fingerprint::Bytes digest{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    std::abort();  // SHA-256 of a few bytes cannot fail but for a broken OpenSSL
  return Fingerprint(digest);
}

std::size_t KeyHash::operator()(const Fingerprint::Bytes& bytes) const noexcept {
  static const std::uint64_t seed = [] {
    std::random_device random;
    return (static_cast<std::uint64_t>(random()) << 32) ^ random();
  }();
  std::uint64_t value;
  std::memcpy(&value, bytes.data(), sizeof value);
  return static_cast<std::size_t>((value ^ seed) * 0x9E3779B97F4A7C15ull);
}

Result<Policy> parse_policy(std::string_view text) {
  if (text == "strict") return Policy::strict;
  if (text == "open") return Policy::open;
  return make_error(Errc::syntax, "the policy is strict or open", "policy");
}

const char* policy_name(Policy policy) {
  return policy == Policy::strict ? "strict" : "open";
}

const char* device_status_name(DeviceStatus status) {
  switch (status) {
    case DeviceStatus::announced:
      return "announced";
    case DeviceStatus::joined:
      return "joined";
    case DeviceStatus::registered:
      return "registered";
    case DeviceStatus::expired:
      return "lifetime expired";
    case DeviceStatus::deregistered:
      return "deregistered";
  }
  return "unknown";
}

DeviceStatus DeviceEntry::status() const {
  if (registered) return DeviceStatus::registered;
  if (registration_ended == "expired") return DeviceStatus::expired;
  if (registration_ended == "removed") return DeviceStatus::deregistered;
  if (joined_at) return DeviceStatus::joined;
  return DeviceStatus::announced;
}

Registry::Registry(const std::string& database_path, Policy policy,
                   std::optional<PskSealer> psk_sealer)
    : policy_(policy), psk_sealer_(std::move(psk_sealer)) {
  mode_t previous = ::umask(077);  // announced devices' OTPs are in it
  db_ =
      std::make_unique<sqlite::Database>(database_path, sqlite::Database::Mode::read_write_create);
  ::umask(previous);
  db_->exec_or_throw("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;");
  auto version = db_->prepare("PRAGMA user_version");
  auto row = version.step();
  const std::int64_t found = row.ok() && row.value() ? version.column_int(0) : -1;
  if (found == 0) {
    db_->exec_or_throw(std::string("BEGIN IMMEDIATE;") + kSchema +
                       "PRAGMA user_version = 2; COMMIT;");
  } else if (found == 1) {
    db_->exec_or_throw(std::string("BEGIN IMMEDIATE;") + kUpgradeTo2 +
                       "PRAGMA user_version = 2; COMMIT;");
  } else if (found != kSchemaVersion) {
    throw StartupError(database_path + " has schema version " + std::to_string(found) +
                       "; this tte-controller knows " + std::to_string(kSchemaVersion));
  }

  auto select = db_->prepare(
      "SELECT fingerprint, urn, devid, otp, mothership, description, announced_at, joined_at, "
      "last_seen, address,"
      " location, lifetime, registered_at, expires_at, links, registration_ended, ms_state, "
      "ms_checked_at,"
      " ms_next_poll_at, ms_failures, ms_error, psk, psk_only FROM devices");
  while (true) {
    auto next = select.step();
    if (!next.ok())
      throw StartupError("cannot read " + database_path + ": " + db_->error_message());
    if (!next.value()) break;
    DeviceEntry e;
    auto fingerprint = Fingerprint::parse(select.column_text(0));
    if (!fingerprint.ok()) throw StartupError(database_path + " holds a malformed fingerprint");
    e.fingerprint = fingerprint.value();
    if (!select.is_null(1)) e.urn = select.column_text(1);
    if (!select.is_null(2)) {
      if (auto id = DevId::parse(select.column_text(2)); id.ok()) e.dev_id = id.value();
    }
    if (!select.is_null(3)) {
      if (auto otp = Otp::parse(select.column_text(3)); otp.ok()) e.otp = otp.value();
    }
    e.mothership = select.column_text(4);
    e.description = select.column_text(5);
    e.announced_at = optional_int(select, 6);
    e.joined_at = optional_int(select, 7);
    e.last_seen = optional_int(select, 8);
    e.address = select.column_text(9);
    // A registration does not survive a restart (its DTLS session did not):
    // the Device registers again; until then the entry shows how it was.
    e.location = select.column_text(10);
    e.lifetime = select.column_int(11);
    e.registered_at = optional_int(select, 12);
    e.expires_at = optional_int(select, 13);
    e.links = select.column_text(14);
    e.registration_ended = select.column_text(15);
    e.ms_state = select.column_text(16);
    e.ms_checked_at = optional_int(select, 17);
    e.ms_next_poll_at = optional_int(select, 18);
    e.ms_failures = static_cast<int>(select.column_int(19));
    e.ms_error = select.column_text(20);
    if (!select.is_null(21)) {
      const ByteView sealed = select.column_blob_view(21);
      if (sealed.size() != std::tuple_size<SealedPsk>::value)
        throw StartupError(database_path + " holds a malformed sealed PSK");
      SealedPsk psk{};
      std::memcpy(psk.data(), sealed.data(), psk.size());
      e.sealed_psk = psk;
    }
    e.psk_only = select.column_int(22) != 0;
    if (!e.urn.empty()) key_of_urn_[e.urn] = e.fingerprint.bytes();
    devices_[e.fingerprint.bytes()] = std::move(e);
  }
  auto bindings = db_->prepare(
      "SELECT id, source_urn, source_path, target_urn, target_path, created_at FROM bindings ORDER "
      "BY id");
  while (true) {
    auto next = bindings.step();
    if (!next.ok())
      throw StartupError("cannot read " + database_path + ": " + db_->error_message());
    if (!next.value()) break;
    Binding b;
    b.id = bindings.column_int(0);
    b.source_urn = bindings.column_text(1);
    b.source_path = bindings.column_text(2);
    b.target_urn = bindings.column_text(3);
    b.target_path = bindings.column_text(4);
    b.created_at = bindings.column_int(5);
    bindings_[b.id] = b;
  }
  upsert_.emplace(db_->prepare(
      "INSERT INTO devices (fingerprint, urn, devid, otp, mothership, description, announced_at, "
      "joined_at,"
      " last_seen, address, location, lifetime, registered_at, expires_at, links, "
      "registration_ended, ms_state,"
      " ms_checked_at, ms_next_poll_at, ms_failures, ms_error, psk, psk_only)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
      "?19, ?20, ?21, ?22, ?23)"
      " ON CONFLICT (fingerprint) DO UPDATE SET urn = ?2, devid = ?3, otp = ?4, mothership = ?5,"
      " description = ?6, announced_at = ?7, joined_at = ?8, last_seen = ?9, address = ?10, "
      "location = ?11,"
      " lifetime = ?12, registered_at = ?13, expires_at = ?14, links = ?15, registration_ended = "
      "?16,"
      " ms_state = ?17, ms_checked_at = ?18, ms_next_poll_at = ?19, ms_failures = ?20, ms_error "
      "= ?21, psk = ?22, psk_only = ?23"));
  erase_device_.emplace(db_->prepare("DELETE FROM devices WHERE fingerprint = ?"));
  unbind_device_.emplace(
      db_->prepare("DELETE FROM bindings WHERE source_urn = ?1 OR target_urn = ?1"));
  insert_binding_.emplace(db_->prepare(
      "INSERT INTO bindings (source_urn, source_path, target_urn, target_path, created_at) "
      "VALUES (?, ?, ?, ?, ?)"));
  erase_binding_.emplace(db_->prepare("DELETE FROM bindings WHERE id = ?"));
}

Registry::~Registry() {
  flush();
}

DeviceEntry* Registry::find_key(const Fingerprint& key) {
  auto it = devices_.find(key.bytes());
  return it == devices_.end() ? nullptr : &it->second;
}

const DeviceEntry* Registry::find_key(const Fingerprint& key) const {
  auto it = devices_.find(key.bytes());
  return it == devices_.end() ? nullptr : &it->second;
}

DeviceEntry* Registry::find_urn(const std::string& urn) {
  auto it = key_of_urn_.find(urn);
  return it == key_of_urn_.end() ? nullptr : &devices_.at(it->second);
}

Status Registry::store_device(const DeviceEntry& e) {
  sqlite::Statement& upsert = *upsert_;
  sqlite::ResetOnExit reset(upsert);
  upsert.bind(1, std::string_view(e.fingerprint.to_string().view()));
  if (e.urn.empty()) {
    upsert.bind_null(2);
  } else {
    upsert.bind(2, e.urn);
  }
  if (e.dev_id) {
    upsert.bind(3, std::string_view(e.dev_id->to_string().view()));
  } else {
    upsert.bind_null(3);
  }
  if (e.otp) {
    upsert.bind(4, std::string_view(e.otp->to_string().view()));
  } else {
    upsert.bind_null(4);
  }
  upsert.bind(5, e.mothership).bind(6, e.description);
  bind_optional(upsert, 7, e.announced_at);
  bind_optional(upsert, 8, e.joined_at);
  bind_optional(upsert, 9, e.last_seen);
  upsert.bind(10, e.address).bind(11, e.location).bind(12, e.lifetime);
  bind_optional(upsert, 13, e.registered_at);
  bind_optional(upsert, 14, e.expires_at);
  upsert.bind(15, e.links).bind(16, e.registration_ended).bind(17, e.ms_state);
  bind_optional(upsert, 18, e.ms_checked_at);
  bind_optional(upsert, 19, e.ms_next_poll_at);
  upsert.bind(20, static_cast<std::int64_t>(e.ms_failures)).bind(21, e.ms_error);
  if (e.sealed_psk) {
    upsert.bind_blob(22, ByteView(e.sealed_psk->data(), e.sealed_psk->size()));
  } else {
    upsert.bind_null(22);
  }
  upsert.bind(23, static_cast<std::int64_t>(e.psk_only ? 1 : 0));
  return upsert.run();
}

// Message 6 (draft §2, §3.3; docs/protocol.md §10): what a notice makes of the
// entries known now. Errors: duplicate. nullopt: the same notice again.
Result<std::optional<DeviceEntry>> Registry::announced_entry(const DeviceNotice& notice,
                                                             std::int64_t now) {
  const std::string urn(notice.urn.view());
  const Fingerprint key = notice.fingerprint.value_or(psk_peer_key(urn));
  DeviceEntry* by_urn = find_urn(urn);
  DeviceEntry* by_key = find_key(key);
  if (by_urn && by_urn->fingerprint != key) {
    return make_error(Errc::duplicate, "this URN is already announced with another key", "urn");
  }
  if (by_key && !by_key->urn.empty() && by_key->urn != urn) {
    return make_error(Errc::duplicate, "this key is already known under another URN",
                      "fingerprint");
  }
  if (notice.psk && !psk_sealer_) {
    return make_error(Errc::unsupported, "this Controller keeps no PSKs (no psk.key)", "psk");
  }
  // The PSK the entry holds now, opened, to tell a repeat from a new PSK.
  std::optional<Psk> held;
  if (by_key && by_key->sealed_psk && by_key->dev_id && psk_sealer_) {
    if (auto opened = psk_sealer_->unseal(*by_key->dev_id, *by_key->sealed_psk); opened.ok())
      held = opened.value();
  }
  // Once announced, a Device's PSK is what it joins with: a notice may not
  // change, add or drop it, any more than the key (the operator removes the
  // Device first). Otherwise anyone with the intake token could join as it.
  if (by_key && by_key->announced_at &&
      (by_key->sealed_psk.has_value() != notice.psk.has_value() || held != notice.psk)) {
    return make_error(Errc::duplicate, "this URN is already announced with another PSK", "psk");
  }
  if (by_key && by_key->announced_at && by_key->dev_id && *by_key->dev_id == notice.dev_id &&
      by_key->otp && by_key->otp->value() == notice.otp.value() &&
      by_key->mothership == notice.mothership.view()) {
    return std::optional<DeviceEntry>();  // the same notice again (an Introducer retrying)
  }
  DeviceEntry entry = by_key ? *by_key : DeviceEntry{};
  entry.fingerprint = key;
  entry.psk_only = !notice.fingerprint;
  entry.sealed_psk.reset();
  if (notice.psk) {
    TTE_ASSIGN_OR_RETURN(entry.sealed_psk, psk_sealer_->seal(notice.dev_id, *notice.psk));
  }
  entry.urn = urn;
  entry.dev_id = notice.dev_id;
  entry.otp = notice.otp;
  entry.mothership = std::string(notice.mothership.view());
  if (!notice.description.empty() || !entry.announced_at) entry.description = notice.description;
  if (!entry.announced_at) entry.announced_at = now;
  // Messages 7/8: ask the MotherShip about it, unless it has joined already.
  if (!entry.joined_at) entry.ms_next_poll_at = now;
  return std::optional<DeviceEntry>(std::move(entry));
}

// Message 6, stored: the Device an Introducer announced.
Result<Announced> Registry::announce(const DeviceNotice& notice, std::int64_t now) {
  std::lock_guard lock(mutex_);
  TTE_ASSIGN_OR_RETURN(auto entry, announced_entry(notice, now));
  if (!entry) return Announced::repeated;
  const DeviceEntry* before = find_key(entry->fingerprint);
  const bool was_announced = before && before->announced_at;
  {
    std::lock_guard db_lock(db_mutex_);
    TTE_TRY(store_device(*entry));
  }
  key_of_urn_[entry->urn] = entry->fingerprint.bytes();
  devices_[entry->fingerprint.bytes()] = std::move(*entry);
  dirty_.erase(key_of_urn_[std::string(notice.urn.view())]);
  return was_announced ? Announced::repeated : Announced::created;
}

// Many notices (the batch intake, docs/protocol.md §10.2): each is judged as
// announce() would, after the ones before it in the batch; the good ones are
// stored in one transaction. If that transaction fails, nothing changed.
Result<std::vector<Result<Announced>>> Registry::announce_all(
    const std::vector<DeviceNotice>& notices, std::int64_t now) {
  std::lock_guard lock(mutex_);
  std::vector<Result<Announced>> results;
  results.reserve(notices.size());
  // What the batch changed in memory, to put back if the commit fails.
  struct Undo {
    Fingerprint::Bytes key;
    std::optional<DeviceEntry> previous;
    std::string urn;  // the URN the batch mapped to key
  };
  std::vector<Undo> undo;
  std::lock_guard db_lock(db_mutex_);
  TTE_TRY(db_->exec("BEGIN IMMEDIATE"));
  bool stored = true;
  for (const DeviceNotice& notice : notices) {
    auto entry = announced_entry(notice, now);
    if (!entry.ok()) {
      results.emplace_back(entry.error());
      continue;
    }
    if (!entry.value()) {
      results.emplace_back(Announced::repeated);
      continue;
    }
    DeviceEntry& fresh = *entry.value();
    if (!store_device(fresh).ok()) {
      stored = false;
      break;
    }
    const Fingerprint::Bytes key = fresh.fingerprint.bytes();
    auto it = devices_.find(key);
    const bool was_announced = it != devices_.end() && it->second.announced_at;
    undo.push_back(
        Undo{key, it != devices_.end() ? std::optional<DeviceEntry>(it->second) : std::nullopt,
             fresh.urn});
    key_of_urn_[fresh.urn] = key;
    devices_[key] = std::move(fresh);
    results.emplace_back(was_announced ? Announced::repeated : Announced::created);
  }
  if (stored && db_->exec("COMMIT").ok()) {
    for (const Undo& change : undo)
      dirty_.erase(change.key);
    return results;
  }
  (void)db_->exec("ROLLBACK");
  for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
    if (it->previous) {
      if (it->previous->urn != it->urn) key_of_urn_.erase(it->urn);
      devices_[it->key] = std::move(*it->previous);
    } else {
      key_of_urn_.erase(it->urn);
      devices_.erase(it->key);
    }
  }
  return make_error(Errc::io, "the notices could not be stored");
}

Status Registry::remove(const std::string& urn) {
  std::lock_guard lock(mutex_);
  DeviceEntry* entry = find_urn(urn);
  if (!entry) return make_error(Errc::not_found, "no such device");
  {
    std::lock_guard db_lock(db_mutex_);
    sqlite::Statement& erase = *erase_device_;
    sqlite::ResetOnExit reset_erase(erase);
    erase.bind(1, std::string_view(entry->fingerprint.to_string().view()));
    TTE_TRY(erase.run());
    sqlite::Statement& unbind = *unbind_device_;
    sqlite::ResetOnExit reset_unbind(unbind);
    unbind.bind(1, urn);
    TTE_TRY(unbind.run());
  }
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    it = it->second.source_urn == urn || it->second.target_urn == urn ? bindings_.erase(it)
                                                                      : std::next(it);
  }
  dirty_.erase(entry->fingerprint.bytes());
  devices_.erase(entry->fingerprint.bytes());
  key_of_urn_.erase(urn);
  return Status();
}

bool Registry::admits(const Fingerprint& key) const {
  if (policy_ == Policy::open) return true;
  std::lock_guard lock(mutex_);
  const DeviceEntry* entry = find_key(key);
  return entry && entry->announced_at.has_value();
}

std::optional<Registry::PskSession> Registry::psk_session(std::string_view identity) const {
  std::lock_guard lock(mutex_);
  auto it = key_of_urn_.find(std::string(identity));
  if (it == key_of_urn_.end() || !psk_sealer_) return std::nullopt;
  const DeviceEntry& entry = devices_.at(it->second);
  if (!entry.announced_at || !entry.sealed_psk || !entry.dev_id) return std::nullopt;
  auto psk = psk_sealer_->unseal(*entry.dev_id, *entry.sealed_psk);
  if (!psk.ok()) return std::nullopt;
  return PskSession{entry.fingerprint, psk.value()};
}

void Registry::joined(const Fingerprint& key, std::int64_t now) {
  bool poll_now = false;
  {
    std::lock_guard lock(mutex_);
    DeviceEntry& entry = devices_[key.bytes()];
    entry.fingerprint = key;
    if (!entry.joined_at) entry.joined_at = now;
    entry.last_seen = now;
    // It found us, so it has asked its MotherShip: one more status poll shows
    // that, then polling stops (poll_result).
    const bool final = entry.ms_state == "registered" || entry.ms_state == "revoked";
    if (entry.announced_at && entry.dev_id && entry.otp && !final) {
      entry.ms_next_poll_at = now;
      poll_now = true;
    } else {
      entry.ms_next_poll_at.reset();
    }
    mark(key);
  }
  if (poll_now && poll_due_) poll_due_();
}

void Registry::connection(const Fingerprint& key, int sessions, const std::string& address) {
  std::lock_guard lock(mutex_);
  DeviceEntry* entry = find_key(key);
  if (!entry) return;
  entry->sessions = sessions;
  entry->connected = sessions > 0;
  if (!address.empty() && entry->address != address) {
    entry->address = address;
    mark(key);
  }
}

void Registry::seen(const Fingerprint& key, std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (DeviceEntry* entry = find_key(key)) {
    if (entry->last_seen && *entry->last_seen == now) return;
    entry->last_seen = now;
    // Kept to the second in memory; stored at most once a minute per Device.
    if (now - entry->seen_stored_at < kStoreSeenEvery) return;
    entry->seen_stored_at = now;
    mark(key);
  }
}

std::optional<std::string> Registry::announced_urn(const Fingerprint& key) const {
  std::lock_guard lock(mutex_);
  const DeviceEntry* entry = find_key(key);
  if (!entry || !entry->announced_at) return std::nullopt;
  return entry->urn;
}

std::optional<Fingerprint> Registry::key_of_announced(const std::string& urn) const {
  std::lock_guard lock(mutex_);
  auto it = key_of_urn_.find(urn);
  if (it == key_of_urn_.end()) return std::nullopt;
  const DeviceEntry& entry = devices_.at(it->second);
  if (!entry.announced_at) return std::nullopt;
  return entry.fingerprint;
}

void Registry::registered(const Registration& registration, std::int64_t now) {
  std::lock_guard lock(mutex_);
  DeviceEntry& entry = devices_[registration.fingerprint.bytes()];
  entry.fingerprint = registration.fingerprint;
  if (entry.urn != registration.endpoint) {
    if (!entry.urn.empty()) key_of_urn_.erase(entry.urn);
    // Under open, a name another unannounced key used before passes to this key.
    if (auto it = key_of_urn_.find(registration.endpoint); it != key_of_urn_.end()) {
      DeviceEntry& previous = devices_.at(it->second);
      previous.urn.clear();
      previous.registered = false;
      mark(previous.fingerprint);
    }
    entry.urn = registration.endpoint;
    key_of_urn_[entry.urn] = entry.fingerprint.bytes();
  }
  entry.registered = true;
  entry.location = registration.location;
  entry.lifetime = registration.lifetime;
  entry.registered_at = registration.registered_at;
  entry.expires_at = registration.expires_at();
  entry.links = format_link_format(registration.links);
  entry.registration_ended.clear();
  entry.last_seen = now;
  mark(entry.fingerprint);
}

void Registry::registration_ended(const Fingerprint& key, const char* how) {
  std::lock_guard lock(mutex_);
  if (DeviceEntry* entry = find_key(key)) {
    entry->registered = false;
    entry->registration_ended = how;
    mark(key);
  }
}

std::vector<Registry::PollTask> Registry::due_polls(std::int64_t now) const {
  std::lock_guard lock(mutex_);
  std::vector<PollTask> tasks;
  for (const auto& [bytes, entry] : devices_) {
    if (entry.ms_next_poll_at && *entry.ms_next_poll_at <= now && entry.dev_id && entry.otp &&
        !entry.mothership.empty()) {
      tasks.push_back(PollTask{entry.fingerprint, *entry.dev_id, *entry.otp, entry.mothership,
                               entry.ms_failures, entry.ms_state});
    }
  }
  return tasks;
}

std::optional<std::int64_t> Registry::next_poll_at() const {
  std::lock_guard lock(mutex_);
  std::optional<std::int64_t> next;
  for (const auto& [bytes, entry] : devices_) {
    if (entry.ms_next_poll_at && (!next || *entry.ms_next_poll_at < *next))
      next = entry.ms_next_poll_at;
  }
  return next;
}

void Registry::poll_result(const Fingerprint& key, const std::string& state,
                           const std::string& error, std::int64_t now,
                           std::optional<std::int64_t> next_at) {
  std::lock_guard lock(mutex_);
  DeviceEntry* entry = find_key(key);
  if (!entry) return;  // removed meanwhile
  entry->ms_checked_at = now;
  if (state.empty()) {
    ++entry->ms_failures;
    entry->ms_error = error;
  } else {
    entry->ms_state = state;
    entry->ms_failures = 0;
    entry->ms_error = error;
  }
  // After the Device joined: until one answer arrives (joined()), then no more.
  entry->ms_next_poll_at = entry->joined_at && !state.empty() ? std::nullopt : next_at;
  mark(key);
}

std::vector<DeviceEntry> Registry::devices() const {
  std::vector<DeviceEntry> all;
  {
    std::lock_guard lock(mutex_);
    all.reserve(devices_.size());
    for (const auto& [bytes, entry] : devices_)
      all.push_back(entry);
  }
  std::sort(all.begin(), all.end(), [](const DeviceEntry& a, const DeviceEntry& b) {
    return a.urn != b.urn ? a.urn < b.urn : a.fingerprint.bytes() < b.fingerprint.bytes();
  });
  return all;
}

std::optional<DeviceEntry> Registry::device(const std::string& urn) const {
  std::lock_guard lock(mutex_);
  auto it = key_of_urn_.find(urn);
  if (it == key_of_urn_.end()) return std::nullopt;
  return devices_.at(it->second);
}

Result<Binding> Registry::add_binding(const std::string& source_urn, const std::string& source_path,
                                      const std::string& target_urn, const std::string& target_path,
                                      std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (!key_of_urn_.count(source_urn))
    return make_error(Errc::not_found, "no device with the source URN", "source");
  if (!key_of_urn_.count(target_urn))
    return make_error(Errc::not_found, "no device with the target URN", "target");
  for (const auto& [id, b] : bindings_) {
    if (b.source_urn == source_urn && b.source_path == source_path && b.target_urn == target_urn &&
        b.target_path == target_path) {
      return make_error(Errc::duplicate, "this binding exists already");
    }
  }
  Binding binding{0, source_urn, source_path, target_urn, target_path, now, "", std::nullopt, ""};
  {
    std::lock_guard db_lock(db_mutex_);
    sqlite::Statement& insert = *insert_binding_;
    sqlite::ResetOnExit reset(insert);
    insert.bind(1, source_urn)
        .bind(2, source_path)
        .bind(3, target_urn)
        .bind(4, target_path)
        .bind(5, now);
    TTE_TRY(insert.run());
    binding.id = db_->last_insert_rowid();
  }
  bindings_[binding.id] = binding;
  return binding;
}

Status Registry::remove_binding(std::int64_t id) {
  std::lock_guard lock(mutex_);
  if (!bindings_.count(id)) return make_error(Errc::not_found, "no such binding");
  {
    std::lock_guard db_lock(db_mutex_);
    sqlite::Statement& erase = *erase_binding_;
    sqlite::ResetOnExit reset(erase);
    erase.bind(1, id);
    TTE_TRY(erase.run());
  }
  bindings_.erase(id);
  return Status();
}

std::vector<Binding> Registry::bindings() const {
  std::lock_guard lock(mutex_);
  std::vector<Binding> all;
  for (const auto& [id, b] : bindings_)
    all.push_back(b);
  return all;
}

void Registry::binding_fired(std::int64_t id, const std::string& value, const std::string& error,
                             std::int64_t now) {
  std::lock_guard lock(mutex_);
  auto it = bindings_.find(id);
  if (it == bindings_.end()) return;
  it->second.last_value = value;
  it->second.last_error = error;
  it->second.last_fired_at = now;
}

std::size_t Registry::flush() {
  std::vector<DeviceEntry> changed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& bytes : dirty_) {
      if (auto it = devices_.find(bytes); it != devices_.end()) changed.push_back(it->second);
    }
    dirty_.clear();
  }
  if (changed.empty()) return 0;
  bool written = false;
  {
    std::lock_guard db_lock(db_mutex_);
    written = db_->exec("BEGIN IMMEDIATE").ok();
    for (const auto& entry : changed) {
      if (!written) break;
      written = store_device(entry).ok();
    }
    written = written && db_->exec("COMMIT").ok();
    if (!written) (void)db_->exec("ROLLBACK");
  }
  if (!written) {  // try again next time
    std::lock_guard lock(mutex_);
    for (const auto& entry : changed)
      dirty_.insert(entry.fingerprint.bytes());
    return 0;
  }
  return changed.size();
}

}  // namespace tte::controller
