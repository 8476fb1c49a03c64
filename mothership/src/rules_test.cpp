#include "rules.hpp"

#include <gtest/gtest.h>

namespace tte::mothership {
namespace {

constexpr std::int64_t kT0 = 1795843720;

TEST(Throttle, TheBurstIsTenChecksThenOneEveryInterval) {
  GuessPolicy policy;  // 10, one per 90 s
  ThrottleState state;
  for (int i = 0; i < 10; ++i) {
    Slot slot = take_slot(state, kT0, policy);
    ASSERT_TRUE(slot.taken) << i;
    state = slot.state;
  }
  EXPECT_EQ(state.emptied, 1);
  Slot refused = take_slot(state, kT0 + 1, policy);
  EXPECT_FALSE(refused.taken);
  EXPECT_EQ(refused.retry_after, 89);
  EXPECT_EQ(checks_left(state, kT0 + 89, policy), 0);
  EXPECT_EQ(checks_left(state, kT0 + 90, policy), 1);
  Slot next = take_slot(state, kT0 + 90, policy);
  EXPECT_TRUE(next.taken);
  EXPECT_FALSE(take_slot(next.state, kT0 + 91, policy).taken);
  // A quiet day refills the bucket whole.
  EXPECT_EQ(checks_left(next.state, kT0 + 86400, policy), 10);
}

TEST(Throttle, NoMoreThanAboutAThousandChecksADay) {
  GuessPolicy policy;
  ThrottleState state;
  int taken = 0;
  // An attacker trying every second for a day.
  for (std::int64_t t = 0; t < 86400; ++t) {
    Slot slot = take_slot(state, kT0 + t, policy);
    state = slot.state;
    if (slot.taken) ++taken;
  }
  EXPECT_EQ(taken, 10 + 86400 / 90 - 1);  // the burst, then one per interval
  EXPECT_LE(taken, 1000);
}

TEST(Throttle, TheOwnersWaitIsAtMostOneInterval) {
  GuessPolicy policy;
  ThrottleState state;
  for (int i = 0; i < 10; ++i)
    state = take_slot(state, kT0, policy).state;
  // Whenever the owner comes, the next slot is at most one interval away.
  for (std::int64_t t = 0; t < 200; ++t) {
    Slot slot = take_slot(state, kT0 + t, policy);
    if (!slot.taken) {
      EXPECT_LE(slot.retry_after, policy.interval);
    }
  }
}

TEST(Throttle, ARightOtpGivesItsSlotBack) {
  GuessPolicy policy;
  ThrottleState state;
  for (int i = 0; i < 9; ++i)
    state = take_slot(state, kT0, policy).state;
  Slot owner = take_slot(state, kT0, policy);
  ASSERT_TRUE(owner.taken);
  EXPECT_EQ(checks_left(owner.state, kT0, policy), 0);
  state = give_back_slot(owner.state, kT0, policy);
  EXPECT_EQ(checks_left(state, kT0, policy), 1);
  // Giving back more than was taken changes nothing.
  EXPECT_EQ(checks_left(give_back_slot(ThrottleState{}, kT0, policy), kT0, policy), 10);
}

TEST(Throttle, AClockThatGoesBackStartsOver) {
  GuessPolicy policy;
  ThrottleState state{10, kT0, 1};
  EXPECT_FALSE(take_slot(state, kT0 + 10, policy).taken);
  Slot slot = take_slot(state, kT0 - 1000, policy);
  EXPECT_FALSE(slot.taken);
  EXPECT_EQ(slot.state.since, kT0 - 1000);
  EXPECT_EQ(slot.retry_after, 90);
}

TEST(Access, OnlyTheRightOtpOfAKnownDevice) {
  DeviceStatus device{DeviceState::unmapped, false};
  EXPECT_EQ(check_access(device, true), Access::granted);
  EXPECT_EQ(check_access(device, false), Access::not_authorized);
  EXPECT_EQ(check_access(std::nullopt, true), Access::not_authorized);
}

TEST(Claim, Outcomes) {
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::unmapped, false}, true), ClaimOutcome::mapped);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::mapped, false}, true),
            ClaimOutcome::already_used);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::registered, false}, true),
            ClaimOutcome::already_used);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::unmapped, true}, true), ClaimOutcome::revoked);
  // A wrong OTP reveals nothing about the state behind it.
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::mapped, true}, false),
            ClaimOutcome::not_authorized);
  EXPECT_EQ(decide_claim(std::nullopt, false), ClaimOutcome::not_authorized);
  // A PSK Device is mapped only with a link PSK; a wrong OTP still reveals nothing.
  const DeviceStatus psk_device{DeviceState::unmapped, false, true};
  EXPECT_EQ(decide_claim(psk_device, true), ClaimOutcome::psk_required);
  EXPECT_EQ(decide_claim(psk_device, true, true), ClaimOutcome::mapped);
  EXPECT_EQ(decide_claim(psk_device, false), ClaimOutcome::not_authorized);
  EXPECT_EQ(decide_claim(DeviceStatus{DeviceState::mapped, false, true}, true),
            ClaimOutcome::already_used);
}

BoxMember fresh() {
  return BoxMember{true, DeviceStatus{DeviceState::unmapped, false}, true};
}

TEST(BoxClaim, AllFreshAndRightIsMapped) {
  BoxDecision decision = decide_box_claim({fresh(), fresh(), fresh()});
  EXPECT_EQ(decision.outcome, ClaimOutcome::mapped);
  EXPECT_TRUE(decision.used.empty());
  EXPECT_EQ(decision.give_back, std::vector<bool>({true, true, true}));
}

TEST(BoxClaim, OneMemberWithoutASlotLocksTheBoxBeforeAnyComparison) {
  std::vector<BoxMember> members{fresh(), fresh(), fresh()};
  members[1].slot_taken = false;
  members[2].otp_matches = false;  // would be a 403, but nothing is compared
  BoxDecision decision = decide_box_claim(members);
  EXPECT_EQ(decision.outcome, ClaimOutcome::locked);
  EXPECT_EQ(decision.give_back, std::vector<bool>({true, true, true}));
}

TEST(BoxClaim, AnyUnknownOrWrongMemberRefusesTheBoxAndKeepsItsSlot) {
  std::vector<BoxMember> wrong{fresh(), fresh(), fresh()};
  wrong[2].otp_matches = false;
  BoxDecision decision = decide_box_claim(wrong);
  EXPECT_EQ(decision.outcome, ClaimOutcome::not_authorized);
  EXPECT_TRUE(decision.used.empty());
  EXPECT_EQ(decision.give_back, std::vector<bool>({true, true, false}));

  std::vector<BoxMember> unknown{fresh(), fresh()};
  unknown[0].device.reset();
  decision = decide_box_claim(unknown);
  EXPECT_EQ(decision.outcome, ClaimOutcome::not_authorized);
  EXPECT_EQ(decision.give_back, std::vector<bool>({false, true}));

  // A wrong key makes every OTP wrong: one slot stays spent, not one per member.
  std::vector<BoxMember> wrong_key(5, fresh());
  for (auto& member : wrong_key)
    member.otp_matches = false;
  wrong_key[0].device.reset();  // and an unknown Dev ID among them
  decision = decide_box_claim(wrong_key);
  EXPECT_EQ(decision.outcome, ClaimOutcome::not_authorized);
  EXPECT_EQ(decision.give_back, std::vector<bool>({false, true, true, true, true}));

  // A wrong OTP hides a used member's state: still the 403.
  std::vector<BoxMember> hidden{fresh(), fresh()};
  hidden[0].device->state = DeviceState::registered;
  hidden[1].otp_matches = false;
  EXPECT_EQ(decide_box_claim(hidden).outcome, ClaimOutcome::not_authorized);
  EXPECT_EQ(decide_box_claim({}).outcome, ClaimOutcome::not_authorized);
}

TEST(BoxClaim, UsedOrRevokedMembersAreNamedExactly) {
  std::vector<BoxMember> members{fresh(), fresh(), fresh(), fresh()};
  members[1].device->state = DeviceState::mapped;
  members[2].device->revoked = true;
  members[3].device->state = DeviceState::registered;
  BoxDecision decision = decide_box_claim(members);
  EXPECT_EQ(decision.outcome, ClaimOutcome::already_used);
  EXPECT_EQ(decision.used, std::vector<std::size_t>({1, 2, 3}));
  EXPECT_EQ(decision.give_back, std::vector<bool>({true, true, true, true}));
}

}  // namespace
}  // namespace tte::mothership
