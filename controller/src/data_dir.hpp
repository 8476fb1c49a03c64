// A Controller's data directory (docs/controller.md lists it):
//
//   controller.conf   options for `serve` ("name = value"; the command line wins)
//   controller.db     SQLite: announced devices, bindings, what was last seen
//   dtls.key/.crt     the DTLS key pair Devices pin (self-signed, P-256)   (key 0600)
//   https.key/.crt    a self-signed certificate for the optional HTTPS listener (key 0600)
//   intake.token      the bearer token Introducers send with message 6     (0600)
//   api.token         the bearer token of the control API and dashboard    (0600)
//   psk.key           seals the Device-Controller PSKs of notices (message 6) (0600)
#ifndef TTE_CONTROLLER_DATA_DIR_HPP
#define TTE_CONTROLLER_DATA_DIR_HPP

#include <string>
#include <vector>

#include "tte/identifiers.hpp"
#include "tte/platform/data_directory.hpp"
#include "tte/platform/listen_address.hpp"

namespace tte::controller {

class DataDir : public DataDirectory {
 public:
  explicit DataDir(std::string root)
      : DataDirectory(std::move(root), "controller.conf", "controller.db") {}

  // Throws StartupError unless `init` has run here.
  void require_initialised() const;
  std::string intake_token() const;
  std::string api_token() const;
  // Seals link PSKs (docs/protocol.md §13.3); created by the first use.
  PskSealer psk_sealer() const { return DataDirectory::psk_sealer(PskSealer::Purpose::controller); }
};

struct InitOptions {
  std::string data_dir;
  std::string coaps = "0.0.0.0:5684";
  std::string coaps_public;  // where Devices reach it; empty: this host's first address
  std::string http = "127.0.0.1:8080";
  std::string https;  // empty: no HTTPS listener
  std::string policy = "strict";
  std::string intake;  // the intake URL installers are given; empty: derived from the listeners
  std::vector<std::string> https_names;  // DNS names or IP addresses for https.crt
};

struct InitResult {
  Fingerprint dtls_fingerprint;
  std::string coaps_public;
};

// Creates the data directory. Refuses one that already holds a Controller.
// Throws StartupError.
InitResult initialise(const InitOptions& options);

// This host's first non-loopback IPv4 address (or IPv6 if it has none), or
// 127.0.0.1: a default for the address Devices are given.
std::string first_host_address();

// Where Devices reach a CoAPS listener when nobody said (coaps-public): its
// address, or this host's first address when it listens on every address.
std::string default_coaps_public(const ListenAddress& coaps);

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_DATA_DIR_HPP
