// What the C and C++ run-time need from the board: the heap (newlib's malloc,
// which Mbed TLS uses during handshakes) bounded by the stack's reserved 8 KiB,
// the heap's and the stack's high-water marks, and the fatal paths (a failed
// lwIP assertion, a fault), which report on the console and restart.
#ifndef TTE_DEVICE_MPS2_RUNTIME_HPP
#define TTE_DEVICE_MPS2_RUNTIME_HPP

#include <cstddef>

namespace tte::device::mps2 {

struct MemoryUse {
  std::size_t static_ram;   // .data + .bss
  std::size_t heap_peak;    // the most the heap ever took from RAM
  std::size_t heap_in_use;  // what is allocated now
  std::size_t heap_limit;   // what it may take
  std::size_t stack_peak;   // the stack's high-water mark
  std::size_t stack_limit;  // its reserved size
};
MemoryUse memory_use();

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_RUNTIME_HPP
