#include "device_gateway.hpp"

namespace tte::controller {

Result<Method> parse_method(std::string_view name) {
  if (name == "GET" || name == "get") return Method::get;
  if (name == "POST" || name == "post") return Method::post;
  if (name == "PUT" || name == "put") return Method::put;
  if (name == "DELETE" || name == "delete") return Method::del;
  return make_error(Errc::unsupported, "the method is GET, POST, PUT or DELETE");
}

std::string coap_code_text(int code) {
  return std::to_string(code >> 5) + "." + (code % 32 < 10 ? "0" : "") + std::to_string(code % 32);
}

}  // namespace tte::controller
