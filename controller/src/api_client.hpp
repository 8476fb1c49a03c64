// A client of the Controller's HTTP API (docs/controller.md, "The HTTP API"),
// for `tte-controller device` and `binding`: where each request goes,
// and what each answer means, down to the exit status a command ends with.
// The URL building and the reading of answers are pure; ControllerApiClient
// sends the requests.
#ifndef TTE_CONTROLLER_API_CLIENT_HPP
#define TTE_CONTROLLER_API_CLIENT_HPP

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tte/platform/command_line.hpp"
#include "tte/platform/http_client.hpp"
#include "tte/platform/listen_address.hpp"

namespace tte::controller {

using ApiJson = nlohmann::ordered_json;

// Request targets. The URN, a binding's id and each segment of a resource
// path are percent-encoded; a path's '/' separate its segments.
std::string device_target(std::string_view urn);  // /api/v1/devices/URN
// /api/v1/devices/URN/resources/PATH
std::string resource_target(std::string_view urn, std::string_view path);
// /api/v1/devices/URN/observe/PATH?wait=W[&after=SEQ]: a long poll of W seconds
// for the notifications after SEQ.
std::string observe_target(std::string_view urn, std::string_view path, std::int64_t wait_seconds,
                           std::optional<std::uint64_t> after);
std::string binding_target(std::string_view id);  // /api/v1/bindings/ID

// The API's base URL for a client on the Controller's machine, from the HTTP
// listener's address: "http://127.0.0.1:8080" (one on every address is
// reached over loopback).
std::string local_api_url(const ListenAddress& http);

// What an answer means. When its status is one of `expected`: its JSON (an
// empty object if it had no body or no JSON). Otherwise a CommandFailure with
// the exit status of docs/controller.md ("Logs, signals, exit statuses"): 1
// the Controller cannot be reached
// or refused the token (401); 4 the device is not connected or did not answer
// (409, 502, 504); 3 any other refusal. Its message is the problem's detail
// (or the status) and "(HTTP n)".
struct ApiAnswer {
  ApiJson json = ApiJson::object();
  std::optional<CommandFailure> failure;
};
ApiAnswer interpret_answer(const http::FetchResult& result, std::initializer_list<int> expected);

// A device's answer or notification as text: its payload, "0x" and hex for a
// binary one, or empty when it had none.
std::string payload_text(const ApiJson& reply);

// How long `ControllerApiClient::follow` goes on.
struct FollowLimits {
  std::optional<std::int64_t> count;  // stop after this many values; absent: never
  std::optional<std::int64_t> wait;   // seconds without a value before giving up; absent: never
};

class ControllerApiClient {
 public:
  // base_url: "http://127.0.0.1:8080" or "https://ctl.example.net:8443" (a
  // trailing '/' is dropped); ca_file: trust this CA for https.
  ControllerApiClient(std::string base_url, std::string token,
                      std::optional<std::string> ca_file = std::nullopt);

  // Each throws the CommandFailure of interpret_answer when the Controller
  // does not answer as asked.
  ApiJson devices() const;                       // {"devices": [...]}
  ApiJson device(const std::string& urn) const;  // one device
  void remove_device(const std::string& urn) const;
  // A request to a device's resource over its DTLS session; the answer holds
  // the device's CoAP code ("2.05") and payload, even when that is an error.
  ApiJson request(const std::string& method, const std::string& urn, const std::string& path,
                  const std::string& body = "", const std::string& content_type = "") const;
  // Calls `each` with every new value of the resource (a notification: seq,
  // time, payload) until limits.count came. Throws CommandFailure 4 when
  // limits.wait seconds pass without one.
  void follow(const std::string& urn, const std::string& path, const FollowLimits& limits,
              const std::function<void(const ApiJson& notification)>& each) const;
  ApiJson bindings() const;  // {"bindings": [...]}
  // The new binding (its id, source, target).
  ApiJson add_binding(const std::string& source_urn, const std::string& source_path,
                      const std::string& target_urn, const std::string& target_path) const;
  void remove_binding(const std::string& id) const;

  const std::string& base_url() const { return base_url_; }

 private:
  ApiJson call(const std::string& method, const std::string& target,
               std::initializer_list<int> expected, const std::string& body = "",
               const std::string& content_type = "") const;

  std::string base_url_;
  std::string token_;
  http::ClientOptions options_;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_API_CLIENT_HPP
