#include "lan9118.hpp"

#include <cstdint>

#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

namespace tte::device::mps2::lan9118 {
namespace {

constexpr std::uintptr_t kBase = 0x40200000;
volatile std::uint32_t& reg(std::uintptr_t offset) {
  return *reinterpret_cast<volatile std::uint32_t*>(kBase + offset);
}
// System registers.
constexpr std::uintptr_t kRxData = 0x00, kTxData = 0x20, kRxStatus = 0x40, kTxStatus = 0x48,
                         kIntEnable = 0x5c, kByteTest = 0x64, kTxConfig = 0x70, kHwConfig = 0x74,
                         kRxFifoInfo = 0x7c, kTxFifoInfo = 0x80, kPowerControl = 0x84,
                         kMacCsrCommand = 0xa4, kMacCsrData = 0xa8;
// MAC registers, reached through MAC_CSR_CMD/DATA.
constexpr std::uint32_t kMacControl = 1, kMacAddressHigh = 2, kMacAddressLow = 3;
constexpr std::uint32_t kCsrBusy = 1u << 31, kCsrRead = 1u << 30;
constexpr std::uint32_t kMacTxEnable = 1u << 3, kMacRxEnable = 1u << 2;
constexpr std::uint32_t kRxErrorSummary = 1u << 15;
constexpr std::size_t kMaxFrame = 1514;  // without the FCS
// Bounded waits: a controller that never gets ready must not hang the Device.
constexpr int kSpins = 100'000;

bool mac_wait() {
  for (int i = 0; i < kSpins; ++i) {
    if (!(reg(kMacCsrCommand) & kCsrBusy)) return true;
  }
  return false;
}

std::uint32_t mac_read(std::uint32_t mac_register) {
  reg(kMacCsrCommand) = kCsrBusy | kCsrRead | mac_register;
  return mac_wait() ? reg(kMacCsrData) : 0;
}

bool mac_write(std::uint32_t mac_register, std::uint32_t value) {
  reg(kMacCsrData) = value;
  reg(kMacCsrCommand) = kCsrBusy | mac_register;
  return mac_wait();
}

// Frames go through word-aligned buffers: the FIFOs move 32-bit words.
std::uint32_t g_frame[(kMaxFrame + 4 + 3) / 4];

err_t output(netif*, pbuf* packet) {
  const std::uint32_t length = packet->tot_len;
  if (length > kMaxFrame) return ERR_BUF;
  pbuf_copy_partial(packet, g_frame, static_cast<u16_t>(length), 0);
  // The FIFO takes whole words: the frame rounded up, and the two command words.
  const std::uint32_t words = (length + 3) / 4;
  int spins = 0;
  while ((reg(kTxFifoInfo) & 0xffff) < 4 * words + 8) {
    if (++spins == kSpins) return ERR_IF;
  }
  reg(kTxData) = (1u << 13) | (1u << 12) | length;  // command A: first and last segment
  reg(kTxData) = length;                            // command B: the frame's length
  for (std::uint32_t i = 0; i < words; ++i)
    reg(kTxData) = g_frame[i];
  while ((reg(kTxFifoInfo) >> 16) & 0xff) {
    const std::uint32_t status = reg(kTxStatus);  // the transmit status words are not needed
    (void)status;
  }
  return ERR_OK;
}

}  // namespace

signed char init(netif* interface) {
  if (reg(kByteTest) != 0x87654321u) return ERR_IF;
  reg(kHwConfig) = 1;  // soft reset
  for (int i = 0; reg(kHwConfig) & 1; ++i) {
    if (i == kSpins) return ERR_IF;
  }
  for (int i = 0; !(reg(kPowerControl) & 1); ++i) {  // READY
    if (i == kSpins) return ERR_IF;
  }
  const std::uint32_t low = mac_read(kMacAddressLow), high = mac_read(kMacAddressHigh);
  interface->hwaddr[0] = static_cast<u8_t>(low);
  interface->hwaddr[1] = static_cast<u8_t>(low >> 8);
  interface->hwaddr[2] = static_cast<u8_t>(low >> 16);
  interface->hwaddr[3] = static_cast<u8_t>(low >> 24);
  interface->hwaddr[4] = static_cast<u8_t>(high);
  interface->hwaddr[5] = static_cast<u8_t>(high >> 8);
  interface->hwaddr_len = 6;
  interface->mtu = 1500;
  interface->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  interface->name[0] = 'e';
  interface->name[1] = '0';
  interface->output = etharp_output;
  interface->linkoutput = output;
  reg(kIntEnable) = 0;
  reg(kTxConfig) = 2;  // TX_ON
  if (!mac_write(kMacControl, kMacTxEnable | kMacRxEnable)) return ERR_IF;
  return ERR_OK;
}

std::size_t poll(netif* interface) {
  std::size_t frames = 0;
  while ((reg(kRxFifoInfo) >> 16) & 0xff) {
    const std::uint32_t status = reg(kRxStatus);
    const std::uint32_t length = (status >> 16) & 0x3fff;  // with the 4-byte FCS
    const std::uint32_t words = (length + 3) / 4;
    const bool usable = !(status & kRxErrorSummary) && length > 4 && length - 4 <= kMaxFrame;
    // The whole frame leaves the FIFO, whatever becomes of it.
    for (std::uint32_t i = 0; i < words; ++i) {
      const std::uint32_t word = reg(kRxData);
      if (usable) g_frame[i] = word;
    }
    ++frames;
    if (!usable) continue;
    pbuf* packet = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(length - 4), PBUF_POOL);
    if (!packet) continue;  // the pool is empty: lwIP's own back-pressure; the frame is dropped
    pbuf_take(packet, g_frame, static_cast<u16_t>(length - 4));
    if (interface->input(packet, interface) != ERR_OK) pbuf_free(packet);
  }
  return frames;
}

}  // namespace tte::device::mps2::lan9118
