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
  // "ADDR:PORT", with brackets around IPv6: the one host:port formatter.
  std::string to_string() const;

  // Whether it listens on every address (0.0.0.0 or ::).
  bool on_every_address() const;
  // Where a client reaches it: its own address, or `host` (an IP literal,
  // e.g. this host's address) when it listens on every address.
  ListenAddress reached_at(const std::string& host) const;
  // Where a client on this machine reaches it: one on every address at the
  // loopback address of its family (127.0.0.1, ::1).
  ListenAddress on_this_machine() const;
};

}  // namespace tte

#endif  // TTE_PLATFORM_LISTEN_ADDRESS_HPP
