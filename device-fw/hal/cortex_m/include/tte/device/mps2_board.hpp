// The Device's HAL on QEMU's mps2-an385 board (Cortex-M3), from the board's
// FPGA I/O block (LEDs, buttons, a 100 Hz counter) and its memory:
//   Mps2Led        LED0 of FPGAIO LED0 (0x40028000)
//   Mps2Button     PB0 of FPGAIO BUTTON (0x40028008)
//   Mps2Clock      milliseconds from FPGAIO CLK100HZ (10 ms steps)
//   NvFlash        the NV sector (nv_flash.hpp)
//   XorShiftEntropy seeded from the FPGAIO free-running COUNTER
// The networked firmware (device-fw/hal/cortex_m/firmware) adds the network.
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

class XorShiftEntropy final : public Entropy {
 public:
  XorShiftEntropy();
  std::uint32_t next() override;

 private:
  std::uint32_t state_;
};

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_BOARD_HPP
