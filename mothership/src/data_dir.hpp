// A MotherShip's data directory (docs/operations.md lists it):
//
//   mothership.conf   options for `serve` (ms-id, listeners, ...), as "name = value"
//   mothership.db     SQLite database (with -wal and -shm beside it while in use),
//                     unless mothership.conf names another (database = ...)
//   otp.key           the HMAC key for stored OTPs, 32 bytes as hex         (0600)
//   psk.key           the AES-256-GCM key sealing factory PSKs, 32 bytes hex (0600)
//   admin.token       the admin API's bearer token                           (0600)
//   dtls.key/.crt     the DTLS key pair devices pin (self-signed, P-256)     (key 0600)
//   https.key/.crt    the HTTPS key and certificate for tte-XXXXXX.net       (key 0600)
//   ca.key/.crt       the local CA that signed https.crt (local use only)    (key 0600)
#ifndef TTE_MOTHERSHIP_DATA_DIR_HPP
#define TTE_MOTHERSHIP_DATA_DIR_HPP

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "database_location.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/host/psk_seal.hpp"
#include "tte/identifiers.hpp"
#include "tte/platform/data_directory.hpp"

namespace tte::mothership {
class Store;
enum class StoreAccess;
}  // namespace tte::mothership

namespace tte::mothership {

class DataDir : public DataDirectory {
 public:
  explicit DataDir(std::string root)
      : DataDirectory(std::move(root), "mothership.conf", "mothership.db") {}

  // The settings of mothership.conf ("name = value" lines). Throws StartupError.
  std::map<std::string, std::string> read_config() const;

  // Throws StartupError unless `init` has run here.
  void require_initialised() const;
  // The database: `given` (--database), else mothership.conf's `database`, else
  // sqlite:mothership.db here. Throws StartupError (UsageError for a bad --database).
  DatabaseLocation database_location(const std::optional<std::string>& given = std::nullopt) const;
  // The OTP HMAC key. Throws StartupError.
  OtpHasher otp_hasher() const;
  // The key that seals PSK Devices' factory PSKs (docs/protocol.md §13.3). A data
  // directory made before PSK Devices has none: the first use creates it.
  // Throws StartupError.
  PskSealer psk_sealer() const;
  std::string admin_token() const;
};

struct InitOptions {
  std::string data_dir;
  MsId ms_id;
  bool allow_example_id = false;
  std::string https = "0.0.0.0:443";
  std::string coaps = "0.0.0.0:5684";
  std::string admin = "127.0.0.1:8443";
  std::string coaps_public;  // where devices reach the CoAPS listener (factory bundles)
  // sqlite:PATH (relative: in the data directory) or postgresql://... (an empty database).
  std::string database = kDefaultDatabase;
  std::optional<std::string> https_cert;       // production: the operator's certificate chain ...
  std::optional<std::string> https_key;        // ... and key, copied into the data dir
  std::vector<std::string> https_extra_names;  // more DNS names for the local HTTPS certificate
};

struct InitResult {
  std::string host;
  Fingerprint dtls_fingerprint;
  std::string ca_file;  // empty when the operator supplied the HTTPS certificate
  std::string admin_token_file;
};

// What the database records of otp.key (meta otp_key_check), so that an
// instance started with another key refuses to start instead of refusing every
// claim: an HMAC of a fixed input, which tells nothing of the key.
std::string otp_key_check(const OtpHasher& hasher);
// The same for psk.key (meta psk_key_check): an all-zero PSK sealed for Dev ID
// 0. Sealing takes a fresh nonce, so the check is that it opens.
std::string psk_key_check(const PskSealer& sealer);
bool psk_key_opens(const PskSealer& sealer, std::string_view check);

// Refuses (StartupError) a database made with another otp.key, psk.key or DTLS
// key than this data directory's (several instances on one database must share
// them). Every command that writes to the database calls it.
void check_database_matches(const DataDir& dir, Store& store);

// The database `given` (--database), else the one the directory names, opened;
// StoreCheck::keys: refused unless it matches the directory's keys
// (check_database_matches), which whatever writes to it needs. Throws StartupError.
enum class StoreCheck { keys, none };
Store open_store(const DataDir& dir, const std::optional<std::string>& given, StoreAccess access,
                 StoreCheck check = StoreCheck::keys);

// Creates the data directory. Refuses a directory that already holds a
// MotherShip. Throws StartupError.
InitResult initialise(const InitOptions& options);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_DATA_DIR_HPP
