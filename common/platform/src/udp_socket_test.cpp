#include "tte/platform/udp_socket.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace tte {
namespace {

struct UdpSocket {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::uint16_t port = 0;
  UdpSocket() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~UdpSocket() { ::close(fd); }
  std::size_t receive_buffer() const {
    int value = 0;
    socklen_t length = sizeof value;
    ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, &length);
    return static_cast<std::size_t>(value);
  }
};

TEST(UdpSocket, TheSocketBoundToThePortGetsTheBiggerBuffer) {
  UdpSocket mine, other;
  const std::size_t before = mine.receive_buffer(), other_before = other.receive_buffer();
  const ReceiveBuffer result = widen_udp_receive_buffer(mine.port, before * 4);
  ASSERT_TRUE(result.found);
  EXPECT_EQ(result.bytes, mine.receive_buffer());
  // Root gets what it asks for; others get at most twice net.core.rmem_max.
  std::size_t expected = before * 4;
  if (::geteuid() != 0) {
    std::ifstream rmem_max("/proc/sys/net/core/rmem_max");
    std::size_t cap = 0;
    rmem_max >> cap;
    expected = std::min(expected, 2 * cap);
  }
  EXPECT_EQ(mine.receive_buffer(), expected);
  EXPECT_EQ(result.enough(), expected == before * 4);
  EXPECT_EQ(other.receive_buffer(), other_before);
}

TEST(UdpSocket, APortWithNoSocketIsReported) {
  UdpSocket probe;
  const std::uint16_t port = probe.port;
  ::close(probe.fd);
  probe.fd = ::socket(AF_INET, SOCK_DGRAM, 0);  // unbound
  const ReceiveBuffer result = widen_udp_receive_buffer(port, 1 << 22);
  EXPECT_FALSE(result.found);
  EXPECT_FALSE(result.enough());
}

TEST(UdpSocket, WaitingDatagramsAreEstimatedFromTheirMemory) {
  UdpSocket receiver, sender;
  EXPECT_EQ(udp_socket_for_port(receiver.port), receiver.fd);
  EXPECT_EQ(udp_datagrams_waiting(receiver.fd), 0u);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(receiver.port);
  const char datagram[100] = {};
  for (int sent = 1; sent <= 40; ++sent) {
    ASSERT_EQ(::sendto(sender.fd, datagram, sizeof datagram, 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to),
              static_cast<ssize_t>(sizeof datagram));
    const std::size_t waiting = udp_datagrams_waiting(receiver.fd);
    EXPECT_GE(waiting, 1u);
    EXPECT_LE(waiting, static_cast<std::size_t>(sent) * 4);  // Linux charges at most 4 KiB each
    EXPECT_LE(udp_datagrams_waiting(receiver.fd, 65536), 1u);
  }
  EXPECT_GE(udp_datagrams_waiting(receiver.fd, 4096), 40u / 5);  // at least 832 bytes each
  char buffer[200];
  int read = 0;
  while (::recv(receiver.fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0)
    ++read;
  EXPECT_EQ(read, 40);
  EXPECT_EQ(udp_datagrams_waiting(receiver.fd), 0u);
}

}  // namespace
}  // namespace tte
