// HTTP requests and responses as plain values, so that request handlers are
// pure functions tested without sockets. The Beast-based server and client
// (tte/platform/http_server.hpp, http_client.hpp) convert at the edge.
#ifndef TTE_PLATFORM_HTTP_HPP
#define TTE_PLATFORM_HTTP_HPP

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tte/platform/log.hpp"

namespace tte::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/path?query" as received
  Headers headers;
  std::string body;
  std::string client_address;  // the peer's IP address, for throttling and logs

  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', or empty
  // The first header of that name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Extra fields for the request's log line (never sent): "devid", "outcome", ...
  std::vector<LogField> log_fields;

  void set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
};

// The standard reason phrase of a status code ("Not Found").
const char* reason_phrase(int status);

// Handlers answer asynchronously: `respond` may be called from any thread, once.
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request, Respond)>;

// Whether the Accept header prefers text/html over application/json (what
// browsers send). A missing Accept header prefers JSON.
bool prefers_html(const Request& request);

// Builds a response with a body and its Content-Type.
Response make_response(int status, std::string content_type, std::string body);

// Pages escape text with tte::html_escape and fill their templates with
// tte::render_page (tte/host/page_template.hpp).

}  // namespace tte::http

#endif  // TTE_PLATFORM_HTTP_HPP
