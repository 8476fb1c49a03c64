// An HTTP/1.1 server (Boost.Beast, optionally over TLS with OpenSSL) running
// request handlers from tte/platform/http.hpp. All of Beast and Asio stays in
// http_server.cpp. One line is logged per request.
#ifndef TTE_PLATFORM_HTTP_SERVER_HPP
#define TTE_PLATFORM_HTTP_SERVER_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tte/platform/http.hpp"
#include "tte/platform/log.hpp"

namespace tte::http {

struct TlsFiles {
  std::string certificate_chain;  // PEM file: the server certificate, then intermediates
  std::string private_key;        // PEM file
};

struct ListenerOptions {
  std::string name = "http";            // the "listener" field of each log line
  std::string address = "127.0.0.1";    // IPv4 or IPv6 literal
  std::uint16_t port = 0;               // 0: any free port (see the returned port)
  std::optional<TlsFiles> tls;          // absent: plain HTTP
  std::size_t body_limit = 8 * 1024;    // larger bodies get 413
  std::size_t header_limit = 8 * 1024;  // larger headers get 431... answered as 400
  std::chrono::seconds timeout{30};     // per TLS handshake, request read and response write
};

class Server {
 public:
  explicit Server(Logger& logger, int threads = 2);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; returns the bound port. Throws StartupError
  // (address in use, unreadable certificate, ...).
  std::uint16_t listen(const ListenerOptions& options, Handler handler);

  // Runs until SIGTERM or SIGINT (or stop()), then stops accepting, lets the
  // requests in flight finish (at most `drain` long) and returns.
  void run_until_signal(std::chrono::seconds drain = std::chrono::seconds(10));
  // Asks run_until_signal to return (thread-safe).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tte::http

#endif  // TTE_PLATFORM_HTTP_SERVER_HPP
