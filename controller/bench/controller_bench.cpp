// tte-controller-bench: how many Devices a Controller holds and what a request
// to a Device costs it, beside a baseline measured in the same run (these
// machines are shared and noisy: ratios hold, absolute numbers drift).
//
//   1. N simulated Devices (one libcoap client session each, their own P-256
//      keys) join a real tte-controller over DTLS and register (RFC 9176):
//      the Controller's memory per registered Device, CPU per join.
//   2. Requests to those Devices over their established sessions, sent by the
//      Controller in batches (POST /api/v1/requests): the Controller's CPU per
//      request, against libcoap's coap-server-openssl answering a static
//      resource over established sessions (its CPU per request).
//
// Run it through `./tte bench controller [--devices N] [--seconds S]`.
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "tte/platform/coap_options.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/http_client.hpp"
#include "tte/platform/x509.hpp"

namespace tte::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using test::cpu_seconds;
using test::Process;
using test::run;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct Identity {
  std::string urn, cert_pem, key_pem;
};

std::vector<Identity> make_identities(int count) {
  std::vector<Identity> identities;
  identities.reserve(static_cast<std::size_t>(count));
  auto started = Clock::now();
  for (int i = 0; i < count; ++i) {
    auto key = x509::PrivateKey::generate_p256();
    x509::Subject subject;
    char urn[64];
    std::snprintf(urn, sizeof urn, "urn:dev:ops:32473-Bench-%06d", i);
    subject.common_name = urn;
    subject.not_before = 0;
    subject.not_after = 4102444800;
    identities.push_back(Identity{urn, x509::self_signed(key, subject).to_pem(), key.to_pem()});
    if ((i + 1) % 2000 == 0) std::fprintf(stderr, "  keys: %d/%d\n", i + 1, count);
  }
  std::fprintf(stderr, "  %d device keys and certificates in %.1f s\n", count,
               seconds_since(started));
  return identities;
}

coap_address_t loopback(std::uint16_t port) {
  coap_address_t address;
  coap_address_init(&address);
  address.addr.sin.sin_family = AF_INET;
  address.addr.sin.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.addr.sin.sin_addr);
  address.size = sizeof address.addr.sin;
  return address;
}

void on_get_light(coap_resource_t*, coap_session_t*, const coap_pdu_t*, const coap_string_t*,
                  coap_pdu_t* response) {
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
  coap_add_data(response, 3, reinterpret_cast<const uint8_t*>("off"));
}

// Many simulated Devices in one libcoap context: each session joins, registers,
// then serves /light on its session. Also drives the baseline server.
class Devices {
 public:
  Devices() {
    context_ = coap_new_context(nullptr);
    coap_context_set_max_idle_sessions(context_, 0);
    coap_context_set_session_timeout(context_, 86400);
    coap_register_response_handler(context_, &Devices::on_response);
    coap_register_nack_handler(context_, &Devices::on_nack);
    coap_register_event_handler(context_, &Devices::on_event);
    coap_set_app_data(context_, this);
    coap_resource_t* light = coap_resource_init(coap_make_str_const("light"), 0);
    coap_register_request_handler(light, COAP_REQUEST_GET, on_get_light);
    coap_add_resource(context_, light);
  }
  ~Devices() { coap_free_context(context_); }

  // Joins and registers every identity, `concurrency` handshakes at a time.
  int join(const std::vector<Identity>& identities, std::uint16_t port, int concurrency) {
    server_ = loopback(port);
    identities_ = &identities;
    std::size_t next = 0;
    while (registered_ + failed_ < static_cast<int>(identities.size())) {
      while (in_flight_ < concurrency && next < identities.size())
        start(next++);
      coap_io_process(context_, 20);
      if ((registered_ + failed_) % 1000 == 0 && registered_ + failed_ != last_report_) {
        last_report_ = registered_ + failed_;
        std::fprintf(stderr, "  joined: %d/%zu\n", registered_, identities.size());
      }
    }
    return registered_;
  }

  // Runs the libcoap loop (Devices answering the Controller) until `stop`.
  void serve(const std::atomic<bool>& stop) {
    while (!stop.load())
      coap_io_process(context_, 10);
  }

  struct Hammered {
    long replies = 0;
    double cpu_seconds = 0;  // the server's, during the measured phase only
  };

  // Baseline: `sessions` established sessions to a plain server (set up 50
  // handshakes at a time), then `active` GET / kept in flight, each answer
  // sending the next GET on the next session in turn, for `seconds`.
  Hammered hammer(std::uint16_t port, const Identity& identity, int sessions, int active,
                  double seconds, pid_t server) {
    server_ = loopback(port);
    open_.clear();
    baseline_replies_ = 0;
    auto warm = Clock::now();
    while (baseline_replies_ < sessions) {
      while (static_cast<long>(open_.size()) - baseline_replies_ < 50 &&
             static_cast<int>(open_.size()) < sessions) {
        coap_session_t* session = new_session(identity);
        if (!session)
          throw std::runtime_error("cannot open a baseline session (file descriptors?)");
        open_.push_back(session);
        send_get(session);
      }
      coap_io_process(context_, 10);
      if (seconds_since(warm) > 600) throw std::runtime_error("baseline handshakes stalled");
    }
    baseline_replies_ = 0;
    hammering_ = true;
    next_ = 0;
    const double cpu_before = cpu_seconds(server);
    for (int i = 0; i < active; ++i)
      send_get(open_[next_++ % open_.size()]);
    auto started = Clock::now();
    while (seconds_since(started) < seconds)
      coap_io_process(context_, 10);
    Hammered result{baseline_replies_, cpu_seconds(server) - cpu_before};
    hammering_ = false;
    auto drain = Clock::now();
    while (seconds_since(drain) < 0.5)
      coap_io_process(context_, 10);
    for (coap_session_t* s : open_)
      coap_session_release(s);
    open_.clear();
    return result;
  }

 private:
  coap_session_t* new_session(const Identity& identity) {
    coap_dtls_pki_t pki = tte::coap::pinned_peer_pki();
    pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
    pki.pki_key.key.pem_buf.public_cert =
        reinterpret_cast<const uint8_t*>(identity.cert_pem.c_str());
    pki.pki_key.key.pem_buf.public_cert_len = identity.cert_pem.size() + 1;
    pki.pki_key.key.pem_buf.private_key =
        reinterpret_cast<const uint8_t*>(identity.key_pem.c_str());
    pki.pki_key.key.pem_buf.private_key_len = identity.key_pem.size() + 1;
    return coap_new_client_session_pki(context_, nullptr, &server_, COAP_PROTO_DTLS, &pki);
  }

  void start(std::size_t index) {
    coap_session_t* session = new_session((*identities_)[index]);
    if (!session) {
      ++failed_;
      return;
    }
    coap_session_set_app_data(session, reinterpret_cast<void*>(index + 1));
    ++in_flight_;
    // Register right away: libcoap sends it once the handshake is done.
    const std::string& urn = (*identities_)[index].urn;
    coap_pdu_t* pdu =
        coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, coap_new_message_id(session),
                      coap_session_max_pdu_size(session));
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, reinterpret_cast<const uint8_t*>("rd"));
    std::uint8_t buffer[4];
    coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buffer, sizeof buffer, 40), buffer);
    std::string ep = "ep=" + urn, lt = "lt=86400";
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, ep.size(),
                    reinterpret_cast<const uint8_t*>(ep.data()));
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, lt.size(),
                    reinterpret_cast<const uint8_t*>(lt.data()));
    static const char kLinks[] = "</light>;rt=tte.light;if=core.a";
    coap_add_data(pdu, sizeof kLinks - 1, reinterpret_cast<const uint8_t*>(kLinks));
    coap_send(session, pdu);
  }

  void send_get(coap_session_t* session) {
    coap_pdu_t* pdu =
        coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, coap_new_message_id(session),
                      coap_session_max_pdu_size(session));
    coap_send(session, pdu);
  }

  static coap_response_t on_response(coap_session_t* session, const coap_pdu_t*,
                                     const coap_pdu_t* received, const coap_mid_t) {
    auto* self = static_cast<Devices*>(coap_get_app_data(coap_session_get_context(session)));
    if (!coap_session_get_app_data(session)) {  // a baseline session
      ++self->baseline_replies_;
      if (self->hammering_) self->send_get(self->open_[self->next_++ % self->open_.size()]);
      return COAP_RESPONSE_OK;
    }
    if (coap_pdu_get_code(received) == COAP_RESPONSE_CODE_CREATED) {
      ++self->registered_;
    } else if (++self->failed_ <= 3) {
      const unsigned code = coap_pdu_get_code(received);
      std::fprintf(stderr, "  a registration was refused: %u.%02u\n", code >> 5, code & 31);
    }
    --self->in_flight_;
    return COAP_RESPONSE_OK;
  }

  static void on_nack(coap_session_t* session, const coap_pdu_t*, const coap_nack_reason_t reason,
                      const coap_mid_t) {
    auto* self = static_cast<Devices*>(coap_get_app_data(coap_session_get_context(session)));
    if (!coap_session_get_app_data(session)) return;
    if (++self->failed_ <= 3)
      std::fprintf(stderr, "  a registration failed (libcoap NACK reason %d)\n",
                   static_cast<int>(reason));
    --self->in_flight_;
  }

  static int on_event(coap_session_t*, const coap_event_t) { return 0; }

  coap_context_t* context_;
  coap_address_t server_;
  const std::vector<Identity>* identities_ = nullptr;
  int in_flight_ = 0, registered_ = 0, failed_ = 0, last_report_ = -1;
  bool hammering_ = false;
  long baseline_replies_ = 0;
  std::vector<coap_session_t*> open_;  // the baseline's sessions
  std::size_t next_ = 0;
};

bool udp_port_free(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

// coap-server-openssl -p P listens for CoAP on P and for CoAPS on P + 1: both must be free.
std::uint16_t free_udp_port_pair() {
  for (std::uint16_t port = 20000; port < 30000; port += 2) {
    if (udp_port_free(port) && udp_port_free(static_cast<std::uint16_t>(port + 1))) return port;
  }
  throw std::runtime_error("no two free UDP ports for the baseline server");
}

int main_bench(int argc, char** argv) {
  CommandLine cli(
      "tte-controller-bench [--devices N] [--seconds S] [--batch B]",
      "Joins N simulated Devices to a real tte-controller, then sends requests to them over their "
      "sessions, beside libcoap's coap-server-openssl as the baseline.");
  cli.option("devices", "N", "simulated Devices to join and register", "10000")
      .option("seconds", "S", "length of each request phase", "10")
      .option("batch", "B", "Device requests per API call", "500")
      .option("concurrency", "C", "handshakes in flight while joining", "100")
      .option("work", "DIR", "scratch directory", "/tmp/tte-controller-bench")
      .option("controller-log-level", "LEVEL", "the Controller's --log-level (its log is in DIR)",
              "warning");
  if (!cli.parse(std::vector<std::string>(argv + 1, argv + argc))) return 0;
  const int devices = std::stoi(cli.require("devices"));
  const double seconds = std::stod(cli.require("seconds"));
  const int batch = std::stoi(cli.require("batch"));
  const std::string work = cli.require("work");
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  if (static_cast<long>(limit.rlim_cur) < devices + 1000) {
    std::fprintf(stderr,
                 "tte-controller-bench: %d devices need %d file descriptors; the limit is %ld\n",
                 devices, devices + 1000, static_cast<long>(limit.rlim_cur));
    return 1;
  }
  coap_startup();
  coap_set_log_level(LOG_EMERG);
  coap_dtls_set_log_level(LOG_EMERG);

  std::printf("tte-controller-bench: %d simulated Devices, %d cores\n", devices,
              static_cast<int>(std::thread::hardware_concurrency()));
  auto identities = make_identities(devices);

  const std::string dir = work + "/controller";
  auto init = run({TTE_CONTROLLER_BIN, "init", "--data-dir", dir, "--coaps", "127.0.0.1:0",
                   "--http", "127.0.0.1:0", "--policy", "open"});
  if (init.exit_code != 0) throw std::runtime_error("init: " + init.err);
  Process controller({TTE_CONTROLLER_BIN, "serve", "--data-dir", dir, "--log-level",
                      cli.require("controller-log-level"), "--request-timeout", "30"},
                     work + "/controller.log");
  auto ready = Json::parse(controller.read_line(30s));
  std::string coaps = ready["coaps"], http = ready["http"];
  const std::uint16_t coaps_port =
      static_cast<std::uint16_t>(std::stoi(coaps.substr(coaps.rfind(':') + 1)));
  const std::string token = test::read_text(dir + "/api.token").substr(0, 64);
  std::this_thread::sleep_for(500ms);  // let start-up allocations settle before the first reading
  const long rss_idle = rss_kib(controller.pid());
  const double cpu_idle = cpu_seconds(controller.pid());

  // 1. Join and register.
  auto simulated_devices = std::make_unique<Devices>();
  Devices& simulated = *simulated_devices;
  auto started = Clock::now();
  int registered = simulated.join(identities, coaps_port, std::stoi(cli.require("concurrency")));
  const double join_wall = seconds_since(started);
  std::this_thread::sleep_for(1500ms);  // the registry's soft-state flush
  const long rss_full = rss_kib(controller.pid());
  const double join_cpu = cpu_seconds(controller.pid()) - cpu_idle;
  std::printf(
      "Joined and registered: %d of %d Devices in %.1f s (%.0f/s); Controller CPU %.2f ms per "
      "join\n",
      registered, devices, join_wall, registered / join_wall, join_cpu / registered * 1000);
  std::printf(
      "Controller memory: %.1f MiB idle, %.1f MiB with %d registered -> %.1f KiB per registered "
      "Device\n",
      rss_idle / 1024.0, rss_full / 1024.0, registered,
      static_cast<double>(rss_full - rss_idle) / registered);

  // 1b. Resource Directory lookups over every registration, by libcoap's own
  // client: the whole list (block-wise, 1024-byte blocks) beside one page of
  // 10 in the same run (the baseline: a handshake and one block).
  {
    const std::string keys = std::string(TTE_PROTO_DIR) + "/keys/device-test";
    auto lookup = [&](const std::string& query) {
      auto began = Clock::now();
      auto result = run(
          {"coap-client-openssl", "-B", "60", "-m", "get", "-c", keys + ".crt", "-j", keys + ".key",
           "coaps://127.0.0.1:" + std::to_string(coaps_port) + "/rd-lookup/" + query},
          "", 120s);
      if (result.exit_code != 0)
        std::fprintf(stderr, "  lookup %s: %s\n", query.c_str(), result.err.c_str());
      return std::make_pair(seconds_since(began) * 1000, result.out.size());
    };
    const auto page = lookup("ep?count=10");
    const auto whole = lookup("ep");
    const auto again = lookup("ep");
    const auto lights = lookup("res?rt=tte.light");
    std::printf(
        "RD lookups by coap-client-openssl over %d registrations (a new DTLS session each):\n",
        registered);
    std::printf("  GET /rd-lookup/ep?count=10      %8.1f ms  %8zu bytes           (baseline)\n",
                page.first, page.second);
    std::printf("  GET /rd-lookup/ep               %8.1f ms  %8zu bytes, %5zu blocks  x%.1f\n",
                whole.first, whole.second, whole.second / 1024 + 1, whole.first / page.first);
    std::printf("  GET /rd-lookup/ep again (cached) %7.1f ms                          x%.1f\n",
                again.first, again.first / page.first);
    std::printf("  GET /rd-lookup/res?rt=tte.light %8.1f ms  %8zu bytes, %5zu blocks  x%.1f\n",
                lights.first, lights.second, lights.second / 1024 + 1, lights.first / page.first);
  }

  // 2. Requests to the Devices over their sessions, in batches through the API.
  std::atomic<bool> stop{false};
  std::atomic<long> replies{0}, errors{0};
  auto sender = [&](int offset) {
    int next = offset * batch;
    while (!stop.load()) {
      Json body{{"requests", Json::array()}};
      for (int i = 0; i < batch; ++i) {
        body["requests"].push_back(
            {{"urn", identities[static_cast<std::size_t>(next % registered)].urn},
             {"path", "/light"}});
        ++next;
      }
      http::ClientOptions options;
      options.timeout = 60s;
      auto result =
          http::fetch("POST", "http://" + http + "/api/v1/requests",
                      {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                      body.dump(), options);
      if (!result.ok() || result.response.status != 200) {
        ++errors;
        continue;
      }
      const Json answer = Json::parse(result.response.body);  // kept alive for the loop
      for (const auto& reply : answer["replies"]) {
        if (reply.contains("code") && reply["code"] == "2.05") {
          ++replies;
        } else if (++errors <= 3) {
          std::fprintf(stderr, "  a request failed: %s\n", reply.dump().c_str());
        }
      }
    }
  };
  std::atomic<bool> devices_stop{false};
  std::thread serve([&] { simulated.serve(devices_stop); });
  {
    // Warm-up, then the measured phase.
    std::atomic<bool> warm_stop{false};
    std::thread warm([&] {
      Json body{{"requests", Json::array()}};
      for (int i = 0; i < std::min(batch, registered); ++i) {
        body["requests"].push_back(
            {{"urn", identities[static_cast<std::size_t>(i)].urn}, {"path", "/light"}});
      }
      http::fetch("POST", "http://" + http + "/api/v1/requests",
                  {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                  body.dump(), {});
    });
    warm.join();
  }
  const double cpu_before = cpu_seconds(controller.pid());
  started = Clock::now();
  std::thread a(sender, 0), b(sender, 1);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  a.join();  // each sender's last batch is answered: the Devices still serve
  b.join();
  const double wall = seconds_since(started);
  devices_stop = true;
  serve.join();
  simulated_devices.reset();  // their sockets are needed for the baseline's sessions
  const double ours_cpu = cpu_seconds(controller.pid()) - cpu_before;
  const double ours_per = ours_cpu / static_cast<double>(replies.load()) * 1e6;
  std::printf(
      "Requests to Devices over their sessions (batches of %d through POST /api/v1/requests):\n",
      batch);
  std::printf(
      "  tte-controller        %8.0f requests/s  CPU %.1f us per request  (%ld answered, %ld "
      "failed)\n",
      replies.load() / wall, ours_per, replies.load(), errors.load());

  // Baseline: coap-server-openssl answering GET / over established sessions, same key type.
  const std::uint16_t plain_port = free_udp_port_pair();
  const std::uint16_t baseline_port = static_cast<std::uint16_t>(plain_port + 1);
  Process baseline({"coap-server-openssl", "-A", "127.0.0.1", "-p", std::to_string(plain_port),
                    "-c", dir + "/dtls.crt", "-j", dir + "/dtls.key"},
                   work + "/coap-server.log");
  for (auto waited = Clock::now(); udp_port_free(baseline_port);) {  // until it listens
    if (seconds_since(waited) > 10) throw std::runtime_error("coap-server-openssl did not start");
    std::this_thread::sleep_for(10ms);
  }
  // As many requests in flight as the Controller had (two senders' batches),
  // first over 200 sessions, then over as many sessions as it held Devices:
  // libcoap 4.3.1 walks every session for each read, so its per-request CPU
  // grows with the session count.
  const int active = std::min(2 * batch, 1000);
  auto run_baseline = [&](int sessions) {
    Devices client;
    const Devices::Hammered result =
        client.hammer(baseline_port, identities[0], sessions, active, seconds, baseline.pid());
    if (result.replies == 0)
      throw std::runtime_error("the baseline server answered nothing (see " + work +
                               "/coap-server.log)");
    const double per = result.cpu_seconds / static_cast<double>(result.replies) * 1e6;
    std::printf(
        "  coap-server-openssl   %8.0f requests/s  CPU %.1f us per request  (static resource, %d "
        "sessions)\n",
        result.replies / seconds, per, sessions);
    return per;
  };
  const double base_small = run_baseline(200);
  std::printf(
      "  ratio: tte-controller uses %.2fx the CPU per request of the 200-session baseline (goal: "
      "at most 2x)\n",
      ours_per / base_small);
  if (registered > 200) {
    const double base_same = run_baseline(registered);
    std::printf(
        "  ratio: tte-controller uses %.2fx the CPU per request of the %d-session baseline\n",
        ours_per / base_same, registered);
  }
  baseline.signal(SIGTERM);
  baseline.wait(10s);
  controller.signal(SIGTERM);
  controller.wait(60s);
  coap_cleanup();
  return 0;
}

}  // namespace
}  // namespace tte::bench

int main(int argc, char** argv) {
  try {
    return tte::bench::main_bench(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-controller-bench: %s\n", e.what());
    return 1;
  }
}
