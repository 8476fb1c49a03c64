#include "device_gateway.hpp"

namespace tte::controller {

Result<Method> parse_method(std::string_view name) {
  if (name == "GET" || name == "get") return Method::get;
  if (name == "POST" || name == "post") return Method::post;
  if (name == "PUT" || name == "put") return Method::put;
  if (name == "DELETE" || name == "delete") return Method::del;
  return make_error(Errc::unsupported, "the method is GET, POST, PUT or DELETE");
}

}  // namespace tte::controller
