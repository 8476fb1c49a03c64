// The receive buffer of a UDP socket a library (libcoap) opened for us.
//
// A CoAPS server has one socket for all its peers. When the Controller sends a
// batch of requests to hundreds of Devices, their answers arrive together; with
// Linux's default 208 KiB receive buffer (about 200 small datagrams) the rest
// are dropped and only come back with the retransmission, seconds later.
#ifndef TTE_PLATFORM_UDP_SOCKET_HPP
#define TTE_PLATFORM_UDP_SOCKET_HPP

#include <cstddef>
#include <cstdint>

namespace tte {

struct ReceiveBuffer {
  bool found = false;      // a UDP socket bound to the port was found in this process
  std::size_t bytes = 0;   // its receive buffer afterwards, as the kernel reports it
  std::size_t wanted = 0;  // what was asked for (the kernel reports twice the set value)
  bool enough() const { return found && bytes >= wanted; }
};

// Finds this process's UDP socket(s) bound to `port` and asks for `bytes` of
// receive buffer. As root it may exceed net.core.rmem_max; otherwise the
// kernel caps it there, which `enough()` reports.
ReceiveBuffer widen_udp_receive_buffer(std::uint16_t port, std::size_t bytes);

// This process's UDP socket bound to `port`, or -1.
int udp_socket_for_port(std::uint16_t port);

// About how many datagrams wait in the socket's receive queue, from the memory
// they hold (SO_MEMINFO) at `per_datagram` bytes each. Linux charges a small
// datagram 832 bytes on loopback, 1-4 KiB from a network card: the estimate
// can be high or low. 0 exactly when nothing waits; at least 1 otherwise.
std::size_t udp_datagrams_waiting(int fd, std::size_t per_datagram = 1024);

}  // namespace tte

#endif  // TTE_PLATFORM_UDP_SOCKET_HPP
