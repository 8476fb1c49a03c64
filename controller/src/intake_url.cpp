#include "intake_url.hpp"

namespace tte::controller {
namespace {

bool is_wildcard(std::string_view host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

// "IP:PORT" or "[IPv6]:PORT" -> the IP, without brackets.
std::string_view host_of(std::string_view address) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return address;
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

std::string default_intake_url(std::string_view listener_host, std::uint16_t port, bool tls,
                               std::string_view coaps_public, std::string_view fallback_host) {
  if (listener_host.size() >= 2 && listener_host.front() == '[' && listener_host.back() == ']')
    listener_host = listener_host.substr(1, listener_host.size() - 2);
  std::string_view host = listener_host;
  if (is_wildcard(host)) {
    host = coaps_public.empty() ? fallback_host : host_of(coaps_public);
    if (is_wildcard(host)) host = fallback_host;
  }
  std::string url = tls ? "https://" : "http://";
  if (host.find(':') != std::string_view::npos) {
    url += "[";
    url += host;
    url += "]";
  } else {
    url += host;
  }
  return url + ":" + std::to_string(port);
}

}  // namespace tte::controller
