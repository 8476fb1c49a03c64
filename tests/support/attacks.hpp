// Attacks for the robustness tests and `./tte bench robustness`, written on
// plain sockets and OpenSSL (none of TTE's server code): idle TCP
// connections, half-open DTLS handshakes, and what a process uses (/proc).
#ifndef TTE_TESTS_ATTACKS_HPP
#define TTE_TESTS_ATTACKS_HPP

#include <openssl/ssl.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace tte::test {

// Resident memory of a process, in MiB.
double rss_mib(pid_t pid);
// Its open descriptors.
int descriptors_of(pid_t pid);

// Everything the peer sends until it closes or `timeout` passes (or `enough`
// was seen `enough_count` times).
std::string read_until_closed(int fd, std::chrono::milliseconds timeout,
                              const std::string& enough = "", int enough_count = 1);

// A TCP connection to 127.0.0.1:port from `source` (any 127/8 address), or -1.
int connect_from(const std::string& source, std::uint16_t port, bool wait = true);

// Connections (or UDP sockets) held open, closed together.
struct Flood {
  std::vector<int> fds;
  Flood() = default;
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;
  ~Flood() { close_all(); }
  void close_all();
  // `count` TCP connections that never send anything.
  void open(const std::string& source, std::uint16_t port, int count);
};

// A DTLS client that goes as far as the server's ServerHello after the cookie
// exchange (the server then holds the handshake's state) and goes quiet.
// Returns the UDP socket (kept open by the caller), or -1.
int half_open_handshake(SSL_CTX* context, const std::string& source, std::uint16_t port);

}  // namespace tte::test

#endif  // TTE_TESTS_ATTACKS_HPP
