#include "support/udp_relay.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <stdexcept>

namespace tte::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int udp_socket() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  return fd;
}

}  // namespace

UdpRelay::UdpRelay(std::uint16_t server_port, int junk_per_datagram)
    : server_port_(server_port), junk_per_datagram_(junk_per_datagram) {
  listen_fd_ = udp_socket();
  sockaddr_in address = loopback(0);
  socklen_t size = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("cannot bind the relay");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

UdpRelay::~UdpRelay() {
  stop_ = true;
  thread_.join();
  for (const Client& client : clients_)
    ::close(client.upstream);
  ::close(listen_fd_);
}

void UdpRelay::send_junk(const sockaddr_in& to) {
  static thread_local std::mt19937 random(12345);
  for (int i = 0; i < junk_per_datagram_; ++i) {
    std::uint8_t datagram[200];
    std::size_t size = 0;
    if (i % 2 == 0) {
      size = 1 + random() % 3;  // a runt
    } else {
      size = 13 + random() % (sizeof datagram - 13);
      datagram[0] = 23;  // application data
      datagram[1] = 0xfe;
      datagram[2] = 0xfd;  // DTLS 1.2
      for (std::size_t j = 3; j < size; ++j)
        datagram[j] = static_cast<std::uint8_t>(random());
      datagram[11] = static_cast<std::uint8_t>((size - 13) >> 8);
      datagram[12] = static_cast<std::uint8_t>(size - 13);
    }
    for (std::size_t j = 0; i % 2 == 0 && j < size; ++j)
      datagram[j] = static_cast<std::uint8_t>(random());
    if (::sendto(listen_fd_, datagram, size, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) >
        0) {
      ++junk_sent_;
    }
  }
}

void UdpRelay::run() {
  std::uint8_t buffer[65536];
  while (!stop_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const Client& client : clients_)
      fds.push_back({client.upstream, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      sockaddr_in from{};
      socklen_t size = sizeof from;
      const ssize_t n = ::recvfrom(listen_fd_, buffer, sizeof buffer, 0,
                                   reinterpret_cast<sockaddr*>(&from), &size);
      if (n > 0) {
        Client* known = nullptr;
        for (Client& client : clients_) {
          if (client.address.sin_port == from.sin_port &&
              client.address.sin_addr.s_addr == from.sin_addr.s_addr) {
            known = &client;
          }
        }
        if (!known) {
          const int upstream = udp_socket();
          const sockaddr_in server = loopback(server_port_);
          ::connect(upstream, reinterpret_cast<const sockaddr*>(&server), sizeof server);
          clients_.push_back({from, upstream});
          known = &clients_.back();
        }
        (void)::send(known->upstream, buffer, static_cast<std::size_t>(n), 0);
      }
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      const ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      const sockaddr_in to = clients_[i - 1].address;
      send_junk(to);
      (void)::sendto(listen_fd_, buffer, static_cast<std::size_t>(n), 0,
                     reinterpret_cast<const sockaddr*>(&to), sizeof to);
    }
  }
}

}  // namespace tte::test
