// A UDP relay for attacking a client: it stands between a client and a server
// on 127.0.0.1, passes datagrams both ways (one upstream socket per client
// address, so the server sees each client session apart), and before each of
// the server's datagrams sends the client junk from the same address: runts of
// 1-3 bytes and DTLS-looking records of random bytes.
#ifndef TTE_TESTS_SUPPORT_UDP_RELAY_HPP
#define TTE_TESTS_SUPPORT_UDP_RELAY_HPP

#include <netinet/in.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace tte::test {

class UdpRelay {
 public:
  UdpRelay(std::uint16_t server_port, int junk_per_datagram);
  ~UdpRelay();
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;

  std::uint16_t port() const { return port_; }  // where clients send
  std::size_t junk_sent() const { return junk_sent_; }

 private:
  struct Client {
    sockaddr_in address;
    int upstream;
  };
  void run();
  void send_junk(const sockaddr_in& to);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0, server_port_;
  int junk_per_datagram_;
  std::vector<Client> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> junk_sent_{0};
  std::thread thread_;
};

}  // namespace tte::test

#endif  // TTE_TESTS_SUPPORT_UDP_RELAY_HPP
