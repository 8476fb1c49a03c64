#include "tte/platform/listen_address.hpp"

#include <charconv>

#include "tte/ip_address.hpp"
#include "tte/platform/command_line.hpp"

namespace tte {

ListenAddress ListenAddress::parse(const std::string& text, const std::string& option) {
  auto fail = [&](const std::string& why) -> ListenAddress {
    throw UsageError("--" + option + " " + text + ": " + why +
                     " (expected ADDR:PORT, e.g. 0.0.0.0:443 or [::]:443)");
  };
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail("malformed");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return fail("no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!IpAddress::parse(host).ok()) return fail("not an IP address");
  // from_chars: digits only (no sign, no spaces), and a number too large for
  // 16 bits is an error rather than an exception or a wrap.
  std::uint16_t number = 0;
  const char* end = port.data() + port.size();
  auto [rest, error] = std::from_chars(port.data(), end, number);
  if (port.empty() || error != std::errc() || rest != end) return fail("not a port (0-65535)");
  return ListenAddress{host, number};
}

std::string ListenAddress::to_string() const {
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

bool ListenAddress::on_every_address() const {
  return address == "0.0.0.0" || address == "::";
}

ListenAddress ListenAddress::reached_at(const std::string& host) const {
  return on_every_address() ? ListenAddress{host, port} : *this;
}

ListenAddress ListenAddress::on_this_machine() const {
  return reached_at(address == "::" ? "::1" : "127.0.0.1");
}

}  // namespace tte
