// lwIP on the MPS2 without an RTOS: the LAN9118 interface, a static address or
// DHCP (QEMU's user-mode network answers DHCP with 10.0.2.15 and routes
// 10.0.2.2 to the host's loopback), polled from the main loop.
#ifndef TTE_DEVICE_MPS2_NETWORK_HPP
#define TTE_DEVICE_MPS2_NETWORK_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include "tte/device/settings.hpp"

namespace tte::device::mps2 {

class Network {
 public:
  // Brings the interface up, with the settings' static address or DHCP.
  // False when there is no Ethernet controller.
  bool start(const DeviceSettings& settings);
  // Receives what arrived and runs lwIP's timers; returns the frames received.
  std::size_t poll();
  // Whether the interface has an address (at once when static; once DHCP bound).
  bool has_address() const;
  // The address, as text ("10.0.2.15").
  void address_text(char* out, std::size_t size) const;
  bool dhcp() const { return dhcp_; }

 private:
  bool dhcp_ = false;
};

Network& network();

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_NETWORK_HPP
