// A real tte-mothership for multi-process tests: initialised in a temporary
// directory, listening on free ports, driven with independent clients (curl,
// libcoap's coap-client-openssl).
#ifndef TTE_TESTS_MOTHERSHIP_HPP
#define TTE_TESTS_MOTHERSHIP_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "process.hpp"

namespace tte::test {

class MotherShipProcess {
 public:
  // Runs `tte-mothership init --ms-id <ms_id>` in dir/ms (dir/ms-<id> for other IDs than 10).
  explicit MotherShipProcess(const TempDir& dir, std::vector<std::string> serve_args = {},
                             int ms_id = 10, std::vector<std::string> init_args = {});
  // Another instance of `first`'s MotherShip (several on one PostgreSQL): a copy of
  // its data directory, as an operator makes one, in dir/<name>; no init.
  MotherShipProcess(const TempDir& dir, const MotherShipProcess& first, const std::string& name,
                    std::vector<std::string> serve_args = {});
  ~MotherShipProcess();

  void start();  // serve on 127.0.0.1 port 0; returns once the ready line arrived
  int stop();    // SIGTERM; returns the exit code
  void kill9();

  // tte-mothership with these arguments (and --data-dir).
  RunResult cli(std::vector<std::string> args) const;
  // curl with the CA, --resolve for the listeners, -s; args follow.
  RunResult curl(std::vector<std::string> args) const;
  std::string url(const std::string& path_and_query) const;
  std::string admin_url(const std::string& path) const;
  std::vector<std::string> admin_auth() const;  // -H "Authorization: Bearer ..."
  // coap-client-openssl -v 6 GET .well-known/tte?urn=URN with proto/keys/<key>-test.{crt,key}.
  RunResult coap_query(const std::string& urn, const std::string& key,
                       const std::string& accept = "", std::vector<std::string> extra = {}) const;

  // Imports device records (JSON lines) through `tte-mothership import`.
  void import(const std::string& records) const;

  pid_t pid() const { return process_ ? process_->pid() : -1; }
  const std::string& data_dir() const { return data_dir_; }
  std::string ca_file() const { return data_dir_ + "/ca.crt"; }
  // For an Introducer: "tte-XXXXXX.net:443:127.0.0.1:<https port>" (curl's --connect-to).
  std::string connect_to() const;
  const std::string& log() const { return log_; }
  std::uint16_t https_port() const { return https_port_; }
  std::uint16_t coaps_port() const { return coaps_port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  const std::string& host() const { return host_; }
  static constexpr const char* kHost = "tte-00000A.net";  // the host of MS ID 10

 private:
  std::string data_dir_;
  std::string log_;
  std::string host_;
  std::vector<std::string> serve_args_;
  std::unique_ptr<Process> process_;
  std::uint16_t https_port_ = 0, coaps_port_ = 0, admin_port_ = 0;
};

// Device record n (JSON line) for the test device key: Dev ID n, URN
// urn:dev:ops:32473-Test-<n>, OTP 0x1000 + n.
std::string device_record(std::uint32_t n);
std::string otp_of(std::uint32_t n);    // 16 hex digits
std::string devid_of(std::uint32_t n);  // 8 hex digits
// The claim query for device n, mapping it to the test Controller.
std::string claim_query(std::uint32_t n, const std::string& otp = "");

inline constexpr const char* kDeviceFingerprint =
    "9e80f80b941243c01cd0b430ce21f52b0158ad296e91a4e4ab72891729226486";
inline constexpr const char* kControllerFingerprint =
    "98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4";

}  // namespace tte::test

#endif  // TTE_TESTS_MOTHERSHIP_HPP
