// What the MotherShip's and the Controller's data directories share: files
// named relative to the directory, a configuration file and a database, and
// the DTLS certificate whose key Devices pin. Each daemon's DataDir adds its
// own files (tokens, the OTP key) and what `init` writes.
#ifndef TTE_PLATFORM_DATA_DIRECTORY_HPP
#define TTE_PLATFORM_DATA_DIRECTORY_HPP

#include <string>

#include "tte/host/psk_seal.hpp"
#include "tte/identifiers.hpp"

namespace tte {

class DataDirectory {
 public:
  DataDirectory(std::string root, std::string config_name, std::string database_name)
      : root_(std::move(root)),
        config_name_(std::move(config_name)),
        database_name_(std::move(database_name)) {}

  std::string path(const std::string& name) const { return root_ + "/" + name; }
  std::string config() const { return path(config_name_); }
  std::string database() const { return path(database_name_); }
  const std::string& root() const { return root_; }

  // The fingerprint of dtls.crt's key, which Devices pin. Throws StartupError.
  Fingerprint dtls_fingerprint() const;
  // The key in psk.key that seals the PSKs this program keeps (docs/protocol.md
  // §11, §13.3), created (64 hex digits, 0600) by the first use. Throws StartupError.
  PskSealer psk_sealer(PskSealer::Purpose purpose) const;
  // A file named in the configuration: relative names are inside the directory.
  std::string resolve(const std::string& name) const;

 protected:
  std::string root_;

 private:
  std::string config_name_, database_name_;
};

}  // namespace tte

#endif  // TTE_PLATFORM_DATA_DIRECTORY_HPP
