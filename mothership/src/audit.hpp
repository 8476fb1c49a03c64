// The MotherShip's audit log (docs/protocol.md section 11): append-only and
// hash-chained. Each entry's hash is SHA-256(previous hash || canonical JSON of
// the entry), the first entry's previous hash being 32 zero bytes, so editing or
// removing an entry breaks every later hash.
#ifndef TTE_MOTHERSHIP_AUDIT_HPP
#define TTE_MOTHERSHIP_AUDIT_HPP

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "tte/identifiers.hpp"

namespace tte::mothership {

using AuditHash = std::array<std::uint8_t, 32>;

struct AuditEntry {
  std::int64_t seq = 0;                // 1, 2, 3, ... in order of writing
  std::int64_t time = 0;               // seconds since the epoch
  std::string actor;                   // client IP address, or "admin" / "import" / "cli"
  std::string action;                  // "claim", "revoke", "unrevoke", "import", ...
  std::optional<DevId> dev_id;         // the Dev ID concerned, as presented
  std::string outcome;                 // "mapped", "already_used", "not_authorized", ...
  std::string controller_fingerprint;  // hex, claims that name one; empty otherwise
  std::string detail;                  // free text for admin actions; never an OTP

  // The bytes that are hashed: compact JSON, members in a fixed order.
  std::string canonical_json() const;
  // As a JSON object with the hash, for the admin API and `audit` output.
  std::string to_json(const AuditHash& hash) const;
};

AuditHash chain_hash(const AuditHash& previous, const AuditEntry& entry);

std::string hash_hex(const AuditHash& hash);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_AUDIT_HPP
