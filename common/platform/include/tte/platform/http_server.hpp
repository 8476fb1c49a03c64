// An HTTP/1.1 server (Boost.Beast, optionally over TLS with OpenSSL) running
// request handlers from tte/platform/http.hpp. All of Beast and Asio stays in
// http_server.cpp. One line is logged per request; pipelined requests are
// answered in order; HEAD is answered wherever GET is (the handler sees GET).
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

// What a listener decides from a request's headers, before its body is read:
// how many body bytes it may send, or a response that refuses it (the body is
// then never read and the connection closes). Tokens are checked here, so that
// nobody without one can make a server read a large body.
struct Admission {
  std::size_t body_limit = 0;
  std::optional<Response> refusal;

  static Admission allow(std::size_t body_limit) { return {body_limit, std::nullopt}; }
  static Admission refuse(Response response) { return {0, std::move(response)}; }
};
using Admit = std::function<Admission(const Request& head)>;

// A listener's budget (docs/operations.md, "Limits"): when it is spent, the
// server keeps serving whoever sends requests.
struct ListenerOptions {
  std::string name = "http";            // the "listener" field of each log line
  std::string address = "127.0.0.1";    // IPv4 or IPv6 literal
  std::uint16_t port = 0;               // 0: any free port (see the returned port)
  std::optional<TlsFiles> tls;          // absent: plain HTTP
  std::size_t body_limit = 8 * 1024;    // larger bodies get 413 (admit can lower it per request)
  std::size_t header_limit = 8 * 1024;  // larger headers get 431
  // Connections open at once. At the cap, the oldest connection that is idle
  // (in its TLS handshake or waiting for a request) is closed to make room;
  // when none is idle, the new connection is closed.
  std::size_t max_connections = 1024;
  // Connections open at once from one IP address; more are closed at once.
  std::size_t max_connections_per_client = 64;
  // The TLS handshake, and each request's headers (from the connection's
  // start or the previous answer): a connection that sends nothing is closed.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds timeout{30};  // a request's body, and writing its answer
  Admit admit;                       // absent: every request may send body_limit bytes
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
