// The Device's state-machine scenarios on the Device's CPU (Cortex-M3 under
// QEMU, semihosting): one FAIL line per failed check, then a summary.
#include <cstdio>

#include "scenarios.hpp"

int main() {
  using namespace tte::device::scenarios;
  int checks = 0, failures = 0;
  for (std::size_t i = 0; i < kCount; ++i) {
    Checker checker;
    checker.scenario = kAll[i].name;
    kAll[i].run(checker);
    checks += checker.checks;
    failures += checker.failures;
  }
  if (failures == 0) {
    std::printf("device scenarios: %d checks passed\n", checks);
  } else {
    std::printf("device scenarios: FAIL %d of %d checks\n", failures, checks);
  }
  return failures == 0 ? 0 : 1;
}
