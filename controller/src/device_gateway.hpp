// How the HTTP side of the Controller reaches Devices: requests to their
// resources, observations, bindings. CoapServer is the real one; unit tests
// of the API use a fake.
#ifndef TTE_CONTROLLER_DEVICE_GATEWAY_HPP
#define TTE_CONTROLLER_DEVICE_GATEWAY_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tte/host/status.hpp"
#include "tte/result.hpp"

namespace tte::controller {

enum class Method : std::uint8_t { get = 1, post = 2, put = 3, del = 4 };
Result<Method> parse_method(std::string_view name);

struct DeviceRequest {
  std::string urn;
  Method method = Method::get;
  std::string path;  // "/light"
  std::string payload;
  std::optional<unsigned> content_format;
  std::optional<unsigned> accept;
};

struct DeviceReply {
  enum class Failure { none, unknown_device, not_connected, timeout, refused, failed };
  Failure failure = Failure::none;
  std::string error;  // for people, with failure
  int code = 0;       // CoAP code (class * 32 + detail), with Failure::none
  std::optional<unsigned> content_format;
  std::string payload;
};
// (A Device's answer in several Block2 blocks is a failure: the Controller
// does not fetch the rest, and never hands on half of it.)

class DeviceGateway {
 public:
  virtual ~DeviceGateway() = default;
  // Thread-safe. `done` may run on another thread and must not block.
  virtual void request(DeviceRequest request, std::function<void(DeviceReply)> done) = 0;
  // Thread-safe: keep the resource observed while the Device is registered;
  // notifications go to Observations.
  virtual void observe(const std::string& urn, const std::string& path) = 0;
  // Thread-safe: the bindings changed.
  virtual void bindings_changed() = 0;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_DEVICE_GATEWAY_HPP
