#include "import.hpp"

#include <vector>

namespace tte::mothership {
namespace {

ImportOutcome failed(Status status, std::string message) {
  return ImportOutcome{status, 0, std::move(message)};
}

}  // namespace

ImportOutcome import_devices(Store& store, const OtpHasher& hasher, std::istream& records,
                             const ImportOptions& options) {
  constexpr const char* kNothing = "; nothing was imported";
  if (Status locked = store.begin_bulk(); !locked.ok())
    return failed(locked, "cannot lock the database: " + store.last_error());
  std::size_t count = 0;
  std::vector<FactoryRecord> chunk;
  chunk.reserve(ImportOptions::kChunk);
  // Stores the chunk; on a failure rolls the whole transaction back.
  auto store_chunk = [&]() -> ImportOutcome {
    auto outcome =
        insert_factory_records(store, hasher, chunk.begin(), chunk.end(), options.psk_sealer);
    if (!outcome.status.ok()) {
      std::string why = outcome.status.error().code == Errc::duplicate
                            ? outcome.which + " is already stored"
                            : "cannot import: " + store.last_error();
      store.rollback();
      return failed(outcome.status, why + kNothing);
    }
    count += chunk.size();
    chunk.clear();
    if (options.progress) options.progress(count);
    return ImportOutcome{};
  };
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(records, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    auto record = FactoryRecord::from_json(line);
    if (!record.ok()) {
      store.rollback();
      const Error& e = record.error();
      return failed(e, options.source + ":" + std::to_string(line_number) + ": " +
                           (e.field ? e.field : "record") + ": " + e.message + kNothing);
    }
    chunk.push_back(std::move(record.value()));
    if (chunk.size() == ImportOptions::kChunk) {
      if (auto stored = store_chunk(); !stored.status.ok()) return stored;
    }
  }
  if (auto stored = store_chunk(); !stored.status.ok()) return stored;
  auto commit = [&]() -> Status {
    AuditEntry entry = import_audit_entry(count, options.actor, options.now);
    TTE_TRY(store.lock_audit_chain());  // PostgreSQL: only now, for the audit entry
    TTE_ASSIGN_OR_RETURN(AuditHead head, store.audit_head());
    TTE_TRY(store.append_audit(entry, head));
    return store.commit();
  };
  if (Status committed = commit(); !committed.ok()) {
    std::string why = "cannot commit the import: " + store.last_error() + kNothing;
    store.rollback();
    return failed(committed, why);
  }
  return ImportOutcome{Status(), count, ""};
}

}  // namespace tte::mothership
