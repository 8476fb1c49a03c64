#include "support/device.hpp"

namespace tte::test {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string seen_from_qemu(std::uint16_t port) {
  return "10.0.2.2:" + std::to_string(port);
}

std::string seen_from_qemu(const std::string& host_address) {
  return "10.0.2.2" + host_address.substr(host_address.rfind(':'));
}

std::string mint(const MotherShipProcess& ms, const TempDir& dir, int count,
                 const std::string& name, const std::string& mothership_coaps) {
  const std::string batch = dir.file(name);
  RunResult minted =
      ms.cli({"manufacture", "--count", std::to_string(count), "--out", batch, "--no-labels",
              "--urn", "ops:32473-" + name, "--mothership-coaps",
              mothership_coaps.empty() ? "127.0.0.1:" + std::to_string(ms.coaps_port())
                                       : mothership_coaps});
  if (minted.exit_code != 0) throw std::runtime_error("manufacture: " + minted.err);
  return batch;
}

DeviceProcess::DeviceProcess(const TempDir& dir, std::vector<std::string> args,
                             const std::string& name)
    : DeviceProcess(dir, TTE_DEVICE_BIN, std::move(args), name) {}

DeviceProcess::DeviceProcess(const TempDir& dir, const std::string& program,
                             std::vector<std::string> args, const std::string& name)
    : program_(program.substr(program.rfind('/') + 1)), log_(dir.file(name + ".log")) {
  args.insert(args.begin(), program);
  process_ = std::make_unique<Process>(args, log_, true);
}

Json DeviceProcess::wait_for(const std::string& event, const std::string& state,
                             std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::string text;
    try {
      if (left.count() <= 0) throw std::runtime_error("timeout");
      text = process_->read_line(left);
    } catch (const std::exception&) {
      std::string last;
      for (std::size_t i = seen.size() > 5 ? seen.size() - 5 : 0; i < seen.size(); ++i)
        last += "\n  " + seen[i].dump();
      throw std::runtime_error(program_ + ": no " + event + " " + state + "; last events:" + last);
    }
    Json line = Json::parse(text, nullptr, false);
    seen.push_back(line);
    if (line.is_discarded() || line.value("event", "") != event) continue;
    if (!state.empty() && line.value("state", "") != state) continue;
    return line;
  }
}

std::vector<std::string> device_args(const MotherShipProcess& ms, const std::string& bundle,
                                     const std::string& nv, const std::string& profile) {
  return {"--bundle",    bundle,  "--nv",         nv,
          "--profile",   profile, "--mothership", "127.0.0.1:" + std::to_string(ms.coaps_port()),
          "--retry-min", "1",     "--retry-max",  "2",
          "--lifetime",  "60"};
}

RunResult enroll(const TempDir& dir, const MotherShipProcess& ms,
                 const ControllerProcess& controller, const std::string& batch, int n,
                 const std::string& fingerprint, const std::string& address,
                 const std::vector<std::string>& extra) {
  const Json bundle = read_bundle(batch, n);
  std::vector<std::string> argv{TTE_INTRODUCER_BIN,
                                "enroll",
                                bundle["enrollment_url"],
                                "--controller",
                                address.empty() ? controller.coaps() : address,
                                "--controller-fingerprint",
                                fingerprint.empty() ? controller.fingerprint() : fingerprint,
                                "--notify",
                                controller.http_origin(),
                                "--token",
                                controller.intake_token(),
                                "--cafile",
                                ms.ca_file(),
                                "--connect-to",
                                ms.connect_to(),
                                "--data-dir",
                                dir.file("introducer"),
                                "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv);
}

}  // namespace tte::test
