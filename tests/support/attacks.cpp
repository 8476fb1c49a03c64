#include "attacks.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

namespace tte::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Resident memory of a process, in MiB.
double rss_mib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

// A TCP connection to 127.0.0.1:port from `source` (any 127/8 address), or -1.
int connect_from(const std::string& source, std::uint16_t port, bool wait) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (wait ? 0 : SOCK_NONBLOCK), 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the peer sends until it closes or `timeout` passes.
std::string read_until_closed(int fd, std::chrono::milliseconds timeout, const std::string& enough,
                              int enough_count) {
  std::string received;
  auto deadline = Clock::now() + timeout;
  char buffer[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) break;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
    if (!enough.empty()) {
      int seen = 0;
      for (std::size_t at = received.find(enough); at != std::string::npos;
           at = received.find(enough, at + 1))
        ++seen;
      if (seen >= enough_count) break;
    }
  }
  return received;
}

void Flood::close_all() {
  for (int fd : fds)
    ::close(fd);
  fds.clear();
}

void Flood::open(const std::string& source, std::uint16_t port, int count) {
  for (int i = 0; i < count; ++i) {
    int fd = connect_from(source, port, /*wait=*/false);
    if (fd >= 0) fds.push_back(fd);
  }
}

int descriptors_of(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

// Whether the next datagram on fd is the server's ServerHello (DTLS record 22,
// handshake type 2 at byte 13), looked at without taking it.
namespace {

bool server_hello_waits(int fd) {
  unsigned char head[14];
  return ::recv(fd, head, sizeof head, MSG_PEEK | MSG_DONTWAIT) ==
             static_cast<ssize_t>(sizeof head) &&
         head[0] == 22 && head[13] == 2;
}

// Keeps OpenSSL from reading the ServerHello: its reads of the socket say
// "try again" once one waits, so the client never answers the server's flight.
long hold_back_server_hello(BIO* bio, int oper, const char*, size_t, int, long, int ret, size_t*) {
  if (oper == BIO_CB_READ && server_hello_waits(static_cast<int>(BIO_get_fd(bio, nullptr)))) {
    BIO_set_retry_read(bio);
    return -1;
  }
  return ret;
}

}  // namespace

// A DTLS client that goes as far as the server's first flight after the
// cookie exchange (the server then holds the handshake's state) and goes
// quiet. Returns the UDP socket (kept open by the caller), or -1.
int half_open_handshake(SSL_CTX* context, const std::string& source, std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  SSL* ssl = SSL_new(context);
  BIO* bio = BIO_new_dgram(fd, BIO_NOCLOSE);
  BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &remote);
  BIO_set_callback_ex(bio, hold_back_server_hello);
  SSL_set_bio(ssl, bio, bio);
  bool server_hello = false;
  auto deadline = Clock::now() + 3s;
  while (Clock::now() < deadline && !server_hello) {
    int r = SSL_connect(ssl);
    if (r == 1 || SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ) break;
    if (server_hello_waits(fd)) {
      server_hello = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) DTLSv1_handle_timeout(ssl);  // retransmits if the server is slow
  }
  ERR_clear_error();
  SSL_free(ssl);  // no alert is sent: the server is left waiting
  if (!server_hello) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace tte::test
