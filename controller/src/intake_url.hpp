// The intake URL the Controller gives installers (the `notify` of a controller
// code): where an Introducer sends message 6. Pure: no I/O.
#ifndef TTE_CONTROLLER_INTAKE_URL_HPP
#define TTE_CONTROLLER_INTAKE_URL_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace tte::controller {

// The default intake URL for the HTTP (tls false) or HTTPS listener at
// listener_host:port. A listener on a specific address is reached there. A
// listener on every address (0.0.0.0, ::) is reached at the host of
// coaps_public ("IP:PORT" or "[IPv6]:PORT", where Devices reach the
// Controller; installers are on the same network), or at fallback_host when
// coaps_public is empty. IPv6 hosts are bracketed.
std::string default_intake_url(std::string_view listener_host, std::uint16_t port, bool tls,
                               std::string_view coaps_public, std::string_view fallback_host);

}  // namespace tte::controller

#endif
