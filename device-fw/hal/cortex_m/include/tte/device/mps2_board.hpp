// The Device's HAL on QEMU's mps2-an385 board (Cortex-M3), from the board's
// FPGA I/O block (LEDs, buttons, a 100 Hz counter) and its memory:
//   Mps2Led        LED0 of FPGAIO LED0 (0x40028000)
//   Mps2Button     PB0 of FPGAIO BUTTON (0x40028008)
//   Mps2Clock      milliseconds from FPGAIO CLK100HZ (10 ms steps)
//   Mps2Storage    the NvRecord's 256 bytes in the .tte_nv section (link.ld)
//   XorShiftEntropy seeded from the FPGAIO free-running COUNTER
// The network (lwIP + libcoap + mbedTLS behind hal.hpp's Transport) is the
// next step for this board; the core already runs here (tte_device_selftest).
#ifndef TTE_DEVICE_MPS2_BOARD_HPP
#define TTE_DEVICE_MPS2_BOARD_HPP

#include <cstdint>

#include "tte/device/hal.hpp"

namespace tte::device::mps2 {

class Mps2Led final : public Led {
 public:
  void set(bool on) override;
  bool is_on() const;  // reads the register back
};

class Mps2Button final {
 public:
  bool pressed() const;
};

class Mps2Clock final {
 public:
  Millis now() const;
};

class Mps2Storage final : public Storage {
 public:
  bool read(std::size_t offset, MutableByteView out) override;
  bool write(std::size_t offset, ByteView bytes) override;
};

class XorShiftEntropy final : public Entropy {
 public:
  XorShiftEntropy();
  std::uint32_t next() override;

 private:
  std::uint32_t state_;
};

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_BOARD_HPP
