#include "rules.hpp"

#include <gtest/gtest.h>

namespace tte::mothership {
namespace {

constexpr std::int64_t kT0 = 1795843720;

TEST(Throttle, TenFailuresInAWindowLockTheDevId) {
  ThrottlePolicy policy;
  ThrottleState state;
  for (int i = 1; i <= 9; ++i) {
    state = after_failure(state, kT0 + i, policy);
    EXPECT_EQ(state.failures, i);
    EXPECT_FALSE(locked_for(state, kT0 + i));
  }
  state = after_failure(state, kT0 + 10, policy);
  ASSERT_TRUE(locked_for(state, kT0 + 10));
  EXPECT_EQ(*locked_for(state, kT0 + 10), 3600);
  EXPECT_EQ(*locked_for(state, kT0 + 3609), 1);
  EXPECT_FALSE(locked_for(state, kT0 + 3610));
  EXPECT_EQ(state.locks, 1);
}

TEST(Throttle, FailuresOutsideTheWindowStartOver) {
  ThrottlePolicy policy;
  ThrottleState state;
  for (int i = 0; i < 9; ++i)
    state = after_failure(state, kT0 + i, policy);
  state = after_failure(state, kT0 + 3600, policy);  // the window has passed
  EXPECT_EQ(state.failures, 1);
  EXPECT_FALSE(locked_for(state, kT0 + 3600));
}

TEST(Throttle, EachLockDoublesUpToTheCap) {
  ThrottlePolicy policy;
  ThrottleState state;
  std::int64_t now = kT0;
  std::int64_t expected = 3600;
  for (int lock = 0; lock < 8; ++lock) {
    for (int i = 0; i < policy.max_failures; ++i)
      state = after_failure(state, now, policy);
    EXPECT_EQ(*locked_for(state, now), std::min<std::int64_t>(expected, policy.max_lock)) << lock;
    now = state.locked_until;
    expected *= 2;
  }
  EXPECT_EQ(state.locks, 8);
}

TEST(Access, LockedBeatsTheRightOtp) {
  ThrottleState locked{0, kT0, kT0 + 100, 1};
  DeviceStatus device{DeviceState::unmapped, false};
  EXPECT_EQ(check_access(device, true, locked, kT0), Access::locked);
  EXPECT_EQ(check_access(device, true, locked, kT0 + 100), Access::granted);
  EXPECT_EQ(check_access(device, false, ThrottleState{}, kT0), Access::not_authorized);
  EXPECT_EQ(check_access(std::nullopt, true, ThrottleState{}, kT0), Access::not_authorized);
}

TEST(Claim, Outcomes) {
  ThrottleState none;
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::unmapped, false}, true, none, kT0),
            ClaimOutcome::mapped);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::mapped, false}, true, none, kT0),
            ClaimOutcome::already_used);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::registered, false}, true, none, kT0),
            ClaimOutcome::already_used);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::unmapped, true}, true, none, kT0),
            ClaimOutcome::revoked);
  // A wrong OTP reveals nothing about the state behind it.
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::mapped, true}, false, none, kT0),
            ClaimOutcome::not_authorized);
  EXPECT_EQ(decide_claim(std::nullopt, false, none, kT0), ClaimOutcome::not_authorized);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::unmapped, false}, true,
                         ThrottleState{0, kT0, kT0 + 1, 1}, kT0),
            ClaimOutcome::locked);
}

}  // namespace
}  // namespace tte::mothership
