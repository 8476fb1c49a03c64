// The only translation unit with Beast's server side (compiling Beast is slow).
#include "tte/platform/http_server.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>
#include <utility>  // before Asio: Boost 1.74's headers use std::exchange

#include "tte/platform/startup_error.hpp"

namespace tte::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Sessions waiting for a request can be told to close when the server drains.
class IdleCloser {
 public:
  virtual ~IdleCloser() = default;
  virtual void close_if_idle() = 0;
};

struct SessionRegistry {
  std::mutex mutex;
  std::list<std::weak_ptr<IdleCloser>> sessions;

  void add(const std::shared_ptr<IdleCloser>& session) {
    std::lock_guard<std::mutex> lock(mutex);
    // Forget sessions that have ended, so the list stays the size of the live ones.
    sessions.remove_if([](const std::weak_ptr<IdleCloser>& weak) { return weak.expired(); });
    sessions.push_back(session);
  }
  void close_idle() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& weak : sessions) {
      if (auto session = weak.lock()) session->close_if_idle();
    }
  }
};

// What every session needs from the server: the handler, the limits, the log,
// and whether the server is shutting down.
struct ListenerState {
  ListenerOptions options;
  Handler handler;
  Logger* logger;
  std::shared_ptr<ssl::context> tls;
  std::atomic<bool>* draining;
  std::atomic<int>* active;
  SessionRegistry* registry;
};

bhttp::response<bhttp::string_body> to_beast(const Response& response, unsigned version,
                                             bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  out.reason(reason_phrase(response.status));
  out.set(bhttp::field::server, "tte");
  for (const auto& [name, value] : response.headers)
    out.insert(name, value);
  out.body() = response.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

Response plain_error(int status, const char* detail) {
  Response response = make_response(
      status, "application/problem+json",
      std::string("{\"type\":\"about:blank\",\"title\":\"") + reason_phrase(status) +
          "\",\"status\":" + std::to_string(status) + ",\"detail\":\"" + detail + "\"}");
  return response;
}

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <typename Stream>
class Session : public IdleCloser, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<ListenerState> state, std::string client)
      : stream_(std::move(stream)), state_(std::move(state)), client_(std::move(client)) {
    state_->active->fetch_add(1);
  }
  ~Session() { state_->active->fetch_sub(1); }

  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->reading_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

  void start() {
    state_->registry->add(this->shared_from_this());
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read_request();
    } else {
      beast::get_lowest_layer(stream_).expires_after(state_->options.timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // scanners and health checks: not worth a log line
                                self->read_request();
                              });
    }
  }

 private:
  void read_request() {
    if (state_->draining->load()) return close();
    parser_.emplace();
    parser_->body_limit(state_->options.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.header_limit));
    buffer_.consume(buffer_.size());
    beast::get_lowest_layer(stream_).expires_after(state_->options.timeout);
    reading_ = true;
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->reading_ = false;
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == ssl::error::stream_truncated) {
      return close();
    }
    started_ = Clock::now();
    if (ec) {
      // Malformed or oversized requests: answer once, then close.
      int status = ec == bhttp::error::body_limit ? 413 : 400;
      Response response =
          plain_error(status, status == 413 ? "request body too large" : "malformed HTTP request");
      request_.method = "?";
      request_.target = "?";
      return write(std::move(response), /*keep_alive=*/false);
    }
    auto& message = parser_->get();
    request_ = Request{};
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    for (const auto& field : message) {
      request_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request_.body = std::move(message.body());
    request_.client_address = client_;
    version_ = message.version();
    keep_alive_ = message.keep_alive();

    // The handler may answer from another thread: hop back onto this
    // connection's strand to write.
    auto self = this->shared_from_this();
    auto respond = [self](Response response) {
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->write(std::move(response), self->keep_alive_);
      });
    };
    try {
      state_->handler(request_, std::move(respond));
    } catch (const std::exception& e) {
      state_->logger->error("request handler threw",
                            {{"listener", state_->options.name}, {"error", e.what()}});
      write(plain_error(500, "internal error"), false);
    }
  }

  void write(Response response, bool keep_alive) {
    if (written_for_request_) return;
    written_for_request_ = true;
    log(response);
    response_ = std::make_shared<bhttp::response<bhttp::string_body>>(
        to_beast(response, version_, keep_alive && !state_->draining->load()));
    beast::get_lowest_layer(stream_).expires_after(state_->options.timeout);
    bhttp::async_write(stream_, *response_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         self->written_for_request_ = false;
                         if (ec || !self->response_->keep_alive()) return self->close();
                         self->read_request();
                       });
  }

  void log(const Response& response) {
    auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    std::vector<LogField> fields{
        {"listener", state_->options.name},
        {"client", client_},
        {"method", request_.method},
        {"path", std::string(request_.path())},
        {"status", response.status},
        {"bytes", static_cast<std::int64_t>(response.body.size())},
        {"ms", static_cast<double>(static_cast<std::int64_t>(elapsed * 100)) / 100}};
    // The query is never logged: it carries OTPs.
    fields.insert(fields.end(), response.log_fields.begin(), response.log_fields.end());
    state_->logger->log(LogLevel::info, "request", fields);
  }

  void close() {
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignore;
        beast::get_lowest_layer(self->stream_).socket().close(ignore);
      });
    }
  }

  Stream stream_;
  std::shared_ptr<ListenerState> state_;
  std::string client_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  Request request_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool written_for_request_ = false;
  bool reading_ = false;  // waiting for a request: safe to close when draining
  Clock::time_point started_ = Clock::now();
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, std::shared_ptr<ListenerState> state,
           const tcp::endpoint& endpoint)
      : io_(io), acceptor_(asio::make_strand(io)), state_(std::move(state)) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw StartupError("cannot listen on " + endpoint.address().to_string() + ":" +
                         std::to_string(endpoint.port()) + " (" + state_->options.name +
                         "): " + ec.message());
    }
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             if (ec == asio::error::operation_aborted || !self->acceptor_.is_open())
                               return;
                             if (!ec) self->start_session(std::move(socket));
                             self->accept();
                           });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void start_session(tcp::socket socket) {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    std::string client = remote.address().to_string();
    if (state_->tls) {
      using TlsStream = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Session<TlsStream>>(TlsStream(std::move(socket), *state_->tls), state_,
                                           client)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), state_,
                                                   client)
          ->start();
    }
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<ListenerState> state_;
};

}  // namespace

struct Server::Impl {
  explicit Impl(Logger& log, int thread_count)
      : logger(log), threads(thread_count), signals(io, SIGINT, SIGTERM) {}

  Logger& logger;
  int threads;
  asio::io_context io;
  // Registered at construction, so that a SIGTERM arriving before
  // run_until_signal() is queued instead of killing the process.
  asio::signal_set signals;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::atomic<bool> draining{false};
  std::atomic<int> active{0};
  SessionRegistry registry;
  std::mutex mutex;
  std::condition_variable stopped;
  bool stop_requested = false;
};

Server::Server(Logger& logger, int threads) : impl_(std::make_unique<Impl>(logger, threads)) {}

Server::~Server() {
  impl_->io.stop();
}

std::uint16_t Server::listen(const ListenerOptions& options, Handler handler) {
  auto state = std::make_shared<ListenerState>();
  state->options = options;
  state->handler = std::move(handler);
  state->logger = &impl_->logger;
  state->draining = &impl_->draining;
  state->active = &impl_->active;
  state->registry = &impl_->registry;
  if (options.tls) {
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    context->use_certificate_chain_file(options.tls->certificate_chain, ec);
    if (ec)
      throw StartupError("cannot load certificate " + options.tls->certificate_chain + ": " +
                         ec.message());
    context->use_private_key_file(options.tls->private_key, ssl::context::pem, ec);
    if (ec) throw StartupError("cannot load key " + options.tls->private_key + ": " + ec.message());
    state->tls = context;
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) throw StartupError("not an IP address: " + options.address + " (" + options.name + ")");
  auto listener =
      std::make_shared<Listener>(impl_->io, state, tcp::endpoint(address, options.port));
  listener->accept();
  impl_->listeners.push_back(listener);
  return listener->port();
}

void Server::stop() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->stop_requested = true;
  impl_->stopped.notify_all();
}

void Server::run_until_signal(std::chrono::seconds drain) {
  impl_->signals.async_wait([this](beast::error_code ec, int signal) {
    if (ec) return;
    impl_->logger.info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
  std::vector<std::thread> workers;
  for (int i = 0; i < impl_->threads; ++i)
    workers.emplace_back([this] { impl_->io.run(); });
  {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->stopped.wait(lock, [this] { return impl_->stop_requested; });
  }
  // Stop accepting; connections finish the request in flight and then close.
  impl_->draining = true;
  for (auto& listener : impl_->listeners)
    listener->stop();
  impl_->signals.cancel();
  impl_->registry.close_idle();
  auto deadline = Clock::now() + drain;
  while (impl_->active.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (impl_->active.load() > 0) {
    impl_->logger.warning("closing connections still open after the drain period",
                          {{"connections", impl_->active.load()}});
  }
  impl_->io.stop();
  for (auto& worker : workers)
    worker.join();
}

}  // namespace tte::http
