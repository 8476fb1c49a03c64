// The servers attacked as a stranger would (issue 14), at a size ctest can
// afford: idle connections by the thousand, one address taking every
// connection, a process out of descriptors, large bodies without a token,
// pipelined requests, silent clients. Each test checks that a legitimate
// request is still served within a bound and that memory stays bounded (from
// /proc). `./tte bench robustness` runs the same attacks at full size.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
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

// Waits (polling, with a deadline) until the log holds `text`.
bool eventually_contains(const std::string& log, const std::string& text) {
  auto deadline = Clock::now() + 15s;
  while (Clock::now() < deadline) {
    if (read_text(log).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// Under AddressSanitizer freed memory sits in a quarantine (256 MiB), and the
// sanitizers' runtime needs descriptors of its own to check a pointer: the
// memory bounds and the out-of-descriptors test hold for real builds only.
#ifdef TTE_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class MotherShipUnderAttack : public ::testing::Test {
 protected:
  explicit MotherShipUnderAttack(std::vector<std::string> serve_args)
      : ms_(dir_, std::move(serve_args)) {
    ms_.import(device_record(1) + device_record(2));
    ms_.start();
  }
  // A legitimate claim; returns its status and how long it took.
  std::pair<int, double> claim(std::uint32_t n, const std::string& source = "127.0.0.1") {
    auto started = Clock::now();
    RunResult result =
        ms_.curl({"--interface", source, "--max-time", "20", "-o", "/dev/null", "-w",
                  "%{http_code}", "-X", "POST", ms_.url("/.well-known/tte?" + claim_query(n))});
    return {std::atoi(result.out.c_str()), seconds_since(started)};
  }
  TempDir dir_;
  MotherShipProcess ms_;
};

class MotherShipIdleFlood : public MotherShipUnderAttack {
 protected:
  MotherShipIdleFlood()
      : MotherShipUnderAttack(
            {"--max-connections", "300", "--max-connections-per-client", "100000"}) {}
};

// Issue 14, 2: 20,000 idle connections took the HTTPS listener to 1.78 GB and
// a claim to 9.7 s. At the cap the oldest idle connection is closed instead.
TEST_F(MotherShipIdleFlood, ThousandsOfIdleConnectionsNeitherStallAClaimNorGrowMemory) {
  double before = rss_mib(ms_.pid());
  Flood flood;
  flood.open("127.0.0.1", ms_.https_port(), 3000);
  ASSERT_GT(flood.fds.size(), 2500u);
  auto [status, seconds] = claim(1);
  std::string log = read_text(ms_.log());
  EXPECT_EQ(status, 200) << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  EXPECT_LT(seconds, 5.0);
  double during = rss_mib(ms_.pid());
  // About 90 KiB per open TLS connection (300 here), and what the churn leaves.
  if (!kSanitized) {
    EXPECT_LT(during - before, 96.0) << before << " MiB before, " << during << " during";
  }
  // One summary line for the flood, not one per connection.
  EXPECT_TRUE(eventually_contains(ms_.log(), "connection budget reached"));
}

class MotherShipPerClient : public MotherShipUnderAttack {
 protected:
  MotherShipPerClient() : MotherShipUnderAttack({"--max-connections-per-client", "20"}) {}
};

TEST_F(MotherShipPerClient, OneAddressGetsItsShareAndOthersAreServed) {
  Flood flood;
  flood.open("127.0.0.1", ms_.https_port(), 200);
  // Past its 20, 127.0.0.1's connections are closed at once...
  auto [refused, refused_seconds] = claim(1, "127.0.0.1");
  EXPECT_EQ(refused, 0) << "a claim from the flooding address got through";
  // ... while another address is served.
  auto [status, seconds] = claim(1, "127.0.0.2");
  EXPECT_EQ(status, 200);
  EXPECT_LT(seconds, 5.0);
  (void)refused_seconds;
}

class MotherShipAdminBodies : public MotherShipUnderAttack {
 protected:
  MotherShipAdminBodies() : MotherShipUnderAttack({}) {}
};

// Issue 14, 3: bodies were read before the token was checked.
TEST_F(MotherShipAdminBodies, LargeBodiesWithoutTheTokenAreNeverRead) {
  std::string big = dir_.file("big.jsonl");
  {
    std::ofstream out(big, std::ios::binary);
    out.seekp(64 * 1024 * 1024 - 1);
    out.put('\n');
  }
  double before = rss_mib(ms_.pid());
  std::vector<std::thread> senders;
  std::vector<std::string> codes(8);
  for (int i = 0; i < 8; ++i) {
    senders.emplace_back([&, i] {
      // Expect: 100-continue (curl's default for large bodies): the 401 comes
      // before the body is sent.
      codes[static_cast<std::size_t>(i)] =
          ms_.curl({"--max-time", "20", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                    "--data-binary", "@" + big, ms_.admin_url("/admin/v1/devices")})
              .out;
    });
  }
  for (auto& sender : senders)
    sender.join();
  for (const auto& code : codes)
    EXPECT_EQ(code, "401");
  if (!kSanitized) {
    EXPECT_LT(rss_mib(ms_.pid()) - before, 32.0);
  }
  // With the token, the route still takes its large body (a bad one here).
  RunResult with_token = ms_.curl({"--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}",
                                   ms_.admin_auth()[0], ms_.admin_auth()[1], "-X", "POST",
                                   "--data-binary", "@" + big, ms_.admin_url("/admin/v1/devices")});
  EXPECT_EQ(with_token.out, "400");
}

class MotherShipDtlsFlood : public MotherShipUnderAttack {
 protected:
  MotherShipDtlsFlood() : MotherShipUnderAttack({}) {}
};

// Issue 14, 1: one source completing the cookie exchange ~1,000 times and
// going quiet filled libcoap's handshake cap, and for ~25 s no Device could
// enroll. Half-open handshakes are now bounded per source and in all.
TEST_F(MotherShipDtlsFlood, HalfOpenHandshakesDoNotLockDevicesOut) {
  SSL_CTX* context = SSL_CTX_new(DTLS_client_method());
  ASSERT_NE(context, nullptr);
  double before = rss_mib(ms_.pid());
  Flood held;  // the attackers' sockets stay open (and silent)
  int made = 0;
  // 1,200 from one address, then 40 from each of 30 others (past the total).
  for (int i = 0; i < 1200; ++i) {
    int fd = half_open_handshake(context, "127.0.0.1", ms_.coaps_port());
    if (fd >= 0) {
      held.fds.push_back(fd);
      ++made;
    }
  }
  for (int source = 10; source < 40; ++source) {
    for (int i = 0; i < 40; ++i) {
      int fd = half_open_handshake(context, "127.0.0." + std::to_string(source), ms_.coaps_port());
      if (fd >= 0) {
        held.fds.push_back(fd);
        ++made;
      }
    }
  }
  SSL_CTX_free(context);
  // Every attempt got the server's flight: new ClientHellos kept being answered.
  EXPECT_GT(made, 2000);
  // A Device (libcoap's client, from yet another address) is answered at once.
  auto started = Clock::now();
  std::string keys = std::string(TTE_PROTO_DIR) + "/keys/device-test";
  RunResult device = run({"coap-client-openssl", "-v", "3", "-B", "10", "-a", "127.0.0.2", "-m",
                          "get", "-c", keys + ".crt", "-j", keys + ".key",
                          "coaps://127.0.0.1:" + std::to_string(ms_.coaps_port()) +
                              "/.well-known/tte?urn=urn:dev:ops:32473-Test-1"},
                         "", 30s);
  EXPECT_TRUE(contains(device.out + device.err, "5.03")) << device.out << device.err;
  EXPECT_LT(seconds_since(started), 5.0);
  if (!kSanitized) {
    EXPECT_LT(rss_mib(ms_.pid()) - before, 64.0);
  }
  EXPECT_TRUE(eventually_contains(ms_.log(), "half-open DTLS handshakes dropped"));
  if (HasFailure()) std::cerr << read_text(ms_.log()).substr(0, 6000);
}

class ControllerUnderAttack : public ::testing::Test {
 protected:
  explicit ControllerUnderAttack(std::vector<std::string> serve_args) : controller_(dir_) {
    controller_.start(std::move(serve_args));
  }
  std::uint16_t http_port() const {
    const std::string origin = controller_.http_origin();
    return static_cast<std::uint16_t>(std::stoi(origin.substr(origin.rfind(':') + 1)));
  }
  // GET /health from `source`; its status and time.
  std::pair<int, double> health(const std::string& source = "127.0.0.2") {
    auto started = Clock::now();
    RunResult result =
        run({"curl", "-s", "--interface", source, "--max-time", "20", "-o", "/dev/null", "-w",
             "%{http_code}", controller_.http_origin() + "/health"});
    return {std::atoi(result.out.c_str()), seconds_since(started)};
  }
  TempDir dir_;
  ControllerProcess controller_;
};

class ControllerDtlsFlood : public ::testing::Test {
 protected:
  ControllerDtlsFlood() : controller_(dir_, "open") { controller_.start(); }
  TempDir dir_;
  ControllerProcess controller_;
};

TEST_F(ControllerDtlsFlood, HalfOpenHandshakesDoNotLockDevicesOut) {
  const std::string coaps = controller_.coaps();
  const auto port = static_cast<std::uint16_t>(std::stoi(coaps.substr(coaps.rfind(':') + 1)));
  SSL_CTX* context = SSL_CTX_new(DTLS_client_method());
  ASSERT_NE(context, nullptr);
  double before = rss_mib(controller_.pid());
  Flood held;
  int made = 0;
  for (int i = 0; i < 1500; ++i) {
    int fd = half_open_handshake(context, "127.0.0.1", port);
    if (fd >= 0) {
      held.fds.push_back(fd);
      ++made;
    }
  }
  SSL_CTX_free(context);
  EXPECT_GT(made, 1200);
  std::string keys = std::string(TTE_PROTO_DIR) + "/keys/device-test";
  auto started = Clock::now();
  RunResult device =
      run({"coap-client-openssl", "-v", "3", "-B", "10", "-a", "127.0.0.2", "-m", "get", "-c",
           keys + ".crt", "-j", keys + ".key", "coaps://" + coaps + "/.well-known/core"},
          "", 30s);
  EXPECT_TRUE(contains(device.out, "rd")) << device.out << device.err;
  EXPECT_LT(seconds_since(started), 5.0);
  if (!kSanitized) {
    EXPECT_LT(rss_mib(controller_.pid()) - before, 64.0);
  }
  EXPECT_TRUE(eventually_contains(controller_.log(), "half-open DTLS handshakes dropped"));
}

class ControllerOutOfDescriptors : public ControllerUnderAttack {
 protected:
  ControllerOutOfDescriptors()
      : ControllerUnderAttack({"--max-connections-per-client", "100000"}) {}
};

// Issue 14, 2: out of descriptors, the listener spun at 100 % CPU on EMFILE
// until the timeout cleared the idle connections.
TEST_F(ControllerOutOfDescriptors, ItShedsIdleConnectionsAndDoesNotSpin) {
  if (kSanitized) GTEST_SKIP() << "the sanitizers' runtime misreports when out of descriptors";
  // The limit drops under the listener's cap while it runs (prlimit(1)).
  ASSERT_EQ(
      run({"prlimit", "--pid", std::to_string(controller_.pid()), "--nofile=200:200"}).exit_code,
      0);
  Flood flood;
  flood.open("127.0.0.1", http_port(), 1000);
  std::this_thread::sleep_for(200ms);  // let it accept what it can (not a readiness wait)
  double cpu_before = cpu_seconds(controller_.pid());
  auto window = Clock::now();
  auto [status, seconds] = health();
  EXPECT_EQ(status, 200);
  EXPECT_LT(seconds, 5.0);
  while (seconds_since(window) < 2.0)
    std::this_thread::sleep_for(100ms);
  double cpu = cpu_seconds(controller_.pid()) - cpu_before;
  EXPECT_LT(cpu / seconds_since(window), 0.5) << cpu << " s of CPU";
  EXPECT_TRUE(eventually_contains(controller_.log(), "connection budget reached"));
  if (HasFailure()) std::cerr << read_text(controller_.log()).substr(0, 4000);
}

class ControllerHttp : public ControllerUnderAttack {
 protected:
  ControllerHttp() : ControllerUnderAttack({"--header-timeout", "1"}) {}
};

// Issue 14, 3, at the Controller: a body without a token is not read beyond
// a little lingering; the 401 is answered first.
TEST_F(ControllerHttp, ABodyWithoutTheTokenIsRefusedBeforeItIsRead) {
  int fd = connect_from("127.0.0.1", http_port());
  ASSERT_GE(fd, 0);
  std::string head =
      "POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 67108864\r\n\r\n";
  ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  std::string answer = read_until_closed(fd, 5s, "\r\n\r\n");
  EXPECT_TRUE(contains(answer, "HTTP/1.1 401")) << answer;
  // Then push the body: the server stops reading within a few hundred KiB.
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
  std::string chunk(64 * 1024, 'x');
  std::size_t sent = 0;
  auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline && sent < 64u * 1024 * 1024) {
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1500) == 0) break;  // the server stopped reading
    } else {
      break;  // reset: closed
    }
  }
  ::close(fd);
  EXPECT_LT(sent, 8u * 1024 * 1024) << "the server read " << sent << " bytes of the body";
}

// Issue 14, 6: only the first of several pipelined requests was answered.
TEST_F(ControllerHttp, PipelinedRequestsAreAnsweredInOrder) {
  int fd = connect_from("127.0.0.1", http_port());
  ASSERT_GE(fd, 0);
  std::string requests;
  for (const char* path : {"/health", "/nothing", "/health"})
    requests += std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(fd, requests.data(), requests.size()), static_cast<ssize_t>(requests.size()));
  std::string answers = read_until_closed(fd, 5s, "HTTP/1.1 ", 3);
  ::close(fd);
  auto first = answers.find("HTTP/1.1 200");
  auto second = answers.find("HTTP/1.1 404");
  auto third = answers.find("HTTP/1.1 200", second);
  EXPECT_NE(first, std::string::npos) << answers;
  EXPECT_NE(second, std::string::npos) << answers;
  EXPECT_NE(third, std::string::npos) << answers;
  EXPECT_LT(first, second);
}

TEST_F(ControllerHttp, HeadIsAnsweredWhereGetIs) {
  RunResult head = run({"curl", "-s", "-I", controller_.http_origin() + "/health"});
  EXPECT_TRUE(contains(head.out, "HTTP/1.1 200")) << head.out;
  EXPECT_TRUE(contains(head.out, "Content-Length: 16")) << head.out;
  // No body follows the headers (curl -I would show it).
  EXPECT_FALSE(contains(head.out, "\"status\"")) << head.out;
}

TEST_F(ControllerHttp, AConnectionThatSendsNothingIsClosedAfterTheHeaderTimeout) {
  int fd = connect_from("127.0.0.1", http_port());
  ASSERT_GE(fd, 0);
  auto started = Clock::now();
  std::string nothing = read_until_closed(fd, 10s);
  double seconds = seconds_since(started);
  ::close(fd);
  EXPECT_EQ(nothing, "");
  EXPECT_GE(seconds, 0.9);
  EXPECT_LT(seconds, 4.0);
}

}  // namespace
}  // namespace tte::test
