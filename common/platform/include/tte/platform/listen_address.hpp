// "ADDR:PORT" for a listener: "0.0.0.0:443", "127.0.0.1:0" (any free port), "[::]:5684".
#ifndef TTE_PLATFORM_LISTEN_ADDRESS_HPP
#define TTE_PLATFORM_LISTEN_ADDRESS_HPP

#include <cstdint>
#include <string>

namespace tte {

struct ListenAddress {
  std::string address;  // an IP literal, without brackets
  std::uint16_t port = 0;

  // Throws UsageError naming `option` on a malformed value.
  static ListenAddress parse(const std::string& text, const std::string& option);
  std::string to_string() const;  // brackets around IPv6
};

}  // namespace tte

#endif  // TTE_PLATFORM_LISTEN_ADDRESS_HPP
