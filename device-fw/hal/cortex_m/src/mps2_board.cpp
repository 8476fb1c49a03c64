#include "tte/device/mps2_board.hpp"

namespace tte::device::mps2 {
namespace {

// FPGAIO registers of the MPS2 (ARM DAI 0385, "FPGA IO"), as QEMU models them.
constexpr std::uintptr_t kFpgaIo = 0x40028000;
volatile std::uint32_t& reg(std::uintptr_t offset) {
  return *reinterpret_cast<volatile std::uint32_t*>(kFpgaIo + offset);
}
constexpr std::uintptr_t kLed0 = 0x00, kButton = 0x08, kClk100Hz = 0x14, kCounter = 0x18;

}  // namespace

void Mps2Led::set(bool on) {
  reg(kLed0) = (reg(kLed0) & ~1u) | (on ? 1u : 0u);
}

bool Mps2Led::is_on() const {
  return (reg(kLed0) & 1u) != 0;
}

bool Mps2Button::pressed() const {
  return (reg(kButton) & 1u) != 0;
}

Millis Mps2Clock::now() const {
  return static_cast<Millis>(reg(kClk100Hz)) * 10;
}

XorShiftEntropy::XorShiftEntropy() : state_(reg(kCounter) | 1u) {}

std::uint32_t XorShiftEntropy::next() {
  state_ ^= state_ << 13;
  state_ ^= state_ >> 17;
  state_ ^= state_ << 5;
  return state_;
}

}  // namespace tte::device::mps2
