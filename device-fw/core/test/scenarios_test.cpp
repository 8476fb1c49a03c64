// The Device's state-machine scenarios under GoogleTest (they also run on a
// Cortex-M3 under QEMU: selftest_main.cpp).
#include "scenarios.hpp"

#include <gtest/gtest.h>

namespace tte::device::scenarios {
namespace {

class DeviceScenario : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DeviceScenario, Passes) {
  Checker checker;
  checker.scenario = kAll[GetParam()].name;
  kAll[GetParam()].run(checker);
  EXPECT_GT(checker.checks, 0);
  EXPECT_EQ(checker.failures, 0) << "see the FAIL lines above";
}

INSTANTIATE_TEST_SUITE_P(All, DeviceScenario, ::testing::Range<std::size_t>(0, kCount),
                         [](const ::testing::TestParamInfo<std::size_t>& param) {
                           return std::string(kAll[param.param].name);
                         });

}  // namespace
}  // namespace tte::device::scenarios
