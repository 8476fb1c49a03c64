// tte-mothership-bench: prints the MotherShip's figures next to a baseline
// measured in the same run (these machines are shared and noisy: ratios hold,
// absolute numbers drift).
//
//   handshakes  full mutually authenticated DTLS handshake + device query per
//               device, against tte-mothership and against libcoap's own
//               coap-server-openssl serving a static resource with the same key type
//   import      device records loaded per second, and database bytes per device,
//               against bare SQLite inserts of the same rows
//   claims      durable claims per second and p50/p99 latency with 16 installers
//               at N devices, against one fsync'd SQLite transaction per claim
//   box         one box claim of 10,000 Devices (bulk enrollment), against the
//               same 10,000 claimed singly by 16 installers
//
// With --database postgresql (a throwaway PostgreSQL server started here,
// tests/support/postgres.sh): the import with COPY against SQLite's, and durable
// claims with 16 installers on 1, 2 and 3 instances sharing one PostgreSQL
// database, beside one instance on SQLite, with the CPU each side spends.
//
// It starts the real programs itself; run it through `./tte bench mothership`.
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <utility>  // before Asio: Boost 1.74's headers use std::exchange
#include <vector>

#include "support/postgres.hpp"
#include "support/process.hpp"
#include "tte/hex.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/platform/coap_options.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/sqlite.hpp"

namespace tte::bench {
namespace {

using namespace std::chrono_literals;
using test::cpu_seconds;
using test::Process;
using test::run;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;

constexpr const char* kFingerprint =
    "9e80f80b941243c01cd0b430ce21f52b0158ad296e91a4e4ab72891729226486";
constexpr const char* kControllerFingerprint =
    "98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4";

std::string keys(const std::string& name) {
  return std::string(TTE_PROTO_DIR) + "/keys/" + name + "-test";
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string record(std::uint32_t n) {
  char line[256];
  std::snprintf(line, sizeof line,
                "{\"devid\":\"%08x\",\"urn\":\"urn:dev:ops:32473-Bench-%08u\",\"fingerprint\":\"%"
                "s\",\"otp\":\"%016llx\"}\n",
                n, n, kFingerprint, 0x5eed000000000000ull + n);
  return line;
}

std::string otp_of(std::uint32_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%016llx", 0x5eed000000000000ull + n);
  return text;
}

struct MotherShip {
  std::string dir;
  std::string binary;
  std::unique_ptr<Process> process;
  std::uint16_t https = 0, coaps = 0;
  std::string database = "";  // empty: the default (SQLite in dir)

  void init() {
    std::filesystem::remove_all(dir);
    std::vector<std::string> argv{binary, "init", "--data-dir", dir, "--ms-id", "10"};
    if (!database.empty()) argv.insert(argv.end(), {"--database", database});
    auto result = run(argv);
    if (result.exit_code != 0) throw std::runtime_error("init: " + result.err);
  }
  void start(const std::string& log) {
    process = std::make_unique<Process>(
        std::vector<std::string>{binary, "serve", "--data-dir", dir, "--https", "127.0.0.1:0",
                                 "--coaps", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--log-format",
                                 "json", "--client-failure-limit", "0"},
        log);
    auto ready = nlohmann::json::parse(process->read_line(30s));
    auto port = [&](const char* name) {
      std::string address = ready[name];
      return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
    };
    https = port("https");
    coaps = port("coaps");
  }
  void stop() {
    if (!process) return;
    process->signal(SIGTERM);
    process->wait(60s);
    process.reset();
  }
};

// --- DTLS handshakes ---------------------------------------------------------

std::uint16_t free_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

struct HandshakeFigures {
  int completed = 0;
  int failed = 0;
  double wall = 0;
  double server_cpu = 0;
};

// A libcoap client that keeps `concurrency` fresh DTLS sessions in flight, each
// doing one handshake and one GET, until `total` have completed.
class HandshakeClient {
 public:
  HandshakeClient(std::uint16_t port, std::string path, std::string query)
      : path_(std::move(path)), query_(std::move(query)) {
    context_ = coap_new_context(nullptr);
    coap_context_set_max_idle_sessions(context_, 100000);
    coap_register_response_handler(context_, &HandshakeClient::on_response);
    coap_register_nack_handler(context_, &HandshakeClient::on_nack);
    coap_set_app_data(context_, this);
    coap_address_init(&server_);
    server_.addr.sin.sin_family = AF_INET;
    server_.addr.sin.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &server_.addr.sin.sin_addr);
    server_.size = sizeof(server_.addr.sin);
    cert_ = test::read_text(keys("device") + ".crt");
    key_ = test::read_text(keys("device") + ".key");
  }
  ~HandshakeClient() { coap_free_context(context_); }

  HandshakeFigures run(int total, int concurrency, pid_t server) {
    HandshakeFigures figures;
    double cpu_before = cpu_seconds(server);
    auto start = Clock::now();
    int started = 0;
    while (completed_ + failed_ < total) {
      while (in_flight_ < concurrency && started < total) {
        start_session();
        ++started;
      }
      coap_io_process(context_, 50);
      for (coap_session_t* done : finished_)
        coap_session_release(done);
      finished_.clear();
    }
    figures.wall = seconds_since(start);
    figures.server_cpu = cpu_seconds(server) - cpu_before;
    figures.completed = completed_;
    figures.failed = failed_;
    return figures;
  }

 private:
  void start_session() {
    coap_dtls_pki_t pki = tte::coap::pinned_peer_pki();
    pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
    pki.pki_key.key.pem_buf.public_cert = reinterpret_cast<const uint8_t*>(cert_.c_str());
    pki.pki_key.key.pem_buf.public_cert_len = cert_.size() + 1;
    pki.pki_key.key.pem_buf.private_key = reinterpret_cast<const uint8_t*>(key_.c_str());
    pki.pki_key.key.pem_buf.private_key_len = key_.size() + 1;
    coap_session_t* session =
        coap_new_client_session_pki(context_, nullptr, &server_, COAP_PROTO_DTLS, &pki);
    if (!session) {
      ++failed_;
      return;
    }
    coap_pdu_t* pdu =
        coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, coap_new_message_id(session),
                      coap_session_max_pdu_size(session));
    std::size_t begin = 0;
    while (begin < path_.size()) {
      std::size_t end = path_.find('/', begin);
      if (end == std::string::npos) end = path_.size();
      coap_add_option(pdu, COAP_OPTION_URI_PATH, end - begin,
                      reinterpret_cast<const uint8_t*>(path_.data() + begin));
      begin = end + 1;
    }
    if (!query_.empty()) {
      coap_add_option(pdu, COAP_OPTION_URI_QUERY, query_.size(),
                      reinterpret_cast<const uint8_t*>(query_.data()));
    }
    coap_send(session, pdu);
    ++in_flight_;
  }

  static coap_response_t on_response(coap_session_t* session, const coap_pdu_t*,
                                     const coap_pdu_t* received, const coap_mid_t) {
    auto* self =
        static_cast<HandshakeClient*>(coap_get_app_data(coap_session_get_context(session)));
    if (COAP_RESPONSE_CLASS(coap_pdu_get_code(received)) == 2) {
      ++self->completed_;
    } else {
      ++self->failed_;
    }
    --self->in_flight_;
    self->finished_.push_back(session);
    return COAP_RESPONSE_OK;
  }

  static void on_nack(coap_session_t* session, const coap_pdu_t*, const coap_nack_reason_t,
                      const coap_mid_t) {
    auto* self =
        static_cast<HandshakeClient*>(coap_get_app_data(coap_session_get_context(session)));
    ++self->failed_;
    --self->in_flight_;
    self->finished_.push_back(session);
  }

  coap_context_t* context_;
  coap_address_t server_;
  std::string path_, query_, cert_, key_;
  int in_flight_ = 0, completed_ = 0, failed_ = 0;
  std::vector<coap_session_t*> finished_;
};

void print_handshakes(const char* name, const HandshakeFigures& f) {
  double per = f.completed ? f.server_cpu / f.completed * 1000 : 0;
  std::printf(
      "  %-28s %6d ok %4d failed  %7.0f handshakes/s  server CPU %.3f ms/handshake (%.0f/s per "
      "core)\n",
      name, f.completed, f.failed, f.completed / f.wall, per, per > 0 ? 1000 / per : 0);
}

void bench_handshakes(const std::string& binary, const std::string& work, int total,
                      int concurrency, bool baseline_too) {
  std::printf(
      "DTLS handshakes: %d full P-256 mutual-auth handshakes + one GET each, %d in flight\n", total,
      concurrency);
  MotherShip ms{work + "/handshakes", binary};
  ms.init();
  // One mapped device: every handshake presents its key and gets its Controller.
  test::write_text(work + "/one.jsonl", record(1));
  run({binary, "import", "--data-dir", ms.dir, work + "/one.jsonl"});
  ms.start(work + "/handshakes.log");
  run({"curl", "-s", "--cacert", ms.dir + "/ca.crt", "--resolve",
       "tte-00000A.net:" + std::to_string(ms.https) + ":127.0.0.1", "-X", "POST",
       "https://tte-00000A.net:" + std::to_string(ms.https) + "/.well-known/tte?otp=" + otp_of(1) +
           "&devid=00000001&cip=127.0.0.1&cport=5684&cfingerprint=" + kControllerFingerprint});

  // Baseline: libcoap's own server, same key type (the MotherShip's P-256 key), a static resource.
  if (!baseline_too) {  // for profiling the MotherShip alone
    print_handshakes("tte-mothership", HandshakeClient(ms.coaps, ".well-known/tte",
                                                       "urn=urn:dev:ops:32473-Bench-00000001")
                                           .run(total, concurrency, ms.process->pid()));
    ms.stop();
    return;
  }
  // coap-server-openssl -p P listens for CoAPS on P + 1: ask the kernel for a free UDP port.
  std::uint16_t coaps_baseline = free_udp_port();
  Process baseline(
      {"coap-server-openssl", "-A", "127.0.0.1", "-p", std::to_string(coaps_baseline - 1), "-c",
       ms.dir + "/dtls.crt", "-j", ms.dir + "/dtls.key"},
      work + "/coap-server.log");
  // coap-server prints nothing when ready: wait until it answers.
  for (int attempt = 0; attempt < 100; ++attempt) {
    HandshakeClient probe(coaps_baseline, "", "");
    if (probe.run(1, 1, baseline.pid()).completed == 1) break;
  }

  // Warm both up, then measure the baseline, ours, and the baseline again.
  HandshakeClient(coaps_baseline, "", "").run(100, concurrency, baseline.pid());
  HandshakeClient(ms.coaps, ".well-known/tte", "urn=urn:dev:ops:32473-Bench-00000001")
      .run(100, concurrency, ms.process->pid());
  auto base1 = HandshakeClient(coaps_baseline, "", "").run(total, concurrency, baseline.pid());
  auto ours = HandshakeClient(ms.coaps, ".well-known/tte", "urn=urn:dev:ops:32473-Bench-00000001")
                  .run(total, concurrency, ms.process->pid());
  auto base2 = HandshakeClient(coaps_baseline, "", "").run(total, concurrency, baseline.pid());
  print_handshakes("coap-server-openssl (1st)", base1);
  print_handshakes("tte-mothership", ours);
  print_handshakes("coap-server-openssl (2nd)", base2);
  double baseline_cpu =
      (base1.server_cpu / base1.completed + base2.server_cpu / base2.completed) / 2;
  double ours_cpu = ours.server_cpu / ours.completed;
  std::printf("  ratio: tte-mothership uses %.2fx the baseline's server CPU per handshake\n\n",
              ours_cpu / baseline_cpu);
  baseline.signal(SIGTERM);
  baseline.wait(10s);
  ms.stop();
}

// --- import ------------------------------------------------------------------

void bench_import(const std::string& binary, const std::string& work, std::uint32_t devices,
                  MotherShip& ms) {
  std::printf("Import: %u device records\n", devices);
  std::string file = work + "/records.jsonl";
  {
    std::ofstream out(file);
    for (std::uint32_t n = 1; n <= devices; ++n)
      out << record(n);
  }
  // Baseline: the same rows (Dev ID, URN, two 32-byte blobs) inserted bare with a prepared
  // statement.
  std::string baseline_db = work + "/baseline.db";
  std::filesystem::remove(baseline_db);
  double baseline_seconds;
  {
    sqlite::Database db(baseline_db, sqlite::Database::Mode::read_write_create);
    db.exec_or_throw(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-262144;"
        "CREATE TABLE d (devid INTEGER PRIMARY KEY, urn TEXT NOT NULL UNIQUE, f BLOB, o BLOB);");
    auto insert = db.prepare("INSERT INTO d VALUES (?, ?, ?, ?)");
    std::uint8_t blob[32] = {1};
    auto start = Clock::now();
    db.exec_or_throw("BEGIN");
    char urn[64];
    for (std::uint32_t n = 1; n <= devices; ++n) {
      std::snprintf(urn, sizeof urn, "urn:dev:ops:32473-Bench-%08u", n);
      insert.bind(1, static_cast<std::int64_t>(n))
          .bind(2, std::string_view(urn))
          .bind_blob(3, blob)
          .bind_blob(4, blob);
      (void)insert.run();
      insert.reset();
    }
    db.exec_or_throw("COMMIT");
    baseline_seconds = seconds_since(start);
  }
  ms.init();
  auto start = Clock::now();
  auto result = run({binary, "import", "--data-dir", ms.dir, file}, "", 3600s);
  double seconds = seconds_since(start);
  if (result.exit_code != 0) throw std::runtime_error("import failed: " + result.err);
  double bytes = static_cast<double>(std::filesystem::file_size(ms.dir + "/mothership.db"));
  std::printf("  bare SQLite inserts (baseline) %9.0f rows/s\n", devices / baseline_seconds);
  std::printf(
      "  tte-mothership import          %9.0f devices/s (%.2fx the baseline's time; JSON parsing, "
      "HMAC)\n",
      devices / seconds, seconds / baseline_seconds);
  std::printf(
      "  database: %.0f bytes per device; 16M devices would take %.1f GB and %.0f s to import\n\n",
      bytes / devices, bytes / devices * 16e6 / 1e9, 16e6 / (devices / seconds));
  std::filesystem::remove(baseline_db);
  std::filesystem::remove(file);
}

// --- claims ------------------------------------------------------------------

struct Installer {
  std::vector<double> latencies;
  int ok = 0;
  int failed = 0;
};

// One HTTPS connection to the MotherShip on 127.0.0.1:port.
struct Connection {
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;

  Connection(std::uint16_t port, const std::string& ca) {
    tls.load_verify_file(ca);
    tls.set_verify_mode(ssl::verify_peer);
    stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls);
    SSL_set_tlsext_host_name(stream->native_handle(), "tte-00000A.net");
    stream->set_verify_callback(ssl::host_name_verification("tte-00000A.net"));
    asio::ip::tcp::resolver resolver(io);
    beast::get_lowest_layer(*stream).connect(resolver.resolve("127.0.0.1", std::to_string(port)));
    stream->handshake(ssl::stream_base::client);
  }
  bhttp::response<bhttp::string_body> post(const std::string& target) {
    bhttp::request<bhttp::empty_body> request{bhttp::verb::post, target, 11};
    request.set(bhttp::field::host, "tte-00000A.net");
    bhttp::write(*stream, request);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);  // a box's answer names every Device
    bhttp::read(*stream, buffer, parser);
    return parser.release();
  }
};

void claim_loop(std::uint16_t port, const std::string& ca, std::uint32_t first, std::uint32_t count,
                Installer& out, const std::function<std::string(std::uint32_t)>& otp = otp_of) {
  asio::io_context io;
  ssl::context tls(ssl::context::tls_client);
  tls.load_verify_file(ca);
  tls.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  SSL_set_tlsext_host_name(stream.native_handle(), "tte-00000A.net");
  stream.set_verify_callback(ssl::host_name_verification("tte-00000A.net"));
  asio::ip::tcp::resolver resolver(io);
  beast::get_lowest_layer(stream).connect(resolver.resolve("127.0.0.1", std::to_string(port)));
  stream.handshake(ssl::stream_base::client);
  beast::flat_buffer buffer;
  for (std::uint32_t n = first; n < first + count; ++n) {
    char devid[16];
    std::snprintf(devid, sizeof devid, "%08x", n);
    std::string target = "/.well-known/tte?otp=" + otp(n) + "&devid=" + devid +
                         "&cip=192.0.2.7&cport=5684&cfingerprint=" + kControllerFingerprint;
    bhttp::request<bhttp::empty_body> request{bhttp::verb::post, target, 11};
    request.set(bhttp::field::host, "tte-00000A.net");
    auto start = Clock::now();
    bhttp::write(stream, request);
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    out.latencies.push_back(seconds_since(start) * 1000);
    if (response.result_int() == 200) {
      ++out.ok;
    } else {
      ++out.failed;
    }
  }
  beast::error_code ignored;
  stream.shutdown(ignored);
}

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::size_t index = static_cast<std::size_t>(p / 100 * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return values[index];
}

void bench_claims(const std::string& work, std::uint32_t devices, std::uint32_t claims,
                  int installers, MotherShip& ms) {
  std::printf(
      "Claims: %u claims by %d parallel installers (keep-alive HTTPS), %u devices in the "
      "database\n",
      claims, installers, devices);
  // Baseline: what this disk gives one durable transaction at a time.
  double fsync_rate;
  {
    std::string path = work + "/fsync.db";
    std::filesystem::remove(path);
    sqlite::Database db(path, sqlite::Database::Mode::read_write_create);
    db.exec_or_throw(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (x INTEGER);");
    auto insert = db.prepare("INSERT INTO t VALUES (1)");
    auto start = Clock::now();
    int n = 0;
    while (seconds_since(start) < 3) {
      db.exec_or_throw("BEGIN IMMEDIATE");
      (void)insert.run();
      insert.reset();
      db.exec_or_throw("COMMIT");
      ++n;
    }
    fsync_rate = n / seconds_since(start);
    std::filesystem::remove(path);
  }
  ms.start(work + "/claims.log");
  std::vector<Installer> results(static_cast<std::size_t>(installers));
  std::vector<std::thread> threads;
  std::uint32_t per = claims / static_cast<std::uint32_t>(installers);
  // Claim devices spread over the whole table, not only its beginning.
  std::uint32_t stride = devices / static_cast<std::uint32_t>(installers);
  double cpu_before = cpu_seconds(ms.process->pid());
  auto start = Clock::now();
  for (int i = 0; i < installers; ++i) {
    threads.emplace_back([&, i] {
      claim_loop(ms.https, ms.dir + "/ca.crt", 1 + static_cast<std::uint32_t>(i) * stride, per,
                 results[static_cast<std::size_t>(i)]);
    });
  }
  for (auto& t : threads)
    t.join();
  double wall = seconds_since(start);
  double server_cpu = cpu_seconds(ms.process->pid()) - cpu_before;
  ms.stop();
  std::vector<double> all;
  int ok = 0, failed = 0;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies.begin(), r.latencies.end());
    ok += r.ok;
    failed += r.failed;
  }
  // Durable means in the database: count what is stored.
  sqlite::Database db(ms.dir + "/mothership.db", sqlite::Database::Mode::read_only);
  auto count = db.prepare("SELECT count(*) FROM devices WHERE state = 1");
  (void)count.step();
  std::int64_t stored = count.column_int(0);
  double p50 = percentile(all, 50), p99 = percentile(all, 99);
  std::printf("  one durable SQLite transaction at a time (baseline) %7.0f commits/s\n",
              fsync_rate);
  std::printf(
      "  tte-mothership                                      %7.0f claims/s (%.1fx the baseline)\n",
      ok / wall, ok / wall / fsync_rate);
  std::printf(
      "  %d answered 200, %d other; %lld stored as mapped; latency p50 %.1f ms, p99 %.1f ms; "
      "server CPU %.0f us/claim\n\n",
      ok, failed, static_cast<long long>(stored), p50, p99, server_cpu / ok * 1e6);
}

// --- box ---------------------------------------------------------------------

void bench_box(const std::string& binary, const std::string& work, std::uint32_t count,
               int installers) {
  std::printf(
      "Box: one box claim of %u Devices against the same number claimed singly by %d "
      "installers\n",
      count, installers);
  const BoxUrl::Key key{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const BoxOtps otps = BoxOtps::with_key(key).value();
  auto otp = [&](std::uint32_t n) { return std::string(otps.otp(DevId(n)).to_string().view()); };
  // Two boxes of the same key: 1.. for the box claim, count + 1.. claimed one by one.
  std::string file = work + "/box.jsonl";
  {
    std::ofstream out(file);
    char line[256];
    for (std::uint32_t n = 1; n <= 2 * count; ++n) {
      std::snprintf(line, sizeof line,
                    "{\"devid\":\"%08x\",\"urn\":\"urn:dev:ops:32473-Box-%08u\",\"fingerprint\":"
                    "\"%s\",\"otp\":\"%s\"}\n",
                    n, n, kFingerprint, otp(n).c_str());
      out << line;
    }
  }
  MotherShip ms{work + "/box", binary};
  ms.init();
  auto imported = run({binary, "import", "--data-dir", ms.dir, file}, "", 3600s);
  if (imported.exit_code != 0) throw std::runtime_error("import failed: " + imported.err);
  ms.start(work + "/box.log");
  const std::string ca = ms.dir + "/ca.crt";

  // Singly: 16 installers, keep-alive connections, count claims in all.
  std::vector<Installer> results(static_cast<std::size_t>(installers));
  std::vector<std::thread> threads;
  const std::uint32_t per = count / static_cast<std::uint32_t>(installers);
  auto start = Clock::now();
  for (int i = 0; i < installers; ++i) {
    threads.emplace_back([&, i] {
      claim_loop(ms.https, ca, count + 1 + static_cast<std::uint32_t>(i) * per, per,
                 results[static_cast<std::size_t>(i)], otp);
    });
  }
  for (auto& t : threads)
    t.join();
  const double single_seconds = seconds_since(start);
  int single_ok = 0;
  for (auto& r : results)
    single_ok += r.ok;

  // The box: one request.
  Connection connection(ms.https, ca);
  char target[256];
  char hex[33];
  write_hex_lower(key, hex);
  hex[32] = '\0';
  std::snprintf(target, sizeof target,
                "/.well-known/tte/box?first=00000001&count=%u&key=%s&cip=192.0.2.7&cport=5684&"
                "cfingerprint=%s",
                count, hex, kControllerFingerprint);
  start = Clock::now();
  auto response = connection.post(target);
  const double box_seconds = seconds_since(start);
  ms.stop();
  sqlite::Database db(ms.dir + "/mothership.db", sqlite::Database::Mode::read_only);
  auto mapped = db.prepare("SELECT count(*) FROM devices WHERE state = 1");
  (void)mapped.step();
  std::printf("  %u single claims, %d installers (baseline) %8.3f s (%d answered 200)\n",
              single_ok > 0 ? static_cast<std::uint32_t>(single_ok) : 0u, installers,
              single_seconds, single_ok);
  std::printf(
      "  one box claim of %u Devices               %8.3f s (HTTP %d, %zu bytes; %.1fx "
      "faster)\n",
      count, box_seconds, response.result_int(), response.body().size(),
      single_seconds / box_seconds);
  std::printf("  %lld Devices stored as mapped (of %u)\n\n",
              static_cast<long long>(mapped.column_int(0)), 2 * count);
}

// --- PostgreSQL ---------------------------------------------------------------

// CPU seconds of every PostgreSQL process now (the server and its backends).
double postgres_cpu() {
  double total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string command;
    if (!std::getline(comm, command) || command != "postgres") continue;
    total += cpu_seconds(static_cast<pid_t>(std::stol(name)));
  }
  return total;
}

struct ClaimFigures {
  double rate = 0, p50 = 0, p99 = 0;
  int ok = 0, failed = 0;
  double mothership_cpu_us = 0, postgres_cpu_us = 0;  // per claim answered 200
};

// `installers` keep-alive installers, installer i on instance i % n, each
// claiming `per` devices from its own stretch of the table (offset by `round`).
ClaimFigures claim_on(std::vector<MotherShip*> instances, std::uint32_t devices,
                      std::uint32_t claims, int installers, std::uint32_t round) {
  std::vector<Installer> results(static_cast<std::size_t>(installers));
  std::vector<std::thread> threads;
  const std::uint32_t per = claims / static_cast<std::uint32_t>(installers);
  const std::uint32_t stride = devices / static_cast<std::uint32_t>(installers);
  if (per * 4 > stride) throw std::runtime_error("too few devices for these claims");
  auto mothership_cpu = [&] {
    double total = 0;
    for (MotherShip* ms : instances)
      total += cpu_seconds(ms->process->pid());
    return total;
  };
  const double ms_before = mothership_cpu(), pg_before = postgres_cpu();
  auto start = Clock::now();
  for (int i = 0; i < installers; ++i) {
    threads.emplace_back([&, i] {
      MotherShip& ms = *instances[static_cast<std::size_t>(i) % instances.size()];
      claim_loop(ms.https, ms.dir + "/ca.crt",
                 1 + static_cast<std::uint32_t>(i) * stride + round * per, per,
                 results[static_cast<std::size_t>(i)]);
    });
  }
  for (auto& t : threads)
    t.join();
  const double wall = seconds_since(start);
  ClaimFigures f;
  const double ms_cpu = mothership_cpu() - ms_before, pg_cpu = postgres_cpu() - pg_before;
  std::vector<double> all;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies.begin(), r.latencies.end());
    f.ok += r.ok;
    f.failed += r.failed;
  }
  f.rate = f.ok / wall;
  f.p50 = percentile(all, 50);
  f.p99 = percentile(all, 99);
  f.mothership_cpu_us = ms_cpu / std::max(f.ok, 1) * 1e6;
  f.postgres_cpu_us = pg_cpu / std::max(f.ok, 1) * 1e6;
  return f;
}

void print_claims(const char* name, const ClaimFigures& f, double baseline_rate) {
  std::printf(
      "  %-26s %6.0f claims/s (%.2fx) p50 %5.1f ms p99 %6.1f ms  CPU/claim: MotherShip %4.0f us, "
      "PostgreSQL %4.0f us  (%d x 200, %d other)\n",
      name, f.rate, f.rate / baseline_rate, f.p50, f.p99, f.mothership_cpu_us, f.postgres_cpu_us,
      f.ok, f.failed);
}

void bench_postgresql(const std::string& binary, const std::string& work, std::uint32_t devices,
                      std::uint32_t claims, int installers) {
  test::TempDir scratch;
  std::printf(
      "PostgreSQL: a throwaway server (Debian's postgresql-15, default settings, fsync and "
      "synchronous_commit on) on a Unix socket\n");
  test::PostgresServer postgres(scratch);
  std::string file = work + "/records.jsonl";
  {
    std::ofstream out(file);
    for (std::uint32_t n = 1; n <= devices; ++n)
      out << record(n);
  }
  MotherShip on_sqlite{work + "/sqlite", binary};
  MotherShip on_postgres{work + "/pg-0", binary};
  on_postgres.database = postgres.create_database("tte");
  on_sqlite.init();
  on_postgres.init();

  std::printf("Import: %u device records with tte-mothership import\n", devices);
  auto timed_import = [&](MotherShip& ms) {
    auto start = Clock::now();
    auto result = run({binary, "import", "--data-dir", ms.dir, file}, "", 3600s);
    if (result.exit_code != 0) throw std::runtime_error("import failed: " + result.err);
    return seconds_since(start);
  };
  const double sqlite_seconds = timed_import(on_sqlite);
  const double pg_seconds = timed_import(on_postgres);
  const double pg_bytes = std::stod(postgres.query("tte", "SELECT pg_database_size('tte')"));
  const double sqlite_bytes =
      static_cast<double>(std::filesystem::file_size(on_sqlite.dir + "/mothership.db"));
  std::printf("  SQLite (baseline)           %9.0f devices/s, %.0f bytes per device\n",
              devices / sqlite_seconds, sqlite_bytes / devices);
  std::printf(
      "  PostgreSQL, one COPY        %9.0f devices/s (%.2fx the baseline's rate), %.0f bytes "
      "per device\n\n",
      devices / pg_seconds, sqlite_seconds / pg_seconds, pg_bytes / devices);
  std::filesystem::remove(file);

  std::printf("Claims: %u durable claims per run by %d installers (keep-alive HTTPS), %u devices\n",
              claims, installers, devices);
  on_sqlite.start(work + "/sqlite.log");
  const ClaimFigures sqlite = claim_on({&on_sqlite}, devices, claims, installers, 0);
  on_sqlite.stop();
  print_claims("1 instance, SQLite (baseline)", sqlite, sqlite.rate);

  std::vector<std::unique_ptr<MotherShip>> copies;
  for (int i = 1; i < 3; ++i) {
    copies.push_back(std::make_unique<MotherShip>(
        MotherShip{work + "/pg-" + std::to_string(i), binary, nullptr, 0, 0, ""}));
    std::filesystem::copy(on_postgres.dir, copies.back()->dir,
                          std::filesystem::copy_options::recursive);
  }
  std::vector<MotherShip*> instances{&on_postgres, copies[0].get(), copies[1].get()};
  std::vector<ClaimFigures> figures;
  for (std::size_t n = 1; n <= 3; ++n) {
    std::vector<MotherShip*> running(instances.begin(), instances.begin() + static_cast<long>(n));
    for (std::size_t i = 0; i < n; ++i)
      running[i]->start(work + "/pg-" + std::to_string(i) + "-" + std::to_string(n) + ".log");
    figures.push_back(
        claim_on(running, devices, claims, installers, static_cast<std::uint32_t>(n)));
    for (MotherShip* ms : running)
      ms->stop();
    const std::string name =
        std::to_string(n) + (n == 1 ? " instance, PostgreSQL" : " instances, PostgreSQL");
    print_claims(name.c_str(), figures.back(), sqlite.rate);
  }
  const std::string mapped = postgres.query("tte", "SELECT count(*) FROM devices WHERE state = 1");
  int answered = 0;
  for (const auto& f : figures)
    answered += f.ok;
  std::printf("  stored as mapped in PostgreSQL: %s of %d answered 200\n",
              mapped.substr(0, mapped.size() - 1).c_str(), answered);
  // On separate machines each instance has its cores to itself, and so does the
  // database: the rate is bounded by each side's CPU per claim (and the one
  // commit at a time the audit chain's lock allows, which batching amortises).
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const ClaimFigures& one = figures[0];
  std::printf(
      "  prediction for separate machines of %u cores each: an instance saturates at ~%.0f "
      "claims/s (its CPU), the database at ~%.0f claims/s (its CPU), so 3 instances give about "
      "%.0f claims/s\n\n",
      cores, cores / one.mothership_cpu_us * 1e6, cores / one.postgres_cpu_us * 1e6,
      std::min(3 * cores / one.mothership_cpu_us, cores / one.postgres_cpu_us) * 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cli(
      "tte-mothership-bench [options] [handshakes|import|claims|box|all]",
      "Measures tte-mothership against baselines run beside it. Starts the programs itself.");
  cli.option("mothership", "PATH", "the tte-mothership binary", TTE_MOTHERSHIP_BIN)
      .option("work", "DIR", "scratch directory (removed first)", "/tmp/tte-mothership-bench")
      .option("handshakes", "N", "DTLS handshakes per server", "3000")
      .option("concurrency", "N", "handshakes in flight", "32")
      .option("devices", "N", "devices in the database for import and claims", "1000000")
      .option("claims", "N", "claims to make", "32000")
      .option("installers", "N", "parallel installers", "16")
      .option("box", "N", "box: Devices in the box (1-10000)", "10000")
      .flag("no-baseline", "handshakes: measure tte-mothership only (for profiling)")
      .option("database", "sqlite|postgresql",
              "postgresql: import (COPY) and claims on 1, 2 and 3 instances sharing a throwaway "
              "PostgreSQL, beside one instance on SQLite",
              "sqlite")
      .positional("WHAT", "handshakes, import, claims, box or all", false);
  try {
    if (!cli.parse(std::vector<std::string>(argv + 1, argv + argc))) return 0;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures as they come, even into a file
    std::string what = cli.get_or("WHAT", "all");
    std::string work = cli.require("work");
    std::string binary = cli.require("mothership");
    std::filesystem::remove_all(work);
    std::filesystem::create_directories(work);
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    coap_dtls_set_log_level(LOG_EMERG);
    std::printf("tte-mothership benchmarks (%u cores, a %s build)\n\n",
                std::thread::hardware_concurrency(), TTE_BUILD_TYPE);
    if (cli.require("database") == "postgresql") {
      bench_postgresql(binary, work, static_cast<std::uint32_t>(std::stoul(cli.require("devices"))),
                       static_cast<std::uint32_t>(std::stoul(cli.require("claims"))),
                       std::stoi(cli.require("installers")));
      std::filesystem::remove_all(work);
      return 0;
    }
    if (cli.require("database") != "sqlite") throw UsageError("--database: sqlite or postgresql");
    if (what == "handshakes" || what == "all") {
      bench_handshakes(binary, work, std::stoi(cli.require("handshakes")),
                       std::stoi(cli.require("concurrency")), !cli.has("no-baseline"));
    }
    MotherShip ms{work + "/claims", binary};
    auto devices = static_cast<std::uint32_t>(std::stoul(cli.require("devices")));
    if (what == "import" || what == "claims" || what == "all")
      bench_import(binary, work, devices, ms);
    if (what == "claims" || what == "all") {
      bench_claims(work, devices, static_cast<std::uint32_t>(std::stoul(cli.require("claims"))),
                   std::stoi(cli.require("installers")), ms);
    }
    if (what == "box" || what == "all") {
      bench_box(binary, work, static_cast<std::uint32_t>(std::stoul(cli.require("box"))),
                std::stoi(cli.require("installers")));
    }
    std::filesystem::remove_all(work);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-mothership-bench: %s\n", e.what());
    return 1;
  }
}

}  // namespace tte::bench

int main(int argc, char** argv) {
  return tte::bench::main(argc, argv);
}
