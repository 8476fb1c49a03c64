#include "clock.hpp"

namespace tte::device::mps2 {
namespace {

// SysTick (ARMv7-M Architecture Reference Manual, B3.3).
volatile std::uint32_t& reg(std::uintptr_t address) {
  return *reinterpret_cast<volatile std::uint32_t*>(address);
}
constexpr std::uintptr_t kCsr = 0xE000E010, kRvr = 0xE000E014, kCvr = 0xE000E018;
constexpr std::uint32_t kEnable = 1u << 0, kTickInt = 1u << 1, kProcessorClock = 1u << 2;
constexpr std::uint32_t kTicksPerMilli = 25'000;  // the MPS2's 25 MHz system clock

volatile std::uint32_t g_millis_low = 0, g_millis_high = 0;
SysTickClock g_clock;

}  // namespace

SysTickClock& clock() {
  return g_clock;
}

void SysTickClock::start() {
  reg(kRvr) = kTicksPerMilli - 1;
  reg(kCvr) = 0;
  reg(kCsr) = kEnable | kTickInt | kProcessorClock;
}

std::uint64_t SysTickClock::micros() const {
  // Read the milliseconds, the counter, the milliseconds again: a tick between
  // the two reads shows as a change, and the read is repeated.
  std::uint32_t high, low, count;
  do {
    high = g_millis_high;
    low = g_millis_low;
    count = reg(kCvr);
  } while (low != g_millis_low || high != g_millis_high);
  const std::uint64_t millis = static_cast<std::uint64_t>(high) << 32 | low;
  const std::uint64_t value =
      millis * 1000 + (kTicksPerMilli - 1 - count) / (kTicksPerMilli / 1000);
  // Between the counter's reload and the tick's interrupt the count looks a
  // millisecond behind: never let the clock go back.
  if (value > last_micros_) last_micros_ = value;
  return last_micros_;
}

void SysTickClock::idle() {
  const std::uint64_t before = micros();
  __asm volatile("wfi");
  idle_micros_ += micros() - before;
}

}  // namespace tte::device::mps2

extern "C" void SysTick_Handler() {
  using namespace tte::device::mps2;
  const std::uint32_t status = reg(kCsr);  // reading clears COUNTFLAG
  (void)status;
  const std::uint32_t low = g_millis_low + 1;
  if (low == 0) g_millis_high = g_millis_high + 1;
  g_millis_low = low;
}
