// `tte-mothership import`: the factory's device records into the database,
// all or none, in one transaction (which may run beside a serving MotherShip:
// SQLite's WAL lets its readers go on, and its Writer waits for the lock; on
// PostgreSQL the rows go in with one COPY, and the audit chain's lock is taken
// only for the import's audit entry, so claims go on meanwhile).
#ifndef TTE_MOTHERSHIP_IMPORT_HPP
#define TTE_MOTHERSHIP_IMPORT_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>

#include "store.hpp"
#include "tte/host/otp_crypto.hpp"

namespace tte::mothership {

struct ImportOptions {
  std::string source = "-";      // the input's name in messages ("records.jsonl:3: ...")
  std::string actor = "import";  // of the audit entry
  std::int64_t now = 0;          // the audit entry's time (seconds since the epoch)
  // Called with the number of records stored so far, every kChunk records.
  std::function<void(std::size_t stored)> progress;
  // Seals PSK Devices' factory PSKs (psk.key); without it PSK records are refused.
  const PskSealer* psk_sealer = nullptr;

  static constexpr std::size_t kChunk = 4096;
};

// How an import ended. When status is not ok, nothing was imported and
// message says why, for people.
struct ImportOutcome {
  Status status;
  std::size_t imported = 0;  // devices now stored (0 unless status is ok)
  std::string message;
};

// Stores the records of `records` (one JSON object per line with devid, urn,
// fingerprint and otp; blank lines are skipped), each OTP only as its HMAC,
// and one audit entry for them, in one transaction of `store` (read_write).
// Errors: a record's own (syntax, missing, ...; the message names the line
// and the member); duplicate (a Dev ID or URN already stored, or twice in the
// input: the message names it); io (the database cannot be locked, written or
// committed).
ImportOutcome import_devices(Store& store, const OtpHasher& hasher, std::istream& records,
                             const ImportOptions& options);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_IMPORT_HPP
