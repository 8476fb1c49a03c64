// tte-notice-bench: what 10,000 Device notices (message 6) cost a Controller,
// sent one by one over one keep-alive connection (the baseline, what an older
// Introducer does) and through the batch intake (docs/protocol.md §10.2), in
// the same run, each against a fresh tte-controller:
//
//   1. N single notices, POST /.well-known/tte/devices, one after the other;
//   2. one batch of N notices, POST /.well-known/tte/devices/batch;
//   3. batches of 1,000 (what tte-introducer sends for a box).
//
// After each, how long the Controller's status poller (messages 7/8, one
// thread, one poll at a time) takes to have asked about every Device once; the
// MotherShip is an address that refuses connections, so each poll fails fast
// and the figure is the poller's own pace.
//
// Run it through `./tte bench notices [--notices N]`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "tte/platform/command_line.hpp"

#ifndef TTE_BUILD_TYPE
#define TTE_BUILD_TYPE "unknown"
#endif

namespace tte::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using test::Process;
using test::run;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One HTTP/1.1 connection kept alive (plain POSIX sockets): what an
// Introducer's notices would ride on at best.
class KeepAlive {
 public:
  explicit KeepAlive(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot connect to the Controller");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~KeepAlive() { ::close(fd_); }

  // The status and body of one POST.
  std::pair<int, std::string> post(const std::string& path, const std::string& token,
                                   const std::string& body) {
    std::string request =
        "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    for (std::size_t sent = 0; sent < request.size();) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("the Controller closed the connection");
      sent += static_cast<std::size_t>(n);
    }
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      fill();
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    const int status = std::stoi(head.substr(9, 3));
    std::size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (auto at = head.find(name); at != std::string::npos)
        length = std::stoul(head.substr(at + 16));
    }
    while (buffer_.size() < length)
      fill();
    std::string answer = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return {status, std::move(answer)};
  }

 private:
  void fill() {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("the Controller closed the connection");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  int fd_ = -1;
  std::string buffer_;
};

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

Json notice(int i) {
  char urn[64], fingerprint[65], devid[9], otp[17];
  std::snprintf(urn, sizeof urn, "urn:dev:ops:32473-Bench-%05d", i);
  std::snprintf(fingerprint, sizeof fingerprint, "%032x%032x", i + 1, i * 7 + 3);
  std::snprintf(devid, sizeof devid, "%08x", 0x1000 + i);
  std::snprintf(otp, sizeof otp, "%016llx", 0x1234567890abcdefull + static_cast<unsigned>(i));
  return Json{{"urn", urn}, {"fingerprint", fingerprint},     {"devid", devid},
              {"otp", otp}, {"mothership", "tte-00000A.net"}, {"description", "bench"}};
}

// A fresh Controller whose MotherShip refuses connections (port 1).
struct Controller {
  Controller(const std::string& dir, const std::string& log_level) {
    auto init = run({TTE_CONTROLLER_BIN, "init", "--data-dir", dir, "--coaps", "127.0.0.1:0",
                     "--http", "127.0.0.1:0", "--policy", "strict"});
    if (init.exit_code != 0) throw std::runtime_error("init: " + init.err);
    process = std::make_unique<Process>(
        std::vector<std::string>{TTE_CONTROLLER_BIN, "serve", "--data-dir", dir, "--log-level",
                                 log_level, "--mothership-connect-to",
                                 "tte-00000A.net:443:127.0.0.1:1", "--mothership-timeout", "5"},
        dir + ".log");
    auto ready = Json::parse(process->read_line(30s));
    const std::string http = ready["http"];
    port = static_cast<std::uint16_t>(std::stoi(http.substr(http.rfind(':') + 1)));
    token = trim(test::read_text(dir + "/intake.token"));
    api_token = trim(test::read_text(dir + "/api.token"));
  }
  ~Controller() {
    process->signal(SIGTERM);
    process->wait(60s);
  }
  // Seconds from now until every one of n Devices has had a status poll (or -1 after 300 s).
  double until_all_polled(std::size_t n) {
    const auto start = Clock::now();
    while (seconds_since(start) < 300) {
      auto [status, body] = get("/api/v1/devices");
      if (status == 200) {
        auto devices = Json::parse(body)["devices"];
        std::size_t polled = 0;
        for (const auto& d : devices)
          polled += d.contains("at_mothership") && !d["at_mothership"]["checked_at"].is_null();
        if (devices.size() >= n && polled >= n) return seconds_since(start);
      }
      std::this_thread::sleep_for(200ms);
    }
    return -1;
  }
  std::pair<int, std::string> get(const std::string& path) {
    auto got =
        run({"curl", "-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer " + api_token,
             "http://127.0.0.1:" + std::to_string(port) + path});
    std::size_t split = got.out.rfind('\n');
    if (split == std::string::npos) return {0, ""};
    return {std::stoi(got.out.substr(split + 1)), got.out.substr(0, split)};
  }
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
  std::string token, api_token;
};

int main_bench(int argc, char** argv) {
  CommandLine cli("tte-notice-bench [--notices N]",
                  "Sends N Device notices to fresh tte-controllers one by one over a keep-alive "
                  "connection, then as one batch, then in batches of 1,000, and prints each "
                  "beside the first.");
  cli.option("notices", "N", "notices per run (1-10000)", "10000")
      .option("work", "DIR", "scratch directory", "/tmp/tte-notice-bench")
      .flag("no-polls", "do not wait for the status poller")
      .option("controller-log-level", "LEVEL", "the Controllers' --log-level", "warning");
  if (!cli.parse(std::vector<std::string>(argv + 1, argv + argc))) return 0;
  const int n = std::stoi(cli.require("notices"));
  if (n < 1 || n > 10000) throw std::runtime_error("--notices is 1-10000");
  const std::string work = cli.require("work");
  const std::string level = cli.require("controller-log-level");
  const bool polls = !cli.has("no-polls");
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  std::printf("tte-notice-bench: %d notices, a %s build, %d cores\n", n, TTE_BUILD_TYPE,
              static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<Json> notices;
  for (int i = 0; i < n; ++i)
    notices.push_back(notice(i));

  double single_seconds = 0;
  {
    Controller controller(work + "/single", level);
    KeepAlive connection(controller.port);
    const auto start = Clock::now();
    int created = 0;
    for (const auto& each : notices) {
      auto [status, body] =
          connection.post("/.well-known/tte/devices", controller.token, each.dump());
      created += status == 201;
    }
    single_seconds = seconds_since(start);
    std::printf(
        "  single notices, one keep-alive connection: %.3f s (%.0f notices/s), %d created\n",
        single_seconds, n / single_seconds, created);
    if (polls) {
      std::printf("    every Device polled at its MotherShip once: %.1f s later\n",
                  controller.until_all_polled(static_cast<std::size_t>(n)));
    }
  }
  auto run_batches = [&](const char* name, std::size_t per_request) {
    Controller controller(work + "/" + name, level);
    KeepAlive connection(controller.port);
    const auto start = Clock::now();
    std::size_t created = 0, bytes = 0;
    for (std::size_t first = 0; first < notices.size(); first += per_request) {
      Json batch{{"notices", Json::array()}};
      for (std::size_t i = first; i < std::min(notices.size(), first + per_request); ++i)
        batch["notices"].push_back(notices[i]);
      const std::string body = batch.dump();
      bytes = std::max(bytes, body.size());
      auto [status, answer] =
          connection.post("/.well-known/tte/devices/batch", controller.token, body);
      if (status != 200) throw std::runtime_error("the batch got HTTP " + std::to_string(status));
      created += Json::parse(answer)["created"].get<std::size_t>();
    }
    const double seconds = seconds_since(start);
    std::printf(
        "  batches of %zu (largest body %zu bytes): %.3f s (%.0f notices/s), %zu created; %.1fx "
        "faster than single notices\n",
        per_request, bytes, seconds, n / seconds, created, single_seconds / seconds);
    if (polls) {
      std::printf("    every Device polled at its MotherShip once: %.1f s later\n",
                  controller.until_all_polled(static_cast<std::size_t>(n)));
    }
  };
  run_batches("batch", notices.size());
  run_batches("batches", 1000);
  return 0;
}

}  // namespace
}  // namespace tte::bench

int main(int argc, char** argv) {
  try {
    return tte::bench::main_bench(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-notice-bench: %s\n", e.what());
    return 1;
  }
}
