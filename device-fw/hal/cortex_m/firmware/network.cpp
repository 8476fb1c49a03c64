#include "network.hpp"

#include "clock.hpp"
#include "lan9118.hpp"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

namespace tte::device::mps2 {
namespace {

netif g_interface;
Network g_network;

ip4_addr_t ip4_of(const std::array<std::uint8_t, 4>& bytes) {
  ip4_addr_t address;
  IP4_ADDR(&address, bytes[0], bytes[1], bytes[2], bytes[3]);
  return address;
}

}  // namespace

Network& network() {
  return g_network;
}

bool Network::start(const DeviceSettings& settings) {
  lwip_init();
  ip4_addr_t address, mask, gateway;
  ip4_addr_set_zero(&address);
  ip4_addr_set_zero(&mask);
  ip4_addr_set_zero(&gateway);
  dhcp_ = settings.dhcp;
  if (!dhcp_) {
    address = ip4_of(settings.address);
    gateway = ip4_of(settings.gateway);
    const std::uint32_t bits =
        settings.prefix_length >= 32 ? 0xffffffffu : ~(0xffffffffu >> settings.prefix_length);
    ip4_addr_set_u32(&mask, lwip_htonl(bits));
  }
  if (!netif_add(&g_interface, &address, &mask, &gateway, nullptr, lan9118::init, ethernet_input)) {
    return false;
  }
  netif_set_default(&g_interface);
  netif_set_up(&g_interface);
  netif_set_link_up(&g_interface);
  if (dhcp_) return dhcp_start(&g_interface) == ERR_OK;
  return true;
}

std::size_t Network::poll() {
  const std::size_t frames = lan9118::poll(&g_interface);
  sys_check_timeouts();
  return frames;
}

bool Network::has_address() const {
  return !ip4_addr_isany_val(*netif_ip4_addr(&g_interface));
}

void Network::address_text(char* out, std::size_t size) const {
  ip4addr_ntoa_r(netif_ip4_addr(&g_interface), out, static_cast<int>(size));
}

}  // namespace tte::device::mps2

// lwIP's clock (NO_SYS): milliseconds.
extern "C" u32_t sys_now() {
  return static_cast<u32_t>(tte::device::mps2::clock().now());
}
