// An independent HTTP/1.1 peer for multi-process tests, written on plain POSIX
// sockets (none of TTE's HTTP code): it stands in for a Controller's intake,
// records every request and answers each with a fixed status. Until listen()
// its port is bound but refuses connections, like a Controller that is down.
#ifndef TTE_TESTS_HTTP_PEER_HPP
#define TTE_TESTS_HTTP_PEER_HPP

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tte::test {

struct CapturedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class HttpPeer {
 public:
  HttpPeer();  // binds 127.0.0.1 on a free port, not yet accepting
  ~HttpPeer();
  HttpPeer(const HttpPeer&) = delete;
  HttpPeer& operator=(const HttpPeer&) = delete;

  // Starts accepting; every request gets `status` with `body` (JSON), except
  // that with a required token, a request without "Bearer <token>" gets 401.
  void listen(int status, std::string body = "{}", std::string required_token = "");
  // Starts accepting; reads and records each request but never answers (a
  // Controller that hangs), holding the connection open until destruction.
  void listen_silently() { listen(0); }
  std::uint16_t port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<CapturedRequest> requests() const;
  // Waits until at least n requests have arrived; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout);

 private:
  void serve();
  void answer(int client);

  int fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  int status_ = 201;
  std::string body_;
  std::string required_token_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<CapturedRequest> requests_;
  std::vector<int> held_;  // connections listen_silently() never answers
};

}  // namespace tte::test

#endif  // TTE_TESTS_HTTP_PEER_HPP
