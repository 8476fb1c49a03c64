#include "tte/platform/udp_socket.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string>

namespace tte {
namespace {

std::uint16_t bound_udp_port(int fd) {
  int type = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_DGRAM) return 0;
  sockaddr_storage address{};
  length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET)
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return 0;
}

// Calls f(fd) for each of this process's UDP sockets bound to `port`.
template <typename F>
void for_each_udp_socket(std::uint16_t port, F&& f) {
  if (port == 0) return;
  DIR* fds = ::opendir("/proc/self/fd");
  if (!fds) return;
  const int own = ::dirfd(fds);
  while (dirent* entry = ::readdir(fds)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    if (bound_udp_port(static_cast<int>(fd)) == port) f(static_cast<int>(fd));
  }
  ::closedir(fds);
}

}  // namespace

int udp_socket_for_port(std::uint16_t port) {
  int found = -1;
  for_each_udp_socket(port, [&](int fd) {
    if (found < 0) found = fd;
  });
  return found;
}

std::size_t udp_datagrams_waiting(int fd, std::size_t per_datagram) {
  std::uint32_t memory[SK_MEMINFO_VARS] = {};
  socklen_t length = sizeof memory;
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, memory, &length) != 0) return 0;
  const std::size_t held = memory[SK_MEMINFO_RMEM_ALLOC];
  if (held == 0) return 0;
  return held / per_datagram > 0 ? held / per_datagram : 1;
}

ReceiveBuffer widen_udp_receive_buffer(std::uint16_t port, std::size_t bytes) {
  ReceiveBuffer result;
  result.wanted = bytes;
  for_each_udp_socket(port, [&](int socket) {
    const int value = static_cast<int>(bytes / 2);  // the kernel doubles it for bookkeeping
    // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN; else the capped request.
    if (::setsockopt(socket, SOL_SOCKET, SO_RCVBUFFORCE, &value, sizeof value) != 0)
      ::setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &value, sizeof value);
    int actual = 0;
    socklen_t length = sizeof actual;
    ::getsockopt(socket, SOL_SOCKET, SO_RCVBUF, &actual, &length);
    if (!result.found || static_cast<std::size_t>(actual) < result.bytes)
      result.bytes = static_cast<std::size_t>(actual);
    result.found = true;
  });
  return result;
}

}  // namespace tte
