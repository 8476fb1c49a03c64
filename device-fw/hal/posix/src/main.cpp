// tte-device: simulated TTE Devices on Linux, running the firmware's own core
// (device-fw/core) on the POSIX HAL. See docs/device.md.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "posix_board.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/hex.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::device::posix {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

std::atomic<int> g_signal{0};
std::atomic<int> g_presses{0}, g_long_presses{0};

void on_signal(int number) {
  if (number == SIGUSR1) {
    ++g_presses;
  } else if (number == SIGUSR2) {
    ++g_long_presses;
  } else {
    g_signal = number;
  }
}

const auto g_started = std::chrono::steady_clock::now();
Millis now_ms() {
  return static_cast<Millis>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - g_started)
                                 .count());
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StartupError("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

struct Bundle {
  std::string path, devid, urn;
  Identity identity{};
  DeviceKeys keys;
  // A PSK Device's factory PSK (docs/protocol.md §13.3); identity.factory_psk points here.
  std::optional<std::array<std::uint8_t, SessionKeys::kPskSize>> factory_psk;
};

// Message 1 (draft §2; docs/protocol.md §7), in the simulator: who the Device is, from the
// factory's bundle.
Bundle read_bundle(const std::string& path, const std::optional<std::string>& mothership_override,
                   std::optional<led::FrameVersion> led_override) {
  Json json = Json::parse(read_text(path), nullptr, false);
  if (json.is_discarded() || json.value("format", "") != "tte-bundle/1")
    throw StartupError(path + " is not a TTE bundle (tte-bundle/1)");
  Bundle bundle;
  bundle.path = path;
  bundle.devid = json.value("devid", "");
  bundle.urn = json.value("urn", "");
  const Json& device = json["device"];
  bundle.keys.private_key_pem = device.value("private_key_pem", "");
  bundle.keys.certificate_pem = device.value("certificate_pem", "");
  if (device.contains("psk")) {
    // A PSK Device: no key pair, its factory PSK instead.
    std::array<std::uint8_t, SessionKeys::kPskSize> psk{};
    if (!device["psk"].is_string() ||
        !parse_hex_bytes(device["psk"].get<std::string>(), psk, "psk").ok())
      throw StartupError(path + ": device.psk must be 32 hex digits");
    bundle.factory_psk = psk;
  } else if (bundle.keys.private_key_pem.empty() || bundle.keys.certificate_pem.empty()) {
    throw StartupError(path +
                       " holds no private key (the device made its own): it cannot be simulated");
  }
  auto url = EnrollmentUrl::parse(json.value("enrollment_url", ""), IdPolicy::allow_example);
  if (!url.ok()) throw StartupError(path + ": enrollment_url: " + url.error().message);
  // The LED frame version: the bundle's led_frame_version (1 when absent), or --led-frame.
  const Json version = json.value("led_frame_version", Json(1));
  if (!version.is_number_integer() || (version != 1 && version != 2))
    throw StartupError(path + ": led_frame_version must be 1 or 2");
  const led::FrameVersion led_version =
      led_override.value_or(version == 2 ? led::FrameVersion::v2 : led::FrameVersion::v1);
  bundle.identity.led_pattern = led::pattern_of(url.value(), led_version);
  const Json& ms = json["mothership"];
  const std::string coaps = mothership_override.value_or(ms.value("coaps", ""));
  auto address = ControllerAddress::parse(coaps);
  if (!address.ok())
    throw StartupError(path + ": MotherShip address " + coaps + ": " + address.error().message);
  bundle.identity.mothership = address.value();
  auto pin = Fingerprint::parse(ms.value("fingerprint", ""));
  if (!pin.ok()) throw StartupError(path + ": MotherShip fingerprint: " + pin.error().message);
  bundle.identity.mothership_fingerprint = pin.value();
  return bundle;
}

// One simulated Device: the firmware core on this board.
class Simulated final : public Observer {
 public:
  Simulated(Bundle bundle, const std::string& nv_path, Profile profile, const Timing& timing,
            CoapNetwork& network, bool many)
      : bundle_(std::move(bundle)),
        storage_(nv_path),
        thermometer_(now_ms),
        transport_(network, bundle_.keys),
        many_(many) {
    bundle_.identity.urn = bundle_.urn.c_str();
    bundle_.identity.factory_psk = bundle_.factory_psk ? bundle_.factory_psk->data() : nullptr;
    device_ =
        std::make_unique<Device>(bundle_.identity, profile, timing,
                                 Hal{transport_, storage_, led_, entropy_, &thermometer_}, *this);
    transport_.attach(*device_);
  }

  Device& device() { return *device_; }
  const std::string& urn() const { return bundle_.urn; }
  State state() const { return device_->state(); }

  void press(Millis now, Millis hold) {
    device_->button(now, true);
    release_at_ = now + hold;
  }
  void set_exchange_timeout(Millis timeout) { transport_.set_exchange_timeout(timeout); }

  void poll(Millis now) {
    transport_.check_deadline(now);
    if (release_at_ && now >= release_at_) {
      release_at_ = 0;
      device_->button(now, false);
    }
    device_->poll(now);
  }
  Millis next_wakeup(Millis now) const {
    Millis next = device_->next_wakeup(now);
    if (release_at_ && release_at_ < next) next = release_at_;
    return next;
  }

  void on_event(const Event& event) override {
    Json line{{"t", now_ms()}, {"urn", bundle_.urn}};
    if (many_) line["devid"] = bundle_.devid;
    switch (event.kind) {
      case Event::Kind::state:
        line["event"] = "state";
        line["state"] = state_name(event.state);
        if (event.detail && *event.detail) line["detail"] = event.detail;
        if (event.wait_ms) line["wait_ms"] = event.wait_ms;
        break;
      case Event::Kind::stored:
        line["event"] = "stored";
        if (event.controller) {
          line["controller"] = std::string(event.controller->address.to_string().view());
          line["fingerprint"] = std::string(event.controller->fingerprint.to_string().view());
        }
        break;
      case Event::Kind::store_failed:
        line["event"] = "store_failed";
        line["detail"] = event.detail;
        break;
      case Event::Kind::factory_reset:
        line["event"] = "factory_reset";
        line["detail"] = event.detail;
        break;
      case Event::Kind::light:
        line["event"] = "light";
        line["on"] = event.on;
        break;
      case Event::Kind::switch_:
        line["event"] = "switch";
        line["on"] = event.on;
        break;
    }
    std::cout << line.dump() << std::endl;
  }

 private:
  Bundle bundle_;
  FileStorage storage_;
  MemoryLed led_;
  RandomEntropy entropy_;
  SimulatedThermometer thermometer_;
  CoapTransport transport_;
  std::unique_ptr<Device> device_;
  bool many_;
  Millis release_at_ = 0;
};

int run(int argc, char** argv) {
  CommandLine cli(
      "tte-device --bundle FILE|DIR --nv FILE|DIR [--profile light|switch|sensor] [--count N]",
      "Runs simulated TTE Devices: the firmware's own enrollment core (device-fw/core) on Linux, "
      "from factory bundles. A Device with no stored Controller asks its MotherShip where its "
      "Controller is (CoAP/DTLS, the MotherShip's key pinned), stores the answer in its NV file, "
      "joins the Controller (its key pinned), registers its resources and serves them. Events are "
      "printed as JSON lines on standard output. Commands on standard input, one per line: "
      "`press [URN]` (a short press: the switch flips), `long-press [URN]` (5 s: factory reset), "
      "`quit`; without a URN they act on every Device. SIGUSR1 is a press, SIGUSR2 a long press, "
      "of every Device; SIGTERM or SIGINT stop it.");
  cli.option("bundle", "FILE|DIR",
             "a bundle (<devid>.json from tte-mothership manufacture), or a directory of them")
      .option("nv", "FILE|DIR",
              "the Device's NV file (created if absent); with a bundle directory, a directory "
              "(<devid>.nv in it)")
      .option("profile", "NAME", "light, switch or sensor", "light")
      .option("count", "N", "with a bundle directory: run its first N bundles (default: all)")
      .option("mothership", "IP:PORT", "ask the MotherShip here instead of the bundle's address")
      .option("retry-min", "SECONDS",
              "first retry wait (the protocol's 30 s; smaller for test beds)", "30")
      .option("retry-max", "SECONDS", "longest retry wait", "3600")
      .option("lifetime", "SECONDS", "registration lifetime asked of the Controller", "3600")
      .option("exchange-timeout", "SECONDS",
              "give up on a DTLS handshake or a request (MotherShip or Controller) not answered in "
              "this time: `no answer`, then the back-off",
              "30")
      .option("led-frame", "1|2",
              "blink this LED frame version while unenrolled (docs/protocol.md 13.1; default: the "
              "bundle's led_frame_version, else 1)")
      .option("status", "FILE",
              "keep FILE (JSON: each Device's state, updated_at in seconds since the epoch) "
              "current: rewritten on every change and every 5 s, for health checks")
      .epilog(
          "Exit status: 0 stopped by a signal or `quit`; 1 a failure the message explains; 2 "
          "wrong usage.");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!cli.parse(args)) return 0;

  Profile profile;
  if (!parse_profile(cli.require("profile").c_str(), &profile))
    throw UsageError("--profile: light, switch or sensor");
  Timing timing;
  // Decimal seconds ("0.5" on test beds): digits with at most one point, no
  // sign, exponent, hex, "nan" or "inf" (strtod took all of those, and NaN
  // passed the range check).
  auto seconds = [&](const char* name) -> Millis {
    const std::string text = cli.require(name);
    double value = 0;
    const char* end = text.data() + text.size();
    auto [rest, error] = std::from_chars(text.data(), end, value, std::chars_format::fixed);
    if (text.empty() || error != std::errc() || rest != end || !(value > 0 && value <= 1e7)) {
      throw UsageError(std::string("--") + name +
                       " must be a number of seconds above 0, at most 10000000, not '" + text +
                       "'");
    }
    return static_cast<Millis>(value * 1000);
  };
  timing.retry_min = seconds("retry-min");
  timing.retry_max = std::max(seconds("retry-max"), timing.retry_min);
  timing.lifetime = static_cast<std::uint32_t>(seconds("lifetime") / 1000);
  const Millis exchange_timeout = seconds("exchange-timeout");
  if (timing.lifetime < 60) throw UsageError("--lifetime: at least 60 seconds (RFC 9176)");

  const std::string bundle_arg = cli.require("bundle"), nv_arg = cli.require("nv");
  std::vector<std::pair<std::string, std::string>> devices;  // bundle, nv
  if (fs::is_directory(bundle_arg)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(bundle_arg)) {
      if (entry.path().extension() == ".json") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    if (auto count = cli.get_int("count", 1, 0xffffffffLL)) {  // Dev IDs are 32 bits
      const auto n = static_cast<std::size_t>(*count);
      if (n > files.size())
        throw UsageError("--count: " + bundle_arg + " holds only " + std::to_string(files.size()) +
                         " bundles");
      files.resize(n);
    }
    if (files.empty()) throw UsageError("--bundle: no bundles in " + bundle_arg);
    fs::create_directories(nv_arg);
    for (const auto& file : files)
      devices.emplace_back(file, (fs::path(nv_arg) / fs::path(file).stem()).string() + ".nv");
  } else {
    if (cli.get("count")) throw UsageError("--count needs a directory of bundles for --bundle");
    devices.emplace_back(bundle_arg, nv_arg);
  }

  std::optional<led::FrameVersion> led_version;
  if (auto version = cli.get_int("led-frame", 1, 2))
    led_version = *version == 2 ? led::FrameVersion::v2 : led::FrameVersion::v1;

  CoapNetwork network(now_ms, profile);
  std::vector<std::unique_ptr<Simulated>> simulated;
  for (const auto& [bundle, nv] : devices) {
    simulated.push_back(
        std::make_unique<Simulated>(read_bundle(bundle, cli.get("mothership"), led_version), nv,
                                    profile, timing, network, devices.size() > 1));
    simulated.back()->set_exchange_timeout(exchange_timeout);
  }

  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int number : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2})
    sigaction(number, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  for (auto& device : simulated)
    device->device().boot(now_ms());

  // --status: a heartbeat and each Device's state, written whole (rename).
  const std::optional<std::string> status_file = cli.get("status");
  std::vector<State> reported(simulated.size());
  std::optional<Millis> status_written;
  auto write_status = [&](Millis now) {
    Json devices_json = Json::array();
    for (std::size_t i = 0; i < simulated.size(); ++i) {
      reported[i] = simulated[i]->state();
      devices_json.push_back({{"urn", simulated[i]->urn()}, {"state", state_name(reported[i])}});
    }
    Json status{{"updated_at", std::time(nullptr)},
                {"pid", static_cast<int>(::getpid())},
                {"devices", devices_json}};
    try {
      write_file_atomic(*status_file, status.dump() + "\n", 0644);
    } catch (const std::exception& e) {
      // A full disk must not stop the Devices; the stale file tells the health check.
      std::fprintf(stderr, "tte-device: --status: %s\n", e.what());
    }
    status_written = now;
  };

  std::string input;
  bool stdin_open = true;
  while (g_signal == 0) {
    const Millis now = now_ms();
    Millis next = now + 200;
    for (auto& device : simulated) {
      device->poll(now);
      next = std::min(next, device->next_wakeup(now));
    }
    for (; g_presses > 0; --g_presses)
      for (auto& device : simulated)
        device->press(now, 100);
    for (; g_long_presses > 0; --g_long_presses)
      for (auto& device : simulated)
        device->press(now, timing.long_press + 500);
    // Commands on stdin.
    if (stdin_open) {
      pollfd in{0, POLLIN, 0};
      while (::poll(&in, 1, 0) > 0 && (in.revents & (POLLIN | POLLHUP))) {
        char buffer[512];
        const ssize_t n = ::read(0, buffer, sizeof buffer);
        if (n <= 0) {
          stdin_open = false;
          break;
        }
        input.append(buffer, static_cast<std::size_t>(n));
      }
      for (std::size_t end; (end = input.find('\n')) != std::string::npos;) {
        std::istringstream line(input.substr(0, end));
        input.erase(0, end + 1);
        std::string command, urn;
        line >> command >> urn;
        if (command == "quit") g_signal = SIGTERM;
        if (command != "press" && command != "long-press") continue;
        for (auto& device : simulated) {
          if (urn.empty() || urn == device->urn())
            device->press(now_ms(), command == "press" ? 100 : timing.long_press + 500);
        }
      }
    }
    if (status_file) {
      bool changed = false;
      for (std::size_t i = 0; i < simulated.size(); ++i)
        changed = changed || simulated[i]->state() != reported[i];
      if (changed || !status_written || now - *status_written >= 5000) write_status(now);
      next = std::min(next, *status_written + 5000);
    }
    const Millis wait = next > now ? next - now : 0;
    network.process(static_cast<unsigned>(std::min<Millis>(std::max<Millis>(wait, 1), 200)));
  }
  Json bye{{"t", now_ms()}, {"event", "stopped"}, {"devices", simulated.size()}};
  std::cout << bye.dump() << std::endl;
  simulated.clear();
  return 0;
}

}  // namespace
}  // namespace tte::device::posix

int main(int argc, char** argv) {
  try {
    return tte::device::posix::run(argc, argv);
  } catch (const tte::UsageError& e) {
    const std::string message = e.what();
    std::fprintf(stderr, "tte-device: %s%s\n", message.c_str(),
                 message.find("--help") == std::string::npos ? " (see tte-device --help)" : "");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-device: %s\n", e.what());
    return 1;
  }
}
