// The Device's state-machine scenarios: plain functions with a tiny checker, so
// that the same code runs under GoogleTest on Linux and bare-metal on a
// Cortex-M3 under QEMU (test/selftest_main.cpp).
#ifndef TTE_DEVICE_SCENARIOS_HPP
#define TTE_DEVICE_SCENARIOS_HPP

#include <cstddef>

namespace tte::device::scenarios {

struct Checker {
  const char* scenario = "";
  int checks = 0;
  int failures = 0;
  void check(bool ok, const char* what, int line);
};

struct Scenario {
  const char* name;
  void (*run)(Checker&);
};

extern const Scenario kAll[];
extern const std::size_t kCount;

}  // namespace tte::device::scenarios

#endif  // TTE_DEVICE_SCENARIOS_HPP
