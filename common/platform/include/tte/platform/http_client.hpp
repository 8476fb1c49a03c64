// An HTTP/1.1 client (Boost.Beast; HTTPS with OpenSSL) for TTE's command-line
// tools: the Introducer talking to a MotherShip, the factory to an admin API,
// a Controller polling status. Certificates are verified against the system's
// CAs or a given CA file, and the name must match the URL's host.
#ifndef TTE_PLATFORM_HTTP_CLIENT_HPP
#define TTE_PLATFORM_HTTP_CLIENT_HPP

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "tte/platform/http.hpp"

namespace tte::http {

struct ClientOptions {
  std::optional<std::string> ca_file;  // trust only these CAs (PEM); default: the system's
  // Like curl's --connect-to: "HOST:PORT:ADDRESS:PORT" sends requests for HOST:PORT to
  // ADDRESS:PORT while still verifying the certificate for HOST.
  std::optional<std::string> connect_to;
  // Deadlines, each a failure of its own when it passes: the TCP connection,
  // the TLS handshake, and sending the request and reading the whole answer.
  // (Name resolution is bounded by the system resolver's own timeouts.)
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds tls_timeout{10};
  std::chrono::seconds timeout{30};
};

struct FetchResult {
  // connect: no connection, or no TLS handshake within its deadline (nothing
  // was sent); tls: the peer's certificate was refused (nothing was sent);
  // timeout: the request was sent but no whole answer came in time (it may
  // have been processed).
  enum class Failure { none, url, resolve, connect, tls, timeout, protocol };
  Failure failure = Failure::none;
  std::string error;  // what went wrong, for people (with the reason from OpenSSL or the system)
  Response response;  // when failure == none

  bool ok() const { return failure == Failure::none; }
};

// Sends one request (a new connection each time) and reads the whole response.
FetchResult fetch(const std::string& method, const std::string& url, const Headers& headers,
                  const std::string& body, const ClientOptions& options);

}  // namespace tte::http

#endif  // TTE_PLATFORM_HTTP_CLIENT_HPP
