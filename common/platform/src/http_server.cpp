// The only translation unit with Beast's server side (compiling Beast is slow).
#include "tte/platform/http_server.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <condition_variable>
#include <limits>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
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

// A connection as its listener's budget sees it: idle (in its TLS handshake or
// waiting for a request, so safe to close) or not, and whether it has been
// told to close already. Its place in the budget (client, list position) is
// the budget's, under its lock.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void close_if_idle() = 0;
  std::atomic<bool> idle{true};
  std::atomic<bool> closing{false};

 private:
  friend class Budget;
  std::string client_;
  std::list<std::weak_ptr<Connection>>::iterator place_;
  bool placed_ = false;
};

// One listener's connections, oldest first, counted in all and per client
// address. Sessions on any strand take and give back their places; the
// listener's strand alone admits new ones.
class Budget {
 public:
  enum class Verdict { admit, refuse_client, refuse_full };

  Budget(std::size_t max_connections, std::size_t max_per_client)
      : max_(max_connections), max_per_client_(max_per_client) {}

  // Whether a new connection from `client` may have a place (enlist() takes
  // it). At the cap, the oldest idle connection is told to close and its
  // place is freed at once, so that a flood of connections never crowds out
  // the newest ones while the closing ones wind down.
  Verdict take(const std::string& client) {
    Held held;  // released after the lock: a last reference runs a destructor that locks
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = per_client_.find(client);
    if (it != per_client_.end() && it->second >= max_per_client_) {
      ++refused_;
      return Verdict::refuse_client;
    }
    if (open_ >= max_) {
      std::shared_ptr<Connection> victim = oldest_idle(held);
      if (!victim) {
        ++refused_;
        return Verdict::refuse_full;
      }
      release_locked(*victim);
      ++evicted_;
    }
    return Verdict::admit;
  }

  // Takes the place take() allowed.
  void enlist(const std::shared_ptr<Connection>& c, const std::string& client) {
    std::lock_guard<std::mutex> lock(mutex_);
    c->client_ = client;
    c->place_ = connections_.insert(connections_.end(), c);
    c->placed_ = true;
    ++open_;
    ++per_client_[client];
  }

  // The connection has ended (or was evicted already: nothing to do).
  void release(Connection& c) {
    std::lock_guard<std::mutex> lock(mutex_);
    release_locked(c);
  }

  // Out of descriptors: the oldest idle connections make room.
  void shed_idle(std::size_t count) {
    Held held;
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < count; ++i) {
      std::shared_ptr<Connection> victim = oldest_idle(held);
      if (!victim) break;
      release_locked(*victim);
      ++evicted_;
    }
  }

  void close_idle() {
    Held held;
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& weak : connections_) {
      if (auto connection = weak.lock()) {
        connection->close_if_idle();
        held.push_back(std::move(connection));
      }
    }
  }

  std::size_t open() {
    std::lock_guard<std::mutex> lock(mutex_);
    return open_;
  }

  // Refused and evicted connections since the last call.
  std::pair<std::uint64_t, std::uint64_t> take_counts() {
    std::lock_guard<std::mutex> lock(mutex_);
    auto counts = std::make_pair(refused_, evicted_);
    refused_ = evicted_ = 0;
    return counts;
  }

 private:
  // Connections locked while mutex_ is held: the last reference to a session
  // must not go inside the lock, since its destructor gives its place back.
  using Held = std::vector<std::shared_ptr<Connection>>;

  void release_locked(Connection& c) {
    if (!c.placed_) return;
    c.placed_ = false;
    connections_.erase(c.place_);
    --open_;
    auto it = per_client_.find(c.client_);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  }

  std::shared_ptr<Connection> oldest_idle(Held& held) {
    for (auto& weak : connections_) {
      auto connection = weak.lock();
      if (!connection) continue;
      held.push_back(connection);
      if (connection->idle.load() && !connection->closing.exchange(true)) {
        connection->close_if_idle();
        return connection;
      }
    }
    return nullptr;
  }

  std::mutex mutex_;
  const std::size_t max_, max_per_client_;
  std::size_t open_ = 0;
  std::unordered_map<std::string, std::size_t> per_client_;
  std::list<std::weak_ptr<Connection>> connections_;
  std::uint64_t refused_ = 0, evicted_ = 0;
};

// What every session needs from the server: the handler, the limits, the log,
// and whether the server is shutting down.
struct ListenerState {
  ListenerState(ListenerOptions o)
      : options(std::move(o)),
        budget(options.max_connections, options.max_connections_per_client) {}
  ListenerOptions options;
  Handler handler;
  Logger* logger;
  std::shared_ptr<ssl::context> tls;
  std::atomic<bool>* draining;
  std::atomic<int>* active;
  std::atomic<int>* peak;  // the most connections open at once since the last trim
  Budget budget;
};

bhttp::response<bhttp::string_body> to_beast(const Response& response, unsigned version,
                                             bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  out.reason(reason_phrase(response.status));
  out.set(bhttp::field::server, "tte");
  for (const auto& [name, value] : response.headers)
    out.insert(name, value);
  out.body() = response.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  // HEAD: the headers GET would send, Content-Length included, and no body.
  if (head) out.body().clear();
  return out;
}

Response plain_error(int status, const char* detail) {
  Response response = make_response(
      status, "application/problem+json",
      std::string("{\"type\":\"about:blank\",\"title\":\"") + reason_phrase(status) +
          "\",\"status\":" + std::to_string(status) + ",\"detail\":\"" + detail + "\"}");
  return response;
}

bool is_100_continue(std::string_view value) {
  constexpr std::string_view kContinue = "100-continue";
  if (value.size() != kContinue.size()) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kContinue[i]) return false;
  }
  return true;
}

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <typename Stream>
class Session : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, std::shared_ptr<ListenerState> state, std::string client)
      : stream_(std::move(stream)), state_(std::move(state)), client_(std::move(client)) {
    int open = state_->active->fetch_add(1) + 1;
    int peak = state_->peak->load();
    while (open > peak && !state_->peak->compare_exchange_weak(peak, open)) {
    }
  }
  ~Session() override {
    state_->budget.release(*this);
    state_->active->fetch_sub(1);
  }

  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle.load()) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

  void start() {
    state_->budget.enlist(this->shared_from_this(), client_);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read_request();
    } else {
      beast::get_lowest_layer(stream_).expires_after(state_->options.header_timeout);
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
    // The body's limit is set once the headers are in (on_header): a large
    // Content-Length without a token gets 401, not 413.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.header_limit));
    head_ = false;
    // Bytes already read belong to the next, pipelined, request: the new
    // parser starts on them.
    idle = buffer_.size() == 0;
    beast::get_lowest_layer(stream_).expires_after(state_->options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->idle = false;
                               self->on_header(ec);
                             });
  }

  static bool ended(beast::error_code ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
           ec == beast::error::timeout || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == ssl::error::stream_truncated;
  }

  // Malformed or oversized requests: answer once, then close.
  void refuse_malformed(beast::error_code ec) {
    body_left_unread_ = true;
    int status = ec == bhttp::error::body_limit     ? 413
                 : ec == bhttp::error::header_limit ? 431
                                                    : 400;
    const char* detail = status == 413   ? "request body too large"
                         : status == 431 ? "request headers too large"
                                         : "malformed HTTP request";
    if (request_.method.empty()) request_.method = "?";
    if (request_.target.empty()) request_.target = "?";
    write(plain_error(status, detail), /*keep_alive=*/false);
  }

  void on_header(beast::error_code ec) {
    if (ended(ec)) return close();
    started_ = Clock::now();
    request_ = Request{};
    if (ec) return refuse_malformed(ec);
    auto& message = parser_->get();
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    for (const auto& field : message) {
      request_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request_.client_address = client_;
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    if (request_.method == "HEAD") {
      head_ = true;
      request_.method = "GET";
    }
    std::size_t body_limit = state_->options.body_limit;
    if (state_->options.admit) {
      Admission admission;
      try {
        admission = state_->options.admit(request_);
      } catch (const std::exception& e) {
        state_->logger->error("request admission threw",
                              {{"listener", state_->options.name}, {"error", e.what()}});
        admission = Admission::refuse(plain_error(500, "internal error"));
      }
      if (admission.refusal) {
        // The body is never read: answer, and close.
        body_left_unread_ = !parser_->is_done();
        return write(std::move(*admission.refusal), /*keep_alive=*/parser_->is_done());
      }
      body_limit = std::min(admission.body_limit, body_limit);
    }
    if (auto length = parser_->content_length(); length && *length > body_limit)
      return refuse_malformed(bhttp::error::body_limit);
    parser_->body_limit(body_limit);
    if (parser_->is_done()) return dispatch();
    if (auto expect = request_.header("Expect"); expect && is_100_continue(*expect)) {
      // The client waits for this before it sends the body (curl does for large ones).
      continue_ =
          std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, version_);
      beast::get_lowest_layer(stream_).expires_after(state_->options.timeout);
      return bhttp::async_write(
          stream_, *continue_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
            if (e) return self->close();
            self->read_body();
          });
    }
    read_body();
  }

  void read_body() {
    beast::get_lowest_layer(stream_).expires_after(state_->options.timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ended(ec)) return self->close();
                        if (ec) return self->refuse_malformed(ec);
                        self->dispatch();
                      });
  }

  void dispatch() {
    request_.body = std::move(parser_->get().body());
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
        to_beast(response, version_, keep_alive && !state_->draining->load(), head_));
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
        {"method", head_ ? std::string("HEAD") : request_.method},
        {"path", std::string(request_.path())},
        {"status", response.status},
        {"bytes", static_cast<std::int64_t>(response.body.size())},
        {"ms", static_cast<double>(static_cast<std::int64_t>(elapsed * 100)) / 100}};
    // The query is never logged: it carries OTPs.
    fields.insert(fields.end(), response.log_fields.begin(), response.log_fields.end());
    state_->logger->log(LogLevel::info, "request", fields);
  }

  void close() {
    idle = false;
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      // A body left unread would make close() send a reset, which can destroy
      // the answer before the client reads it: read and drop a little first.
      // (Not for idle or timed-out connections: their descriptors go at once.)
      if (body_left_unread_) linger();
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignore;
        beast::get_lowest_layer(self->stream_).socket().close(ignore);
      });
    }
  }

  void linger() {
    if (lingered_ >= 256 * 1024) return;
    if (!scratch_) scratch_ = std::make_shared<std::array<char, 16 * 1024>>();
    stream_.expires_after(std::chrono::seconds(1));
    stream_.async_read_some(asio::buffer(*scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return;
                              self->lingered_ += n;
                              self->linger();
                            });
  }

  Stream stream_;
  std::shared_ptr<ListenerState> state_;
  std::string client_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  std::shared_ptr<bhttp::response<bhttp::empty_body>> continue_;
  std::shared_ptr<std::array<char, 16 * 1024>> scratch_;
  std::size_t lingered_ = 0;
  bool body_left_unread_ = false;
  Request request_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool written_for_request_ = false;
  Clock::time_point started_ = Clock::now();
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, std::shared_ptr<ListenerState> state,
           const tcp::endpoint& endpoint)
      : io_(io),
        acceptor_(asio::make_strand(io)),
        retry_(acceptor_.get_executor()),
        state_(std::move(state)) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) acceptor_.native_non_blocking(true, ec);
    if (ec) {
      throw StartupError("cannot listen on " + endpoint.address().to_string() + ":" +
                         std::to_string(endpoint.port()) + " (" + state_->options.name +
                         "): " + ec.message());
    }
    spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  ~Listener() {
    if (spare_ >= 0) ::close(spare_);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                             if (ec == asio::error::operation_aborted || !self->acceptor_.is_open())
                               return;
                             self->report_floods();
                             if (ec == asio::error::no_descriptors)
                               return self->out_of_descriptors();
                             if (!ec) self->start_session(std::move(socket));
                             self->accept();
                           });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

  Budget& budget() { return state_->budget; }

 private:
  // EMFILE/ENFILE: the oldest idle connections are closed to make room, the
  // spare descriptor lets one waiting connection be accepted and closed (so
  // that a client is told rather than left hanging), and accepting pauses
  // briefly instead of spinning on the error.
  void out_of_descriptors() {
    ++descriptor_shortages_;
    state_->budget.shed_idle(16);
    if (spare_ >= 0) {
      ::close(spare_);
      int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) ::close(fd);
      spare_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    retry_.expires_after(std::chrono::milliseconds(20));
    retry_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->acceptor_.is_open()) self->accept();
    });
  }

  // One summary line per 10 s at most, not one per connection.
  void report_floods() {
    auto now = Clock::now();
    if (now - last_report_ < std::chrono::seconds(10)) return;
    auto [refused, evicted] = state_->budget.take_counts();
    if (refused == 0 && evicted == 0 && descriptor_shortages_ == 0) return;
    last_report_ = now;
    state_->logger->warning(
        "connection budget reached",
        {{"listener", state_->options.name},
         {"refused", static_cast<std::int64_t>(refused)},
         {"idle_closed", static_cast<std::int64_t>(evicted)},
         {"out_of_descriptors", static_cast<std::int64_t>(descriptor_shortages_)},
         {"open", static_cast<std::int64_t>(state_->budget.open())},
         {"max_connections", static_cast<std::int64_t>(state_->options.max_connections)}});
    descriptor_shortages_ = 0;
  }

  void start_session(tcp::socket socket) {
    beast::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    std::string client = remote.address().to_string();
    if (state_->budget.take(client) != Budget::Verdict::admit) {
      socket.close(ec);
      return;
    }
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
  asio::steady_timer retry_;
  std::shared_ptr<ListenerState> state_;
  int spare_ = -1;
  std::uint64_t descriptor_shortages_ = 0;
  Clock::time_point last_report_{};
};

// Lets the process open as many descriptors as its hard limit allows.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

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
  std::atomic<int> peak{0};
  std::size_t committed_connections = 0;  // the listeners' max_connections so far
  std::mutex mutex;
  std::condition_variable stopped;
  bool stop_requested = false;
};

Server::Server(Logger& logger, int threads) : impl_(std::make_unique<Impl>(logger, threads)) {
  raise_descriptor_limit();
}

Server::~Server() {
  impl_->io.stop();
}

std::uint16_t Server::listen(const ListenerOptions& requested, Handler handler) {
  // Every listener's connections must fit in the process's descriptors, with
  // room for the rest (databases, sockets, files): a cap above that would end
  // in EMFILE instead of closing idle connections.
  ListenerOptions options = requested;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const std::size_t reserve = 64 + impl_->committed_connections;
    const std::size_t available =
        limit.rlim_cur > reserve + 16 ? static_cast<std::size_t>(limit.rlim_cur) - reserve : 16;
    if (options.max_connections > available) {
      impl_->logger.warning("fewer connections than asked: the descriptor limit is lower",
                            {{"listener", options.name},
                             {"max_connections", static_cast<std::int64_t>(available)},
                             {"asked", static_cast<std::int64_t>(options.max_connections)},
                             {"descriptors", static_cast<std::int64_t>(limit.rlim_cur)}});
      options.max_connections = available;
    }
  }
  impl_->committed_connections += options.max_connections;
  auto state = std::make_shared<ListenerState>(options);
  state->handler = std::move(handler);
  state->logger = &impl_->logger;
  state->draining = &impl_->draining;
  state->active = &impl_->active;
  state->peak = &impl_->peak;
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
    // An idle connection holds no TLS record buffers (about 34 KiB each otherwise).
    SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
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
    // While serving: after a flood of connections has gone, give the memory
    // it took back to the system (glibc keeps freed memory otherwise).
    std::unique_lock<std::mutex> lock(impl_->mutex);
    while (!impl_->stopped.wait_for(lock, std::chrono::seconds(2),
                                    [this] { return impl_->stop_requested; })) {
      int now = impl_->active.load();
      if (impl_->peak.load() >= 256 && now <= impl_->peak.load() / 4) {
        ::malloc_trim(0);
        impl_->peak = now;
      }
    }
  }
  // Stop accepting; connections finish the request in flight and then close.
  impl_->draining = true;
  for (auto& listener : impl_->listeners)
    listener->stop();
  impl_->signals.cancel();
  for (auto& listener : impl_->listeners)
    listener->budget().close_idle();
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
