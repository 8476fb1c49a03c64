// The generic firmware's device-data regions (firmware.ld): the provisioning
// image and the settings, erased (0xff). tte-firmware-image writes a Device's
// into its copy of the image; the code reads them through the linker's symbols
// (main.cpp), never through these objects, whose contents the compiler knows.
#include <cstddef>
#include <cstdint>

namespace tte::device::mps2 {
namespace {

template <std::size_t N>
struct Erased {
  std::uint8_t bytes[N];
  constexpr Erased() : bytes() {
    for (std::uint8_t& b : bytes)
      b = 0xff;
  }
};

__attribute__((section(".tte_provisioning"), used)) const Erased<2048> g_provisioning;
__attribute__((section(".tte_settings"), used)) const Erased<256> g_settings;

}  // namespace
}  // namespace tte::device::mps2
