#include "otp_guard.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tte::mothership {
namespace {

constexpr std::int64_t kT0 = 1795843720;

OtpGuard::Load nothing_stored() {
  return [](DevId) { return std::optional<ThrottleState>(ThrottleState{}); };
}

TEST(OtpGuard, ParallelChecksNeverPassTheBurst) {
  // The race issue 14 found on the status and form paths: 64 threads at once.
  for (int round = 0; round < 20; ++round) {
    OtpGuard guard(GuessPolicy{}, nothing_stored());
    std::atomic<int> taken{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 64; ++i) {
      threads.emplace_back([&] {
        while (!go.load()) {
        }
        for (int j = 0; j < 4; ++j) {
          if (guard.take(DevId(7), kT0).verdict == OtpGuard::Verdict::taken) ++taken;
        }
      });
    }
    go = true;
    for (auto& thread : threads)
      thread.join();
    EXPECT_EQ(taken.load(), 10) << "round " << round;
  }
}

TEST(OtpGuard, StartsFromTheStoredStateAndReadsItOnce) {
  int loads = 0;
  OtpGuard guard(GuessPolicy{}, [&](DevId dev_id) {
    ++loads;
    return std::optional<ThrottleState>(dev_id == DevId(1) ? ThrottleState{9, kT0, 0}
                                                           : ThrottleState{});
  });
  EXPECT_EQ(guard.take(DevId(1), kT0).verdict, OtpGuard::Verdict::taken);
  OtpGuard::Result refused = guard.take(DevId(1), kT0 + 30);
  EXPECT_EQ(refused.verdict, OtpGuard::Verdict::no_slot);
  EXPECT_EQ(refused.retry_after, 60);
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(guard.take(DevId(2), kT0).verdict, OtpGuard::Verdict::taken);
  EXPECT_EQ(loads, 2);
}

TEST(OtpGuard, ADatabaseThatCannotBeReadRefusesTheCheck) {
  OtpGuard guard(GuessPolicy{}, [](DevId) { return std::optional<ThrottleState>(); });
  EXPECT_EQ(guard.take(DevId(1), kT0).verdict, OtpGuard::Verdict::unavailable);
  EXPECT_EQ(guard.buckets(), 0u);
}

TEST(OtpGuard, TheRightOtpGivesBackAndTheOwnerIsNeverLockedForLong) {
  OtpGuard guard(GuessPolicy{}, nothing_stored());
  for (int i = 0; i < 10; ++i)
    guard.take(DevId(3), kT0);
  OtpGuard::Result owner = guard.take(DevId(3), kT0 + 1);
  ASSERT_EQ(owner.verdict, OtpGuard::Verdict::no_slot);
  EXPECT_LE(owner.retry_after, 90);
  ASSERT_EQ(guard.take(DevId(3), kT0 + 1 + owner.retry_after).verdict, OtpGuard::Verdict::taken);
  guard.give_back(DevId(3), kT0 + 1 + owner.retry_after);
  EXPECT_EQ(guard.peek(DevId(3))->spent, 9);
}

TEST(OtpGuard, RefilledBucketsAreForgottenAtTheCap) {
  OtpGuard guard(GuessPolicy{}, nothing_stored(), /*max_buckets=*/100);
  for (std::uint32_t id = 0; id < 100; ++id)
    ASSERT_EQ(guard.take(DevId(id), kT0).verdict, OtpGuard::Verdict::taken);
  // Full, and every bucket still has a slot spent: a new Dev ID waits.
  EXPECT_EQ(guard.take(DevId(1000), kT0 + 1).verdict, OtpGuard::Verdict::unavailable);
  // Once they have refilled, they make room.
  EXPECT_EQ(guard.take(DevId(1000), kT0 + 90).verdict, OtpGuard::Verdict::taken);
  EXPECT_LE(guard.buckets(), 100u);
}

}  // namespace
}  // namespace tte::mothership
