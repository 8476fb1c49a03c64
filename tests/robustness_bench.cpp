// `./tte bench robustness`: the attacks of issue 14 at full size against the
// real MotherShip and Controller, each figure beside the same figure measured
// quiet in the same run (these machines are shared and noisy): the latency of
// a legitimate status query (HTTPS), Device query (CoAPS) and Controller API
// request, the servers' peak resident memory and descriptors. Legitimate
// clients are curl and libcoap's coap-client-openssl, from addresses the
// attack does not use.
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "support/attacks.hpp"
#include "support/controller.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"

namespace tte::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Figures {
  double p50_ms = 0, p99_ms = 0;
  int failed = 0;
};

// `samples` runs of `request` (true: answered as expected), timed.
Figures measure(const std::function<bool()>& request, int samples) {
  std::vector<double> ms;
  Figures figures;
  for (int i = 0; i < samples; ++i) {
    auto started = Clock::now();
    bool ok = request();
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    if (!ok) ++figures.failed;
    ms.push_back(elapsed);
  }
  std::sort(ms.begin(), ms.end());
  figures.p50_ms = ms[ms.size() / 2];
  figures.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return figures;
}

// The n-th of many loopback source addresses (127.1.0.1, 127.1.0.2, ...),
// so that a flood is spread like one from many hosts.
std::string source_address(int n) {
  return "127.1." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
}

// Samples a process's memory and descriptors while an attack runs.
class Watch {
 public:
  explicit Watch(pid_t pid) : pid_(pid), thread_([this] { run(); }) {}
  ~Watch() { stop(); }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  double peak_rss() const { return peak_rss_; }
  int peak_fds() const { return peak_fds_; }

 private:
  void run() {
    while (running_) {
      peak_rss_ = std::max(peak_rss_.load(), rss_mib(pid_));
      peak_fds_ = std::max(peak_fds_.load(), descriptors_of(pid_));
      std::this_thread::sleep_for(50ms);
    }
  }
  pid_t pid_;
  std::atomic<bool> running_{true};
  std::atomic<double> peak_rss_{0};
  std::atomic<int> peak_fds_{0};
  std::thread thread_;
};

void report(const std::string& attack, const std::string& legit, const Figures& quiet,
            const Figures& attacked, const Watch& watch, double rss_quiet) {
  std::printf(
      "%-44s %-20s p50 %7.1f ms (quiet %6.1f)  p99 %7.1f ms (quiet %6.1f, x%.1f)  "
      "failed %d  peak RSS %.0f MiB (quiet %.0f)  peak fds %d\n",
      attack.c_str(), legit.c_str(), attacked.p50_ms, quiet.p50_ms, attacked.p99_ms, quiet.p99_ms,
      quiet.p99_ms > 0 ? attacked.p99_ms / quiet.p99_ms : 0.0, attacked.failed, watch.peak_rss(),
      rss_quiet, watch.peak_fds());
  std::fflush(stdout);
}

int run_bench(int connections, int handshakes, int samples) {
  std::printf("tte-robustness-bench: build type %s; %d connections, %d handshakes, %d samples\n",
              TTE_BUILD_TYPE, connections, handshakes, samples);
  const std::string build_type = TTE_BUILD_TYPE;
  if (build_type != "Release" && build_type != "RelWithDebInfo") {
    std::fprintf(stderr, "benchmarks run on optimised builds only (this one: %s)\n",
                 build_type.c_str());
    return 2;
  }
  TempDir dir;
  // The attackers use many addresses: lift the per-address caps out of the
  // way so that the listeners' totals are what is measured.
  MotherShipProcess ms(dir, {"--max-connections-per-client", "100000", "--max-half-open-per-client",
                             "100000", "--client-failure-limit", "0"});
  ms.import(device_record(1));
  ms.start();
  ControllerProcess controller(dir, "open");
  controller.start({"--max-connections-per-client", "100000"});
  const std::string coaps = controller.coaps();
  const std::string http = controller.http_origin();
  const auto ms_https = ms.https_port();
  const auto controller_http =
      static_cast<std::uint16_t>(std::stoi(http.substr(http.rfind(':') + 1)));

  const std::string keys = std::string(TTE_PROTO_DIR) + "/keys/device-test";
  auto status_query = [&] {
    RunResult r = ms.curl(
        {"--interface", "127.0.0.2", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code}",
         ms.url("/.well-known/tte/status?otp=" + otp_of(1) + "&devid=" + devid_of(1))});
    return r.out == "200";
  };
  auto device_query = [&] {
    RunResult r = run({"coap-client-openssl", "-v", "3", "-B", "30", "-a", "127.0.0.3", "-m", "get",
                       "-c", keys + ".crt", "-j", keys + ".key",
                       "coaps://127.0.0.1:" + std::to_string(ms.coaps_port()) +
                           "/.well-known/tte?urn=urn:dev:ops:32473-Test-1"},
                      "", 60s);
    return (r.out + r.err).find("5.03") != std::string::npos;
  };
  auto controller_request = [&] {
    RunResult r =
        run({"curl", "-s", "--interface", "127.0.0.2", "--max-time", "30", "-o", "/dev/null", "-w",
             "%{http_code}", "-H", "Authorization: Bearer " + controller.api_token(),
             http + "/api/v1/controller"});
    if (r.out != "200") std::fprintf(stderr, "API request: %s %s\n", r.out.c_str(), r.err.c_str());
    return r.out == "200";
  };

  const Figures quiet_status = measure(status_query, samples);
  const Figures quiet_device = measure(device_query, samples);
  const Figures quiet_controller = measure(controller_request, samples);
  const double ms_rss = rss_mib(ms.pid()), controller_rss = rss_mib(controller.pid());

  // Idle TCP connections, 50 from each address, while a legitimate client asks.
  auto idle_flood = [&](pid_t server, std::uint16_t port, const std::string& name,
                        const std::string& legit, const std::function<bool()>& request,
                        const Figures& quiet, double rss_quiet) {
    Watch watch(server);
    Flood flood;
    for (int i = 0; i < connections; i += 50)
      flood.open(source_address(i / 50), port, std::min(50, connections - i));
    Figures attacked = measure(request, samples);
    report(std::to_string(flood.fds.size()) + " idle TCP connections (" + name + ")", legit, quiet,
           attacked, watch, rss_quiet);
  };
  idle_flood(ms.pid(), ms_https, "MotherShip HTTPS", "status query", status_query, quiet_status,
             ms_rss);
  idle_flood(controller.pid(), controller_http, "Controller HTTP", "API request",
             controller_request, quiet_controller, controller_rss);
  {
    Watch watch(ms.pid());
    Flood held;
    SSL_CTX* context = SSL_CTX_new(DTLS_client_method());
    auto started = Clock::now();
    for (int i = 0; i < handshakes; ++i) {
      int fd = half_open_handshake(context, source_address(i / 100), ms.coaps_port());
      if (fd >= 0) held.fds.push_back(fd);
    }
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    SSL_CTX_free(context);
    Figures attacked = measure(device_query, samples);
    report(std::to_string(held.fds.size()) + " half-open DTLS handshakes (" +
               std::to_string(static_cast<int>(held.fds.size() / std::max(seconds, 0.001))) +
               "/s, MotherShip)",
           "Device query", quiet_device, attacked, watch, ms_rss);
  }
  {
    Watch watch(ms.pid());
    std::string big = dir.file("big.jsonl");
    {
      std::ofstream out(big, std::ios::binary);
      out.seekp(64 * 1024 * 1024 - 1);
      out.put('\n');
    }
    std::atomic<bool> attacking{true};
    std::vector<std::thread> senders;
    for (int i = 0; i < 8; ++i) {
      senders.emplace_back([&, i] {
        while (attacking) {
          // No Expect: 100-continue: the body is pushed at once.
          ms.curl({"--interface", source_address(i), "--max-time", "10", "-o", "/dev/null", "-H",
                   "Expect:", "-X", "POST", "--data-binary", "@" + big,
                   ms.admin_url("/admin/v1/devices")});
        }
      });
    }
    std::this_thread::sleep_for(1s);
    Figures attacked = measure(status_query, samples);
    attacking = false;
    for (auto& sender : senders)
      sender.join();
    report("8 x 64 MiB bodies without a token (admin API)", "status query", quiet_status, attacked,
           watch, ms_rss);
  }
  std::printf("after the attacks: MotherShip RSS %.0f MiB, Controller RSS %.0f MiB\n",
              rss_mib(ms.pid()), rss_mib(controller.pid()));
  return 0;
}

}  // namespace
}  // namespace tte::test

int main(int argc, char** argv) {
  int connections = 20000, handshakes = 20000, samples = 40;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](int& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a number\n", arg.c_str());
        std::exit(2);
      }
      out = std::atoi(argv[++i]);
      if (out <= 0) {
        std::fprintf(stderr, "%s needs a positive number\n", arg.c_str());
        std::exit(2);
      }
    };
    if (arg == "--connections") {
      value(connections);
    } else if (arg == "--handshakes") {
      value(handshakes);
    } else if (arg == "--samples") {
      value(samples);
    } else if (arg == "--help" || arg == "-h") {
      std::printf(
          "tte-robustness-bench [--connections N] [--handshakes N] [--samples N]\n"
          "  The attacks of issue 14 at full size (default 20000 connections, 20000 half-open\n"
          "  DTLS handshakes, 40 samples per figure), each beside the quiet figures.\n");
      return 0;
    } else {
      std::fprintf(stderr, "unknown option %s (see --help)\n", arg.c_str());
      return 2;
    }
  }
  // The attacker holds every connection or socket of one attack at once.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    const int room = static_cast<int>(limit.rlim_cur) - 256;
    if (connections > room || handshakes > room) {
      std::printf("descriptor limit %d: attacks capped at %d\n", static_cast<int>(limit.rlim_cur),
                  room);
      connections = std::min(connections, room);
      handshakes = std::min(handshakes, room);
    }
  }
  return tte::test::run_bench(connections, handshakes, samples);
}
