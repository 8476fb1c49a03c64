// The MPS2's Ethernet controller, an SMSC LAN9118 at 0x40200000, as an lwIP
// network interface: polled (no interrupts), one frame at a time through the
// controller's FIFOs. Registers as in the LAN9118 data sheet (SMSC, rev. 1.5)
// and QEMU's model of it (hw/net/lan9118.c). A port to another board replaces
// this file with that board's Ethernet (or Wi-Fi) driver.
#ifndef TTE_DEVICE_MPS2_LAN9118_HPP
#define TTE_DEVICE_MPS2_LAN9118_HPP

#include <cstddef>

struct netif;

namespace tte::device::mps2::lan9118 {

// lwIP's netif init function (netif_add's `init`). ERR_IF when no LAN9118 answers.
signed char init(netif* interface);
// Hands every received frame to lwIP; returns how many there were.
std::size_t poll(netif* interface);

}  // namespace tte::device::mps2::lan9118

#endif  // TTE_DEVICE_MPS2_LAN9118_HPP
