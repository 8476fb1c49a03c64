// The only translation unit with Beast's client side (compiling Beast is slow).
#include "tte/platform/http_client.hpp"

#include <openssl/err.h>
#include <sys/stat.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <utility>  // before Asio: Boost 1.74's headers use std::exchange

#include "tte/ascii.hpp"

namespace tte::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Target {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;  // with query
};

std::optional<Target> parse_url(const std::string& url) {
  Target target;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    target.tls = false;
    rest = url.substr(7);
  } else {
    return std::nullopt;
  }
  std::size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  target.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (target.path[0] == '?') target.path = "/" + target.path;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    target.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      target.port = authority.substr(close + 2);
  } else {
    std::size_t colon = authority.rfind(':');
    target.host = authority.substr(0, colon);
    if (colon != std::string::npos) target.port = authority.substr(colon + 1);
  }
  if (target.host.empty()) return std::nullopt;
  if (target.port.empty()) target.port = target.tls ? "443" : "80";
  return target;
}

FetchResult failed(FetchResult::Failure failure, std::string error) {
  FetchResult result;
  result.failure = failure;
  result.error = std::move(error);
  return result;
}

// The TLS context for one trust setting (a CA file, or the system's CAs), made
// once and shared: loading the system's CA bundle parses every certificate in
// it, which held the Controller's status poller to about 35 polls a second
// (docs/controller.md). A CA file is loaded again when its size or modification
// time changes. Connections on any thread may share an SSL_CTX once it is set up.
std::shared_ptr<ssl::context> tls_context(const std::optional<std::string>& ca_file,
                                          std::string* error) {
  struct Cached {
    std::shared_ptr<ssl::context> context;
    off_t size = -1;
    std::int64_t modified_ns = -1;
  };
  static std::mutex mutex;
  static std::map<std::string, Cached> cache;  // "" is the system's CAs
  const std::string key = ca_file ? "file:" + *ca_file : std::string();
  off_t size = -1;
  std::int64_t modified_ns = -1;
  if (ca_file) {
    struct stat info {};
    if (::stat(ca_file->c_str(), &info) == 0) {
      size = info.st_size;
      modified_ns =
          static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
    }
  }
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key);
      it != cache.end() && it->second.size == size && it->second.modified_ns == modified_ns)
    return it->second.context;
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (ca_file) {
    tls->load_verify_file(*ca_file, ec);
    if (ec) {
      *error = "cannot read the CA file " + *ca_file + ": " + ec.message();
      return nullptr;
    }
  } else {
    tls->set_default_verify_paths(ec);
  }
  tls->set_verify_mode(ssl::verify_peer);
  cache[key] = Cached{tls, size, modified_ns};
  return tls;
}

// The reason OpenSSL gives for a failed handshake ("certificate verify failed ...").
std::string tls_reason(const beast::error_code& ec, SSL* ssl) {
  std::string reason = ec.message();
  if (ssl) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
      reason += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
  }
  return reason;
}

// Runs one asynchronous operation to its end: the stream's expiry (Beast's
// tcp_stream) is what bounds it. Synchronous calls would ignore the expiry.
template <typename Start>
beast::error_code await(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  bool done = false;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  return result;
}

template <typename Stream>
FetchResult exchange(asio::io_context& io, Stream& stream, const std::string& method,
                     const Target& target, const Headers& headers, const std::string& body,
                     std::chrono::seconds timeout) {
  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target.path, 11};
  bool default_port = target.port == (target.tls ? "443" : "80");
  std::string host_header =
      target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host;
  request.set(bhttp::field::host, default_port ? host_header : host_header + ":" + target.port);
  request.set(bhttp::field::user_agent, "tte");
  for (const auto& [name, value] : headers)
    request.set(name, value);
  request.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT") request.prepare_payload();
  const std::string within = " within " + std::to_string(timeout.count()) + " s";
  beast::get_lowest_layer(stream).expires_after(timeout);
  beast::error_code ec =
      await(io, [&](auto handler) { bhttp::async_write(stream, request, std::move(handler)); });
  if (ec == beast::error::timeout)
    return failed(FetchResult::Failure::timeout, "the request could not be sent" + within);
  if (ec) return failed(FetchResult::Failure::protocol, "cannot send the request: " + ec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  // The same deadline covers the write and the whole answer.
  ec = await(io,
             [&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
  if (ec == beast::error::timeout)
    return failed(FetchResult::Failure::timeout, "no answer" + within);
  if (ec) return failed(FetchResult::Failure::protocol, "cannot read the answer: " + ec.message());
  FetchResult result;
  auto& message = parser.get();
  result.response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    result.response.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
  }
  result.response.body = std::move(message.body());
  return result;
}

}  // namespace

FetchResult fetch(const std::string& method, const std::string& url, const Headers& headers,
                  const std::string& body, const ClientOptions& options) {
  auto target = parse_url(url);
  if (!target) return failed(FetchResult::Failure::url, "not an http:// or https:// URL: " + url);
  std::string connect_host = target->host, connect_port = target->port;
  if (options.connect_to) {
    // HOST:PORT:ADDRESS:PORT; an empty HOST or PORT matches any.
    const std::string& rule = *options.connect_to;
    std::size_t a = rule.find(':'), b = rule.find(':', a + 1), c = rule.rfind(':');
    if (a == std::string::npos || b == std::string::npos || c <= b) {
      return failed(FetchResult::Failure::url,
                    "--connect-to must be HOST:PORT:ADDRESS:PORT, not " + rule);
    }
    std::string host = rule.substr(0, a), port = rule.substr(a + 1, b - a - 1);
    // Host names compare without case (tte-00000A.net is tte-00000a.net).
    if ((host.empty() || ascii::equals_ignoring_case(host, target->host)) &&
        (port.empty() || port == target->port)) {
      connect_host = rule.substr(b + 1, c - b - 1);
      if (!connect_host.empty() && connect_host.front() == '[')
        connect_host = connect_host.substr(1, connect_host.size() - 2);
      connect_port = rule.substr(c + 1);
    }
  }
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(connect_host, connect_port, ec);
  if (ec)
    return failed(FetchResult::Failure::resolve,
                  "cannot resolve " + connect_host + ": " + ec.message());

  auto connect = [&](beast::tcp_stream& tcp) -> std::optional<FetchResult> {
    tcp.expires_after(options.connect_timeout);
    beast::error_code e =
        await(io, [&](auto handler) { tcp.async_connect(endpoints, std::move(handler)); });
    if (e == beast::error::timeout) {
      return failed(FetchResult::Failure::connect,
                    "no connection to " + connect_host + ":" + connect_port + " within " +
                        std::to_string(options.connect_timeout.count()) + " s");
    }
    if (e) {
      return failed(FetchResult::Failure::connect,
                    "cannot connect to " + connect_host + ":" + connect_port + ": " + e.message());
    }
    return std::nullopt;
  };

  if (!target->tls) {
    beast::tcp_stream stream(io);
    if (auto failure = connect(stream)) return *failure;
    auto result = exchange(io, stream, method, *target, headers, body, options.timeout);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return result;
  }

  std::string tls_error;
  const std::shared_ptr<ssl::context> tls = tls_context(options.ca_file, &tls_error);
  if (!tls) return failed(FetchResult::Failure::tls, tls_error);
  beast::ssl_stream<beast::tcp_stream> stream(io, *tls);
  // The name on the certificate must be the URL's host (the draft's MUST).
  // The certificate must name the URL's host: an IP address literal is checked
  // against the IP entries of subjectAltName, a name against the DNS entries.
  std::string ip_literal = target->host;
  if (!ip_literal.empty() && ip_literal.front() == '[')
    ip_literal = ip_literal.substr(1, ip_literal.size() - 2);
  asio::ip::make_address(ip_literal, ec);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), ip_literal.c_str());
  } else {
    ec = {};
    SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str());
    X509_VERIFY_PARAM_set1_host(SSL_get0_param(stream.native_handle()), target->host.c_str(), 0);
  }
  if (auto failure = connect(beast::get_lowest_layer(stream))) return *failure;
  beast::get_lowest_layer(stream).expires_after(options.tls_timeout);
  ec = await(io, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (ec == beast::error::timeout) {
    return failed(FetchResult::Failure::connect,
                  "no TLS handshake with " + target->host + " within " +
                      std::to_string(options.tls_timeout.count()) + " s (nothing was sent)");
  }
  if (ec) {
    return failed(FetchResult::Failure::tls, "TLS with " + target->host + " failed: " +
                                                 tls_reason(ec, stream.native_handle()));
  }
  auto result = exchange(io, stream, method, *target, headers, body, options.timeout);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  // The peer may just close: not an error worth reporting.
  await(io, [&](auto handler) { stream.async_shutdown(std::move(handler)); });
  return result;
}

}  // namespace tte::http
