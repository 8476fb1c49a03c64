// The Device's clock on the MPS2: SysTick at 1 kHz from the 25 MHz system clock,
// read to the microsecond, and the idle wait (WFI until the next interrupt).
// The clock keeps how long the CPU slept: under QEMU with -icount, the time it
// did not sleep is the number of instructions executed (./tte bench firmware).
#ifndef TTE_DEVICE_MPS2_CLOCK_HPP
#define TTE_DEVICE_MPS2_CLOCK_HPP

#include <cstdint>

#include "tte/device/hal.hpp"

namespace tte::device::mps2 {

class SysTickClock {
 public:
  void start();
  Millis now() const { return micros() / 1000; }
  std::uint64_t micros() const;
  // Sleeps until the next interrupt (at most 1 ms: the next tick).
  void idle();
  std::uint64_t idle_micros() const { return idle_micros_; }

 private:
  std::uint64_t idle_micros_ = 0;
  mutable std::uint64_t last_micros_ = 0;
};

SysTickClock& clock();

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_CLOCK_HPP
