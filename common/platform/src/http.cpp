#include "tte/platform/http.hpp"

#include <cstdlib>

#include "tte/ascii.hpp"

namespace tte::http {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (ascii::equals_ignoring_case(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

// The q-value the Accept header gives a media type (exact type, "type/*" or
// "*/*", the most specific match wins), 0 if none.
double quality_of(std::string_view accept, std::string_view type) {
  double best = 0;
  int best_specificity = -1;
  std::string_view major = type.substr(0, type.find('/'));
  while (!accept.empty()) {
    std::size_t comma = accept.find(',');
    std::string_view item = trim(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    std::size_t semicolon = item.find(';');
    std::string_view range = trim(item.substr(0, semicolon));
    double q = 1;
    while (semicolon != std::string_view::npos) {
      std::string_view rest = item.substr(semicolon + 1);
      semicolon = rest.find(';');
      std::string_view parameter = trim(rest.substr(0, semicolon));
      if (parameter.size() > 2 && (parameter[0] == 'q' || parameter[0] == 'Q') &&
          parameter[1] == '=') {
        q = std::strtod(std::string(parameter.substr(2)).c_str(), nullptr);
      }
      item = rest;
    }
    int specificity = -1;
    if (ascii::equals_ignoring_case(range, type)) {
      specificity = 2;
    } else if (range.size() == major.size() + 2 && ascii::starts_with_ignoring_case(range, major) &&
               range.substr(major.size()) == "/*") {
      specificity = 1;
    } else if (range == "*/*") {
      specificity = 0;
    }
    if (specificity > best_specificity) {
      best_specificity = specificity;
      best = q;
    }
  }
  return best;
}

}  // namespace

std::string_view Request::path() const {
  std::string_view view(target);
  return view.substr(0, view.find('?'));
}

std::string_view Request::query() const {
  std::string_view view(target);
  std::size_t question = view.find('?');
  return question == std::string_view::npos ? std::string_view() : view.substr(question + 1);
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  return find_header(headers, name);
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (ascii::equals_ignoring_case(key, name)) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  return find_header(headers, name);
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 303:
      return "See Other";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
  }
  return "Unknown";
}

bool prefers_html(const Request& request) {
  auto accept = request.header("Accept");
  if (!accept) return false;
  return quality_of(*accept, "text/html") > quality_of(*accept, "application/json");
}

Response make_response(int status, std::string content_type, std::string body) {
  Response response;
  response.status = status;
  response.set_header("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

}  // namespace tte::http
