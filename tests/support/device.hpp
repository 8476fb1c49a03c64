// tte-device in multi-process tests: a batch minted into a running MotherShip,
// a Device process whose JSON-line events can be awaited, and the Introducer's
// enrollment of one device of a batch.
#ifndef TTE_TESTS_SUPPORT_DEVICE_HPP
#define TTE_TESTS_SUPPORT_DEVICE_HPP

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/controller.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"

namespace tte::test {

// `count` devices (ops:32473-<name>, no labels) stored straight into `ms`'s
// database, their bundles pointing at `mothership_coaps` (by default its CoAPS
// port on 127.0.0.1). Returns the batch directory.
std::string mint(const MotherShipProcess& ms, const TempDir& dir, int count,
                 const std::string& name = "batch", const std::string& mothership_coaps = "");

// The host's loopback as a Device under QEMU's user-mode network reaches it:
// 10.0.2.2:PORT for 127.0.0.1:PORT.
std::string seen_from_qemu(std::uint16_t port);
std::string seen_from_qemu(const std::string& host_address);  // "127.0.0.1:PORT

class DeviceProcess {
 public:
  DeviceProcess(const TempDir& dir, std::vector<std::string> args,
                const std::string& name = "device");
  // Another program printing the same events (the firmware under QEMU).
  DeviceProcess(const TempDir& dir, const std::string& program, std::vector<std::string> args,
                const std::string& name);
  // The next event matching (event[, state]); skips others. Throws on timeout,
  // naming the last events seen.
  nlohmann::json wait_for(const std::string& event, const std::string& state = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void send(const std::string& command) { process_->write_line(command); }
  Process& process() { return *process_; }
  std::vector<nlohmann::json> seen;

 private:
  std::string program_, log_;
  std::unique_ptr<Process> process_;
};

// tte-device's options for one device of a batch, with test-bed timings (1-2 s retries).
std::vector<std::string> device_args(const MotherShipProcess& ms, const std::string& bundle,
                                     const std::string& nv, const std::string& profile = "light");

// tte-introducer enroll --json: device n of the batch to `controller` (with
// `fingerprint`, by default the Controller's own; at `address`, by default its
// own), notifying the Controller; `extra` options after the others.
RunResult enroll(const TempDir& dir, const MotherShipProcess& ms,
                 const ControllerProcess& controller, const std::string& batch, int n,
                 const std::string& fingerprint = "", const std::string& address = "",
                 const std::vector<std::string>& extra = {});

}  // namespace tte::test

#endif  // TTE_TESTS_SUPPORT_DEVICE_HPP
