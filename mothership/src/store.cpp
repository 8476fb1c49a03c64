#include "store.hpp"

#include <algorithm>
#include <cstring>

#include "tte/platform/startup_error.hpp"

namespace tte::mothership {
namespace {

template <std::size_t N>
bool copy_blob(const Blob& blob, std::array<std::uint8_t, N>& out) {
  if (blob.size() != N) return false;
  std::memcpy(out.data(), blob.data(), N);
  return true;
}

Blob blob_of(ByteView bytes) {
  return Blob(bytes.begin(), bytes.end());
}

Error corrupt(const char* what) {
  return make_error(Errc::io, what, "database");
}

std::unique_ptr<StoreBackend> open_backend(const DatabaseLocation& location, StoreAccess access) {
  return location.kind == DatabaseLocation::Kind::postgresql
             ? open_postgres_backend(location.target, access)
             : open_sqlite_backend(location.target, access);
}

DatabaseLocation parse_location(const std::string& text) {
  auto location = DatabaseLocation::parse(text);
  if (!location.ok()) throw StartupError("--database " + text + ": " + location.error().message);
  return location.value();
}

// A bucket that keeps changing under us gives up after this many tries (each
// try lost to another instance's change of the same bucket, which took a slot).
constexpr int kSwapAttempts = 200;

}  // namespace

void Store::initialize(const std::string& location, MsId ms_id,
                       const std::vector<std::pair<std::string, std::string>>& meta) {
  DatabaseLocation where = parse_location(location);
  std::vector<std::pair<std::string, std::string>> rows{
      {"schema_version", std::to_string(kSchemaVersion)}, {"ms_id", std::to_string(ms_id.value())}};
  rows.insert(rows.end(), meta.begin(), meta.end());
  if (where.kind == DatabaseLocation::Kind::postgresql) {
    create_postgres_schema(where.target, rows);
  } else {
    create_sqlite_schema(where.target, rows);
  }
}

Store::Store(const std::string& location, Access access, const PskSealer* psk_sealer)
    : Store(parse_location(location), access, psk_sealer) {}

Store::Store(const DatabaseLocation& location, Access access, const PskSealer* psk_sealer)
    : db_(open_backend(location, access)) {
  if (psk_sealer) use_psk_sealer(*psk_sealer);
}

MsId Store::ms_id(IdPolicy policy) {
  auto stored = db_->meta("ms_id");
  if (!stored.ok()) throw StartupError(path() + ": cannot read the MS ID: " + last_error());
  if (!stored.value()) throw StartupError(path() + " records no MS ID");
  const std::string& text = *stored.value();
  auto ms_id = MsId::parse_number(text, policy);
  if (!ms_id.ok()) {
    std::string hint = text == "0" ? " (it is the example ID: start with --allow-example-id)" : "";
    throw StartupError(path() + ": MS ID " + text + " refused: " + ms_id.error().message + hint);
  }
  return ms_id.value();
}

Result<DeviceRecord> Store::decode(const DeviceRow& row) const {
  auto urn = DevUrn::parse(row.urn);
  // A certificate Device has a key fingerprint; a PSK Device a sealed factory PSK instead.
  std::optional<Fingerprint> fingerprint;
  std::optional<SealedPsk> sealed_psk;
  if (row.factory_psk) {
    sealed_psk.emplace();
    if (!copy_blob(*row.factory_psk, *sealed_psk)) return corrupt("a sealed PSK is damaged");
  } else {
    if (!row.fingerprint) return corrupt("a device row does not parse");
    auto key = Fingerprint::from_bytes(ByteView(row.fingerprint->data(), row.fingerprint->size()));
    if (!key.ok()) return corrupt("a device row does not parse");
    fingerprint = key.value();
  }
  OtpDigest digest{};
  if (!urn.ok() || !copy_blob(row.otp_digest, digest) || row.devid < 0 || row.devid > 0xffffffff) {
    return corrupt("a device row does not parse");
  }
  DeviceRecord record{DevId(static_cast<std::uint32_t>(row.devid)),
                      urn.value(),
                      fingerprint,
                      digest,
                      DeviceState::unmapped,
                      std::nullopt,
                      std::nullopt,
                      std::string(),
                      std::nullopt,
                      std::nullopt};
  record.state = row.state == 0   ? DeviceState::unmapped
                 : row.state == 1 ? DeviceState::mapped
                                  : DeviceState::registered;
  record.revoked_at = row.revoked_at;
  if (row.controller_ip) {
    const Blob& ip_bytes = *row.controller_ip;
    const Blob& fingerprint_bytes = row.controller_fingerprint.value_or(Blob{});
    auto ip = IpAddress::from_bytes(ByteView(ip_bytes.data(), ip_bytes.size()));
    auto controller_fingerprint =
        Fingerprint::from_bytes(ByteView(fingerprint_bytes.data(), fingerprint_bytes.size()));
    if (!ip.ok() || !controller_fingerprint.ok())
      return corrupt("a controller binding does not parse");
    ControllerBinding binding{
        ControllerAddress{ip.value(), static_cast<std::uint16_t>(row.controller_port)},
        controller_fingerprint.value(), std::nullopt};
    if (row.controller_psk) {
      // Sealed under psk.key (45 bytes); a database written before sealing holds 16 in clear.
      const Blob& stored = *row.controller_psk;
      Psk psk{};
      if (stored.size() == std::tuple_size<SealedPsk>::value) {
        if (link_sealer_) {
          TTE_ASSIGN_OR_RETURN(
              psk, link_sealer_->unseal(record.dev_id, ByteView(stored.data(), stored.size())));
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
  record.description = row.description;
  record.mapped_at = row.mapped_at;
  record.registered_at = row.registered_at;
  record.sealed_psk = sealed_psk;
  return record;
}

Result<std::optional<DeviceRecord>> Store::device(DevId dev_id) {
  TTE_ASSIGN_OR_RETURN(auto row, db_->device(dev_id.value()));
  if (!row) return std::optional<DeviceRecord>();
  TTE_ASSIGN_OR_RETURN(DeviceRecord record, decode(*row));
  return std::optional<DeviceRecord>(std::move(record));
}

Result<std::optional<DeviceRecord>> Store::device_by_urn(std::string_view urn) {
  TTE_ASSIGN_OR_RETURN(auto row, db_->device_by_urn(urn));
  if (!row) return std::optional<DeviceRecord>();
  TTE_ASSIGN_OR_RETURN(DeviceRecord record, decode(*row));
  return std::optional<DeviceRecord>(std::move(record));
}

Result<std::vector<DeviceRecord>> Store::box_devices(DevId first, std::uint32_t count,
                                                     bool for_update) {
  const std::int64_t from = first.value();
  TTE_ASSIGN_OR_RETURN(
      auto rows,
      db_->devices_between(from, from + static_cast<std::int64_t>(count) - 1, for_update));
  std::vector<DeviceRecord> devices;
  devices.reserve(rows.size());
  for (const DeviceRow& row : rows) {
    TTE_ASSIGN_OR_RETURN(DeviceRecord record, decode(row));
    devices.push_back(std::move(record));
  }
  return devices;
}

Result<ThrottleState> Store::throttle(DevId dev_id) {
  TTE_ASSIGN_OR_RETURN(auto state, db_->throttle(dev_id.value()));
  return state.value_or(ThrottleState{});
}

Result<AuditHead> Store::audit_head() {
  TTE_ASSIGN_OR_RETURN(auto last, db_->audit_last());
  AuditHead head;
  if (last) head = AuditHead{last->entry.seq, last->hash};
  return head;
}

Result<std::vector<std::pair<AuditEntry, AuditHash>>> Store::audit_after(std::int64_t after,
                                                                         int limit) {
  TTE_ASSIGN_OR_RETURN(auto rows, db_->audit_after(after, limit));
  std::vector<std::pair<AuditEntry, AuditHash>> entries;
  entries.reserve(rows.size());
  for (AuditRow& row : rows)
    entries.emplace_back(std::move(row.entry), row.hash);
  return entries;
}

Result<std::optional<DevId>> Store::next_free_dev_id() {
  TTE_ASSIGN_OR_RETURN(auto highest, db_->max_devid());
  if (!highest) return std::optional<DevId>(DevId(1));
  if (*highest >= 0xffffffff) return std::optional<DevId>();
  return std::optional<DevId>(DevId(static_cast<std::uint32_t>(*highest + 1)));
}

Result<bool> Store::urn_exists(std::string_view urn) {
  TTE_ASSIGN_OR_RETURN(auto row, db_->device_by_urn(urn));
  return row.has_value();
}

Result<bool> Store::map_device(DevId dev_id, const ControllerBinding& controller,
                               const std::string& description, std::int64_t now) {
  MappingRow mapping;
  mapping.controller_ip = blob_of(controller.address.ip.bytes());
  mapping.controller_port = controller.address.port;
  mapping.controller_fingerprint = blob_of(controller.fingerprint.bytes());
  if (controller.psk) {
    if (!link_sealer_) return make_error(Errc::crypto, "no psk.key to seal the link PSK", "cpsk");
    TTE_ASSIGN_OR_RETURN(SealedPsk sealed, link_sealer_->seal(dev_id, *controller.psk));
    mapping.controller_psk = Blob(sealed.begin(), sealed.end());
  }
  mapping.description = description;
  mapping.mapped_at = now;
  return db_->map_device(dev_id.value(), mapping);
}

Status Store::insert_device(const FactoryRecord& record, const OtpDigest& digest,
                            const std::optional<SealedPsk>& sealed_psk) {
  return insert_devices({NewDevice{&record, digest, sealed_psk}}, nullptr);
}

Status Store::insert_devices(const std::vector<NewDevice>& devices, std::string* duplicate_of) {
  std::vector<NewDeviceRow> rows;
  rows.reserve(devices.size());
  for (const NewDevice& device : devices) {
    const FactoryRecord& record = *device.record;
    if (record.fingerprint.has_value() == device.sealed_psk.has_value()) {
      return make_error(Errc::syntax, "a device has either a key fingerprint or a sealed PSK",
                        "fingerprint");
    }
    if (device.sealed_psk && schema_version() < 2)
      return make_error(Errc::unsupported, "a version 1 database holds no PSK Devices", "psk");
    NewDeviceRow row;
    row.devid = record.dev_id.value();
    row.urn = std::string(record.urn.view());
    if (record.fingerprint) row.fingerprint = blob_of(record.fingerprint->bytes());
    row.otp_digest = Blob(device.digest.begin(), device.digest.end());
    if (device.sealed_psk)
      row.factory_psk = Blob(device.sealed_psk->begin(), device.sealed_psk->end());
    rows.push_back(std::move(row));
  }
  return db_->insert_devices(rows, duplicate_of);
}

Result<AuditHead> Store::append_audit(AuditEntry& entry, const AuditHead& head) {
  entry.seq = head.seq + 1;
  AuditHead next{entry.seq, chain_hash(head.hash, entry)};
  TTE_TRY(db_->insert_audit(entry, next.hash));
  return next;
}

Result<AuditHead> Store::append_audits(std::vector<AuditEntry>& entries, const AuditHead& head) {
  AuditHead next = head;
  std::vector<AuditRow> rows;
  rows.reserve(entries.size());
  for (AuditEntry& entry : entries) {
    entry.seq = next.seq + 1;
    next = AuditHead{entry.seq, chain_hash(next.hash, entry)};
    rows.push_back(AuditRow{entry, next.hash});
  }
  if (!rows.empty()) TTE_TRY(db_->insert_audits(rows));
  return next;
}

Result<Slot> Store::take_shared_slot(DevId dev_id, std::int64_t now, const GuessPolicy& policy) {
  for (int attempt = 0; attempt < kSwapAttempts; ++attempt) {
    TTE_ASSIGN_OR_RETURN(auto stored, db_->throttle(dev_id.value()));
    Slot slot = take_slot(stored.value_or(ThrottleState{}), now, policy);
    if (stored && slot.state == *stored) return slot;  // refused, and nothing changed
    TTE_ASSIGN_OR_RETURN(bool swapped, db_->swap_throttle(dev_id.value(), stored, slot.state));
    if (swapped) return slot;
  }
  return make_error(Errc::unavailable, "the bucket kept changing", "throttle");
}

Status Store::give_back_shared_slot(DevId dev_id, std::int64_t now, const GuessPolicy& policy) {
  for (int attempt = 0; attempt < kSwapAttempts; ++attempt) {
    TTE_ASSIGN_OR_RETURN(auto stored, db_->throttle(dev_id.value()));
    if (!stored) return ok_status();  // nothing was taken here
    ThrottleState next = give_back_slot(*stored, now, policy);
    if (next == *stored) return ok_status();
    TTE_ASSIGN_OR_RETURN(bool swapped, db_->swap_throttle(dev_id.value(), stored, next));
    if (swapped) return ok_status();
  }
  return make_error(Errc::unavailable, "the bucket kept changing", "throttle");
}

Result<std::vector<Slot>> Store::take_shared_slots(DevId first, std::uint32_t count,
                                                   std::int64_t now, const GuessPolicy& policy) {
  std::vector<Slot> slots(count, Slot{true, ThrottleState{}, 0});
  if (count == 0) return slots;
  const std::int64_t low = first.value();
  TTE_TRY(db_->change_device_buckets(
      low, low + count - 1, [&](const std::vector<StoreBackend::DeviceBucket>& buckets) {
        std::vector<StoreBackend::BucketChange> changes;
        changes.reserve(buckets.size());
        for (const auto& bucket : buckets) {
          Slot slot = take_slot(bucket.state.value_or(ThrottleState{}), now, policy);
          slots[static_cast<std::size_t>(bucket.devid - low)] = slot;
          if (!slot.taken) return std::vector<StoreBackend::BucketChange>();  // none taken
          changes.push_back({bucket.devid, slot.state});
        }
        return changes;
      }));
  return slots;
}

Status Store::give_back_shared_slots(DevId first, const std::vector<bool>& which, std::int64_t now,
                                     const GuessPolicy& policy) {
  if (std::find(which.begin(), which.end(), true) == which.end()) return ok_status();
  const std::int64_t low = first.value();
  return db_->change_device_buckets(
      low, low + static_cast<std::int64_t>(which.size()) - 1,
      [&](const std::vector<StoreBackend::DeviceBucket>& buckets) {
        std::vector<StoreBackend::BucketChange> changes;
        for (const auto& bucket : buckets) {
          if (!which[static_cast<std::size_t>(bucket.devid - low)] || !bucket.state) continue;
          ThrottleState next = give_back_slot(*bucket.state, now, policy);
          if (!(next == *bucket.state)) changes.push_back({bucket.devid, next});
        }
        return changes;
      });
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
