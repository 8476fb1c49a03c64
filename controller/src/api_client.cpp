#include "api_client.hpp"

#include <algorithm>
#include <chrono>

#include "tte/query.hpp"

namespace tte::controller {
namespace {

// Long polls last up to 300 s (the API's limit); the client asks for 30 s at a time.
constexpr std::int64_t kPollSeconds = 30;
constexpr std::chrono::seconds kAnswerTimeout{330};

std::string segment(std::string_view text) {
  std::string out;
  append_percent_encoded(out, text, PercentSet::path_segment);
  return out;
}

// "/a/b" (or "a/b") -> "/a/b" with each segment percent-encoded.
std::string encoded_path(std::string_view path) {
  std::string out;
  std::size_t start = !path.empty() && path[0] == '/' ? 1 : 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    out += '/';
    out += segment(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string device_target(std::string_view urn) {
  return "/api/v1/devices/" + segment(urn);
}

std::string resource_target(std::string_view urn, std::string_view path) {
  return device_target(urn) + "/resources" + encoded_path(path);
}

std::string observe_target(std::string_view urn, std::string_view path, std::int64_t wait_seconds,
                           std::optional<std::uint64_t> after) {
  return device_target(urn) + "/observe" + encoded_path(path) +
         "?wait=" + std::to_string(wait_seconds) +
         (after ? "&after=" + std::to_string(*after) : "");
}

std::string binding_target(std::string_view id) {
  return "/api/v1/bindings/" + segment(id);
}

std::string local_api_url(const ListenAddress& http) {
  return "http://" + http.on_this_machine().to_string();
}

ApiAnswer interpret_answer(const http::FetchResult& result, std::initializer_list<int> expected) {
  ApiAnswer answer;
  if (!result.ok()) {
    answer.failure = CommandFailure{1, "cannot reach the Controller: " + result.error};
    return answer;
  }
  const int status = result.response.status;
  auto json = result.response.body.empty() ? ApiJson::object()
                                           : ApiJson::parse(result.response.body, nullptr, false);
  if (std::find(expected.begin(), expected.end(), status) != expected.end()) {
    if (!json.is_discarded()) answer.json = std::move(json);
    return answer;
  }
  std::string detail = "HTTP " + std::to_string(status);
  if (!json.is_discarded() && json.is_object() && json.contains("detail") &&
      json["detail"].is_string()) {
    detail = json["detail"].get<std::string>();
  }
  const int exit_status = status == 409 || status == 502 || status == 504 ? 4
                          : status == 401                                 ? 1
                                                                          : 3;
  answer.failure = CommandFailure{exit_status, detail + " (HTTP " + std::to_string(status) + ")"};
  return answer;
}

std::string payload_text(const ApiJson& reply) {
  if (!reply.is_object()) return "";
  if (reply.contains("payload") && reply["payload"].is_string())
    return reply["payload"].get<std::string>();
  if (reply.contains("payload_hex") && reply["payload_hex"].is_string())
    return "0x" + reply["payload_hex"].get<std::string>();
  return "";
}

ControllerApiClient::ControllerApiClient(std::string base_url, std::string token,
                                         std::optional<std::string> ca_file)
    : base_url_(std::move(base_url)), token_(std::move(token)) {
  while (!base_url_.empty() && base_url_.back() == '/')
    base_url_.pop_back();
  options_.ca_file = std::move(ca_file);
  options_.timeout = kAnswerTimeout;
}

ApiJson ControllerApiClient::call(const std::string& method, const std::string& target,
                                  std::initializer_list<int> expected, const std::string& body,
                                  const std::string& content_type) const {
  http::Headers headers{{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  ApiAnswer answer =
      interpret_answer(http::fetch(method, base_url_ + target, headers, body, options_), expected);
  if (answer.failure) throw *answer.failure;
  return std::move(answer.json);
}

ApiJson ControllerApiClient::devices() const {
  return call("GET", "/api/v1/devices", {200});
}

ApiJson ControllerApiClient::device(const std::string& urn) const {
  return call("GET", device_target(urn), {200});
}

void ControllerApiClient::remove_device(const std::string& urn) const {
  call("DELETE", device_target(urn), {204});
}

ApiJson ControllerApiClient::request(const std::string& method, const std::string& urn,
                                     const std::string& path, const std::string& body,
                                     const std::string& content_type) const {
  return call(method, resource_target(urn, path), {200}, body, content_type);
}

void ControllerApiClient::follow(const std::string& urn, const std::string& path,
                                 const FollowLimits& limits,
                                 const std::function<void(const ApiJson&)>& each) const {
  std::int64_t seen = 0;
  std::optional<std::uint64_t> after;
  auto last_value = std::chrono::steady_clock::now();
  while (!limits.count || seen < *limits.count) {
    std::int64_t poll = kPollSeconds;
    if (limits.wait) {
      const std::int64_t left = *limits.wait - std::chrono::duration_cast<std::chrono::seconds>(
                                                   std::chrono::steady_clock::now() - last_value)
                                                   .count();
      if (left <= 0)
        throw CommandFailure{4, "no new value within " + std::to_string(*limits.wait) + " s"};
      poll = std::min(poll, left);
    }
    ApiJson reply = call("GET", observe_target(urn, path, poll, after), {200});
    if (!reply.contains("notifications") || !reply["notifications"].is_array()) continue;
    for (const auto& notification : reply["notifications"]) {
      after = notification["seq"].get<std::uint64_t>();
      each(notification);
      last_value = std::chrono::steady_clock::now();
      if (limits.count && ++seen >= *limits.count) break;
    }
  }
}

ApiJson ControllerApiClient::bindings() const {
  return call("GET", "/api/v1/bindings", {200});
}

ApiJson ControllerApiClient::add_binding(const std::string& source_urn,
                                         const std::string& source_path,
                                         const std::string& target_urn,
                                         const std::string& target_path) const {
  ApiJson body{{"source", {{"urn", source_urn}, {"path", source_path}}},
               {"target", {{"urn", target_urn}, {"path", target_path}}}};
  return call("POST", "/api/v1/bindings", {201}, body.dump(), "application/json");
}

void ControllerApiClient::remove_binding(const std::string& id) const {
  call("DELETE", binding_target(id), {204});
}

}  // namespace tte::controller
