// The MotherShip's CoAP-over-DTLS listener for Devices (messages 9 and 10),
// on libcoap's OpenSSL flavour. It runs one thread; the answers come from
// answer_device_query() and the database.
#ifndef TTE_MOTHERSHIP_COAP_SERVER_HPP
#define TTE_MOTHERSHIP_COAP_SERVER_HPP

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "store.hpp"
#include "tte/platform/coaps_server.hpp"
#include "tte/platform/log.hpp"
#include "writer.hpp"

namespace tte::mothership {

struct CoapServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 5684;     // 0: any free port (see port())
  std::string certificate_file;  // PEM: the MotherShip's self-signed DTLS certificate
  std::string private_key_file;  // PEM
  std::string database;
  std::uint32_t retry_after = 60;  // Max-Age while a device is unmapped
  unsigned max_sessions = 10000;   // idle DTLS sessions kept
  unsigned session_timeout = 60;   // seconds an idle session is kept
  // libcoap's own cap on handshakes in progress (cookie exchanges included);
  // half_open below acts long before it.
  unsigned max_handshakes = 4096;
  coaps::HalfOpenLimits half_open;       // past the cookie exchange, per source and in all
  std::size_t receive_buffer = 4 << 20;  // bytes for the UDP socket (see udp_socket.hpp)
  // Opens PSK Devices' sealed factory PSKs: with it, DTLS-PSK sessions are
  // accepted beside certificates (identity = a PSK Device's Dev URN, §13.3).
  std::optional<PskSealer> psk_sealer = std::nullopt;
};

class CoapServer {
 public:
  // Binds the endpoint. Throws StartupError.
  CoapServer(CoapServerOptions options, Writer& writer, Logger& logger);
  ~CoapServer();
  CoapServer(const CoapServer&) = delete;
  CoapServer& operator=(const CoapServer&) = delete;

  std::uint16_t port() const { return port_; }
  void start();  // runs the CoAP loop on its own thread
  void stop();   // stops it and joins

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_COAP_SERVER_HPP
