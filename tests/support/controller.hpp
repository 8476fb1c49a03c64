// A real tte-controller for multi-process tests (initialised in a temporary
// directory, listening on free ports), and tte-test-device processes that join it.
#ifndef TTE_TESTS_CONTROLLER_HPP
#define TTE_TESTS_CONTROLLER_HPP

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.hpp"

namespace tte::test {

class ControllerProcess {
 public:
  // Runs `tte-controller init` in dir/controller (CoAPS and HTTP on 127.0.0.1, port 0, unless
  // init_args set them).
  ControllerProcess(const TempDir& dir, const std::string& policy = "strict",
                    std::vector<std::string> init_args = {});
  ~ControllerProcess();

  void start(std::vector<std::string> serve_args = {});  // returns once the ready line arrived
  int stop();                                            // SIGTERM; the exit code

  RunResult cli(std::vector<std::string> args) const;  // tte-controller ARGS --data-dir DIR
  // curl -s against the HTTP listener; path like "/api/v1/devices".
  RunResult curl(std::vector<std::string> args, const std::string& path) const;
  // POST a notice (message 6) with the intake token; returns curl's -w "%{http_code}" and body.
  RunResult announce(const std::string& notice_json, const std::string& token = "") const;
  nlohmann::json device(
      const std::string& urn) const;  // GET /api/v1/devices/<urn> (null if absent)

  pid_t pid() const { return process_ ? process_->pid() : -1; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log() const { return log_; }
  std::string coaps() const { return "127.0.0.1:" + std::to_string(coaps_port_); }
  std::string http_origin() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  std::uint16_t https_port() const { return https_port_; }
  const std::string& fingerprint() const { return fingerprint_; }
  std::string intake_token() const;
  std::string api_token() const;

 private:
  std::string data_dir_, log_;
  std::unique_ptr<Process> process_;
  std::uint16_t coaps_port_ = 0, http_port_ = 0, https_port_ = 0;
  std::string fingerprint_;
};

// tte-test-device joined to a Controller: send commands, wait for events.
class TestDevice {
 public:
  TestDevice(const TempDir& dir, const std::string& bundle_file,
             const ControllerProcess& controller, const std::string& profile, int lifetime = 60,
             const std::string& name = "device");
  void send(const std::string& command) { process_->write_line(command); }
  // The next event with this name (skipping others); throws on timeout.
  nlohmann::json wait_for(const std::string& event,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  std::string log_;
};

// A factory batch for tests: `tte-mothership manufacture` into dir/batch with
// a MotherShip data dir of its own (MS ID 10); bundles at batch/bundles/<devid>.json.
std::string manufacture_batch(const TempDir& dir, int count);
std::string bundle_path(const std::string& batch, int n);
nlohmann::json read_bundle(const std::string& batch, int n);
// The notice (message 6) an Introducer would send for bundle n.
std::string notice_for(const nlohmann::json& bundle, const std::string& description = "");

}  // namespace tte::test

#endif  // TTE_TESTS_CONTROLLER_HPP
