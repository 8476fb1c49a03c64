#include "http_peer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tte::test {

HttpPeer::HttpPeer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("bind failed");
  }
  socklen_t length = sizeof address;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
}

HttpPeer::~HttpPeer() {
  if (thread_.joinable()) {
    char stop = 1;
    (void)!::write(stop_pipe_[1], &stop, 1);
    thread_.join();
  }
  for (int client : held_)
    ::close(client);
  ::close(fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

void HttpPeer::listen(int status, std::string body, std::string required_token) {
  status_ = status;
  body_ = std::move(body);
  required_token_ = std::move(required_token);
  if (::listen(fd_, 16) != 0) throw std::runtime_error("listen failed");
  thread_ = std::thread([this] { serve(); });
}

std::vector<CapturedRequest> HttpPeer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool HttpPeer::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void HttpPeer::serve() {
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    answer(client);
    if (status_ == 0) {
      held_.push_back(client);
    } else {
      ::close(client);
    }
  }
}

void HttpPeer::answer(int client) {
  std::string data;
  char buffer[4096];
  auto read_more = [&] {
    pollfd fd{client, POLLIN, 0};
    if (::poll(&fd, 1, 10000) <= 0) return false;
    ssize_t n = ::read(client, buffer, sizeof buffer);
    if (n <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t end;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more()) return;
  }
  CapturedRequest request;
  std::size_t line_end = data.find("\r\n");
  std::string first = data.substr(0, line_end);
  std::size_t space1 = first.find(' '), space2 = first.rfind(' ');
  request.method = first.substr(0, space1);
  request.target = first.substr(space1 + 1, space2 - space1 - 1);
  std::size_t position = line_end + 2;
  while (position < end) {
    std::size_t next = data.find("\r\n", position);
    std::string line = data.substr(position, next - position);
    std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      std::size_t value = line.find_first_not_of(' ', colon + 1);
      request.headers[name] = value == std::string::npos ? "" : line.substr(value);
    }
    position = next + 2;
  }
  std::size_t length =
      request.headers.count("content-length") ? std::stoul(request.headers["content-length"]) : 0;
  while (data.size() < end + 4 + length) {
    if (!read_more()) return;
  }
  request.body = data.substr(end + 4, length);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  arrived_.notify_all();
  if (status_ == 0) return;  // silent
  int status = status_;
  std::string body = body_;
  if (!required_token_.empty() && request.headers["authorization"] != "Bearer " + required_token_) {
    status = 401;
    body =
        R"({"type":"about:blank","title":"Unauthorized","status":401,"detail":"wrong intake token"})";
  }
  std::string response =
      "HTTP/1.1 " + std::to_string(status) + " Answer\r\nContent-Type: application/json\r\n" +
      "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  (void)!::write(client, response.data(), response.size());
}

}  // namespace tte::test
