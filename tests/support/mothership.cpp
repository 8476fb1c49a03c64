#include "mothership.hpp"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tte::test {

MotherShipProcess::MotherShipProcess(const TempDir& dir, std::vector<std::string> serve_args,
                                     int ms_id, std::vector<std::string> init_args)
    : data_dir_(dir.file(ms_id == 10 ? "ms" : "ms-" + std::to_string(ms_id))),
      log_(dir.file(ms_id == 10 ? "mothership.log"
                                : "mothership-" + std::to_string(ms_id) + ".log")),
      serve_args_(std::move(serve_args)) {
  char host[32];
  std::snprintf(host, sizeof host, "tte-%06X.net", static_cast<unsigned>(ms_id));
  host_ = host;
  std::vector<std::string> argv{TTE_MOTHERSHIP_BIN, "init",    "--data-dir",
                                data_dir_,          "--ms-id", std::to_string(ms_id)};
  argv.insert(argv.end(), init_args.begin(), init_args.end());
  RunResult init = run(argv);
  if (init.exit_code != 0) throw std::runtime_error("tte-mothership init failed: " + init.err);
}

MotherShipProcess::MotherShipProcess(const TempDir& dir, const MotherShipProcess& first,
                                     const std::string& name, std::vector<std::string> serve_args)
    : data_dir_(dir.file(name)),
      log_(dir.file(name + ".log")),
      host_(first.host_),
      serve_args_(std::move(serve_args)) {
  std::filesystem::copy(first.data_dir_, data_dir_, std::filesystem::copy_options::recursive);
}

std::string MotherShipProcess::connect_to() const {
  return host_ + ":443:127.0.0.1:" + std::to_string(https_port_);
}

MotherShipProcess::~MotherShipProcess() = default;

void MotherShipProcess::start() {
  std::vector<std::string> argv{TTE_MOTHERSHIP_BIN, "serve",       "--data-dir", data_dir_,
                                "--https",          "127.0.0.1:0", "--coaps",    "127.0.0.1:0",
                                "--admin",          "127.0.0.1:0"};
  argv.insert(argv.end(), serve_args_.begin(), serve_args_.end());
  process_ = std::make_unique<Process>(argv, log_);
  auto ready = nlohmann::json::parse(process_->read_line(30s));
  auto port_of = [&](const char* name) {
    std::string address = ready[name];
    return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  };
  https_port_ = port_of("https");
  coaps_port_ = port_of("coaps");
  admin_port_ = port_of("admin");
}

int MotherShipProcess::stop() {
  if (!process_) return 0;
  process_->signal(SIGTERM);
  int code = process_->wait(30s);
  process_.reset();
  return code;
}

void MotherShipProcess::kill9() {
  process_->signal(SIGKILL);
  process_->wait(30s);
  process_.reset();
}

RunResult MotherShipProcess::cli(std::vector<std::string> args) const {
  std::vector<std::string> argv{TTE_MOTHERSHIP_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--data-dir");
  argv.push_back(data_dir_);
  return run(argv);
}

RunResult MotherShipProcess::curl(std::vector<std::string> args) const {
  std::vector<std::string> argv{
      "curl",      "-s",
      "--cacert",  data_dir_ + "/ca.crt",
      "--resolve", host_ + ":" + std::to_string(https_port_) + ":127.0.0.1",
      "--resolve", host_ + ":" + std::to_string(admin_port_) + ":127.0.0.1"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::string MotherShipProcess::url(const std::string& path_and_query) const {
  return "https://" + host_ + ":" + std::to_string(https_port_) + path_and_query;
}

std::string MotherShipProcess::admin_url(const std::string& path) const {
  return "https://" + host_ + ":" + std::to_string(admin_port_) + path;
}

std::vector<std::string> MotherShipProcess::admin_auth() const {
  std::string token = read_text(data_dir_ + "/admin.token");
  while (!token.empty() && token.back() == '\n')
    token.pop_back();
  return {"-H", "Authorization: Bearer " + token};
}

RunResult MotherShipProcess::coap_query(const std::string& urn, const std::string& key,
                                        const std::string& accept,
                                        std::vector<std::string> extra) const {
  std::string keys = std::string(TTE_PROTO_DIR) + "/keys/" + key + "-test";
  std::vector<std::string> argv{"coap-client-openssl", "-v", "6",          "-m", "get", "-c",
                                keys + ".crt",         "-j", keys + ".key"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (!accept.empty()) {
    argv.push_back("-A");
    argv.push_back(accept);
  }
  argv.push_back("coaps://127.0.0.1:" + std::to_string(coaps_port_) +
                 "/.well-known/tte?urn=" + urn);
  return run(argv, "", 30s);
}

void MotherShipProcess::import(const std::string& records) const {
  std::string file =
      data_dir_ + "/../records-" + std::to_string(std::hash<std::string>{}(records)) + ".jsonl";
  write_text(file, records);
  RunResult result = cli({"import", file});
  if (result.exit_code != 0) throw std::runtime_error("import failed: " + result.err);
}

std::string devid_of(std::uint32_t n) {
  char text[16];
  std::snprintf(text, sizeof text, "%08x", n);
  return text;
}

std::string otp_of(std::uint32_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%016llx", 0x1000ull + n);
  return text;
}

std::string device_record(std::uint32_t n) {
  return "{\"devid\":\"" + devid_of(n) + "\",\"urn\":\"urn:dev:ops:32473-Test-" +
         std::to_string(n) + "\",\"fingerprint\":\"" + kDeviceFingerprint + "\",\"otp\":\"" +
         otp_of(n) + "\"}\n";
}

std::string claim_query(std::uint32_t n, const std::string& otp) {
  return "otp=" + (otp.empty() ? otp_of(n) : otp) + "&devid=" + devid_of(n) +
         "&cip=127.0.0.1&cport=5684&cfingerprint=" + kControllerFingerprint;
}

}  // namespace tte::test
