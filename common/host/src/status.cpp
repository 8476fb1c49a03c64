#include "tte/host/status.hpp"

namespace tte {

std::string coap_code_text(int code) {
  return std::to_string(code >> 5) + "." + (code % 32 < 10 ? "0" : "") + std::to_string(code % 32);
}

WireStatus wire_status(Errc code) {
  switch (code) {
    case Errc::syntax:
    case Errc::out_of_range:
    case Errc::reserved:
    case Errc::missing:
    case Errc::checksum:
      return {400, "Bad Request", coap_code::bad_request};
    case Errc::duplicate:
      return {409, "Conflict", coap_code::bad_request};
    case Errc::too_long:
      return {413, "Content Too Large", coap_code::too_large};
    case Errc::unsupported:
      return {415, "Unsupported Media Type", coap_code::unsupported_format};
    case Errc::not_found:
      return {404, "Not Found", coap_code::not_found};
    case Errc::forbidden:
      return {403, "Forbidden", coap_code::forbidden};
    case Errc::already_used:
      return {409, "Conflict", coap_code::forbidden};
    case Errc::revoked:
      return {410, "Gone", coap_code::forbidden};
    case Errc::throttled:
      return {429, "Too Many Requests", coap_code::service_unavailable};
    case Errc::unavailable:
    case Errc::io:
      return {503, "Service Unavailable", coap_code::service_unavailable};
    case Errc::crypto:
    case Errc::internal:
      return {500, "Internal Server Error", coap_code::internal_error};
  }
  return {500, "Internal Server Error", coap_code::internal_error};
}

}  // namespace tte
