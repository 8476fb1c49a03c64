#include "controller.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace tte::test {

namespace {
std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}
}  // namespace

ControllerProcess::ControllerProcess(const TempDir& dir, const std::string& policy,
                                     std::vector<std::string> init_args)
    : data_dir_(dir.file("controller")), log_(dir.file("controller.log")) {
  std::vector<std::string> argv{TTE_CONTROLLER_BIN, "init",     "--data-dir",
                                data_dir_,          "--policy", policy};
  // CoAPS and HTTP on loopback, port 0, unless the test says otherwise.
  for (const char* option : {"--coaps", "--http"}) {
    if (std::find(init_args.begin(), init_args.end(), option) == init_args.end()) {
      argv.push_back(option);
      argv.push_back("127.0.0.1:0");
    }
  }
  argv.insert(argv.end(), init_args.begin(), init_args.end());
  RunResult init = run(argv);
  if (init.exit_code != 0) throw std::runtime_error("tte-controller init failed: " + init.err);
}

ControllerProcess::~ControllerProcess() = default;

void ControllerProcess::start(std::vector<std::string> serve_args) {
  std::vector<std::string> argv{TTE_CONTROLLER_BIN, "serve", "--data-dir", data_dir_};
  argv.insert(argv.end(), serve_args.begin(), serve_args.end());
  process_ = std::make_unique<Process>(argv, log_);
  auto ready = nlohmann::json::parse(process_->read_line(std::chrono::seconds(30)));
  auto port_of = [&](const char* name) {
    std::string address = ready[name];
    return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  };
  coaps_port_ = port_of("coaps");
  http_port_ = port_of("http");
  if (ready.contains("https")) https_port_ = port_of("https");
  fingerprint_ = ready["fingerprint"];
}

int ControllerProcess::stop() {
  if (!process_) return 0;
  process_->signal(SIGTERM);
  int code = process_->wait(std::chrono::seconds(30));
  process_.reset();
  return code;
}

RunResult ControllerProcess::cli(std::vector<std::string> args) const {
  std::vector<std::string> argv{TTE_CONTROLLER_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--data-dir");
  argv.push_back(data_dir_);
  return run(argv);
}

RunResult ControllerProcess::curl(std::vector<std::string> args, const std::string& path) const {
  std::vector<std::string> argv{"curl", "-s"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(http_origin() + path);
  return run(argv);
}

RunResult ControllerProcess::announce(const std::string& notice_json,
                                      const std::string& token) const {
  return curl({"-w", "\n%{http_code}", "-X", "POST", "-H",
               "Authorization: Bearer " + (token.empty() ? intake_token() : token), "-H",
               "Content-Type: application/json", "--data-binary", notice_json},
              "/.well-known/tte/devices");
}

nlohmann::json ControllerProcess::device(const std::string& urn) const {
  RunResult got = curl({"-H", "Authorization: Bearer " + api_token(), "-w", "\n%{http_code}"},
                       "/api/v1/devices/" + urn);
  std::size_t split = got.out.rfind('\n');
  if (split == std::string::npos || got.out.substr(split + 1) != "200") return nullptr;
  return nlohmann::json::parse(got.out.substr(0, split));
}

std::string ControllerProcess::intake_token() const {
  return trim(read_text(data_dir_ + "/intake.token"));
}
std::string ControllerProcess::api_token() const {
  return trim(read_text(data_dir_ + "/api.token"));
}

TestDevice::TestDevice(const TempDir& dir, const std::string& bundle_file,
                       const ControllerProcess& controller, const std::string& profile,
                       int lifetime, const std::string& name)
    : log_(dir.file(name + ".log")) {
  process_ = std::make_unique<Process>(
      std::vector<std::string>{TTE_TEST_DEVICE_BIN, "--bundle", bundle_file, "--controller",
                               controller.coaps(), "--controller-fingerprint",
                               controller.fingerprint(), "--profile", profile, "--lifetime",
                               std::to_string(lifetime)},
      log_, true);
  wait_for("ready");
}

nlohmann::json TestDevice::wait_for(const std::string& event, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("no '" + event + "' event from the test device");
    auto line = nlohmann::json::parse(process_->read_line(left), nullptr, false);
    if (!line.is_discarded() && line.value("event", "") == event) return line;
  }
}

std::string manufacture_batch(const TempDir& dir, int count) {
  const std::string ms = dir.file("factory-ms"), batch = dir.file("batch");
  RunResult init = run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", ms, "--ms-id", "10"});
  if (init.exit_code != 0) throw std::runtime_error("tte-mothership init failed: " + init.err);
  RunResult minted = run({TTE_MOTHERSHIP_BIN, "manufacture", "--data-dir", ms, "--count",
                          std::to_string(count), "--out", batch, "--no-labels"});
  if (minted.exit_code != 0) throw std::runtime_error("manufacture failed: " + minted.err);
  return batch;
}

std::string bundle_path(const std::string& batch, int n) {
  char name[32];
  std::snprintf(name, sizeof name, "/bundles/%08x.json", n);
  return batch + name;
}

nlohmann::json read_bundle(const std::string& batch, int n) {
  return nlohmann::json::parse(read_text(bundle_path(batch, n)));
}

std::string notice_for(const nlohmann::json& bundle, const std::string& description) {
  return nlohmann::json{{"urn", bundle["urn"]},
                        {"fingerprint", bundle["device"]["fingerprint"]},
                        {"devid", bundle["devid"]},
                        {"otp", bundle["otp"]},
                        {"mothership", bundle["mothership"]["host"]},
                        {"description", description}}
      .dump();
}

}  // namespace tte::test
