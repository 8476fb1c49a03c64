// FUZZ_CHECK: a failed invariant is a finding; crash so libFuzzer saves the input.
#ifndef TTE_FUZZ_CHECK_HPP
#define TTE_FUZZ_CHECK_HPP

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

#endif  // TTE_FUZZ_CHECK_HPP
