#include "observation_plan.hpp"

#include <gtest/gtest.h>

#include "observations.hpp"

namespace tte::controller {
namespace {

const std::string kSwitch = "urn:dev:ops:32473-Switch-0001";
const std::string kLight = "urn:dev:ops:32473-Light-0001";
const std::string kOtherLight = "urn:dev:ops:32473-Light-0002";

Binding binding(std::int64_t id, const std::string& target) {
  Binding b;
  b.id = id;
  b.source_urn = kSwitch;
  b.source_path = "/switch";
  b.target_urn = target;
  b.target_path = "/light";
  return b;
}

TEST(ObservationPlan, KeysAreTheApisLongPollKeys) {
  EXPECT_EQ(ObservationPlan::key(kSwitch, "/switch"), Observations::key(kSwitch, "/switch"));
}

TEST(ObservationPlan, TheApiAsksOnceWhileAnObservationRuns) {
  ObservationPlan plan;
  auto key = plan.want_for_api(kSwitch, "/switch");
  ASSERT_TRUE(key);
  EXPECT_TRUE(plan.want_for_api(kSwitch, "/switch"));  // nothing runs yet: still to start
  EXPECT_EQ(plan.started(*key, 7, 1), 0u);
  EXPECT_FALSE(plan.want_for_api(kSwitch, "/switch"));
  ASSERT_NE(plan.key_of(7), nullptr);
  EXPECT_EQ(*plan.key_of(7), *key);
  EXPECT_TRUE(plan.find(*key)->for_api);
  // A restart replaces the token; the old one is the caller's to forget.
  EXPECT_EQ(plan.started(*key, 8, 1), 7u);
  EXPECT_EQ(plan.key_of(7), nullptr);
  plan.stopped(8);
  EXPECT_EQ(plan.key_of(8), nullptr);
  EXPECT_EQ(plan.find(*key)->session, 0u);
  EXPECT_TRUE(plan.want_for_api(kSwitch, "/switch"));
}

TEST(ObservationPlan, BindingsWantTheirSourcesObservedOnce) {
  ObservationPlan plan;
  auto to_start = plan.set_bindings({binding(1, kLight), binding(2, kOtherLight)});
  ASSERT_EQ(to_start.size(), 1u);  // two bindings, one source
  const std::string key = to_start[0];
  EXPECT_TRUE(plan.find(key)->for_binding);
  plan.started(key, 5, 3);
  EXPECT_TRUE(plan.set_bindings({binding(1, kLight)}).empty());  // it runs already
  EXPECT_TRUE(plan.set_bindings({}).empty());
  EXPECT_FALSE(plan.find(key)->for_binding);
}

TEST(ObservationPlan, ANewValueFiresEveryBindingOfItsSource) {
  ObservationPlan plan;
  const std::string key = plan.set_bindings({binding(1, kLight), binding(2, kOtherLight)})[0];
  DeviceReply value;
  value.code = 69;
  value.content_format = 0u;
  value.payload = "on";
  auto puts = plan.fired_by(key, value);
  ASSERT_EQ(puts.size(), 2u);
  EXPECT_EQ(puts[0].id, 1);
  EXPECT_EQ(puts[0].request.urn, kLight);
  EXPECT_EQ(puts[0].request.method, Method::put);
  EXPECT_EQ(puts[0].request.path, "/light");
  EXPECT_EQ(puts[0].request.payload, "on");
  EXPECT_EQ(puts[0].request.content_format, 0u);
  EXPECT_EQ(puts[0].source, kSwitch + "/switch");
  EXPECT_EQ(puts[1].request.urn, kOtherLight);
  EXPECT_TRUE(plan.fired_by(ObservationPlan::key(kLight, "/light"), value).empty());
}

TEST(ObservationPlan, SessionsAndRegistrationsEndingStopTheirObservations) {
  ObservationPlan plan;
  const std::string on_switch = *plan.want_for_api(kSwitch, "/switch");
  const std::string on_light = *plan.want_for_api(kLight, "/light");
  plan.started(on_switch, 11, 1);
  plan.started(on_light, 12, 2);
  EXPECT_EQ(plan.of_endpoint(kSwitch), std::vector<std::string>{on_switch});
  EXPECT_TRUE(plan.of_endpoint(kSwitch, 1).empty());  // an update on the session it runs on
  EXPECT_EQ(plan.of_endpoint(kSwitch, 9), std::vector<std::string>{on_switch});

  EXPECT_EQ(plan.session_ended(1), std::vector<Token>{11});
  EXPECT_EQ(plan.key_of(11), nullptr);
  EXPECT_TRUE(plan.session_ended(1).empty());
  EXPECT_TRUE(plan.session_ended(0).empty());  // 0 names no session
  EXPECT_EQ(plan.endpoint_gone(kLight), std::vector<Token>{12});
  EXPECT_EQ(plan.find(on_light)->session, 0u);
  // Still wanted: they start again when the Devices register.
  EXPECT_EQ(plan.of_endpoint(kLight), std::vector<std::string>{on_light});
}

}  // namespace
}  // namespace tte::controller
