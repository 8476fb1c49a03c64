#include "mothership_poller.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte::controller {
namespace {

http::FetchResult answered(int status, std::string body, http::Headers headers = {}) {
  http::FetchResult result;
  result.response.status = status;
  result.response.body = std::move(body);
  result.response.headers = std::move(headers);
  return result;
}

std::string state(const std::string& name) {
  auto json = testing::load_vectors("messages.json")["state_object"][0]["json"];
  json["state"] = name;
  if (name != "unmapped") json["mapped_at"] = "2026-11-28T05:28:40Z";
  if (name == "registered") json["registered_at"] = "2026-11-28T05:29:40Z";
  return json.dump();
}

const PollSchedule kSchedule{30, 3600};

TEST(InterpretStatus, BacksOffWhileNothingChanges) {
  auto first = interpret_status(answered(200, state("mapped")), "", 0, 0, kSchedule);
  EXPECT_EQ(first.state, "mapped");
  EXPECT_EQ(first.next_in, 30);
  auto same = interpret_status(answered(200, state("mapped")), "mapped", 30, 0, kSchedule);
  EXPECT_EQ(same.next_in, 60);
  auto capped = interpret_status(answered(200, state("mapped")), "mapped", 3000, 0, kSchedule);
  EXPECT_EQ(capped.next_in, 3600);
  auto changed = interpret_status(answered(200, state("unmapped")), "mapped", 3600, 0, kSchedule);
  EXPECT_EQ(changed.next_in, 30);
}

TEST(InterpretStatus, StopsWhenThereIsNothingMoreToLearn) {
  EXPECT_FALSE(
      interpret_status(answered(200, state("registered")), "mapped", 30, 0, kSchedule).next_in);
  auto revoked = interpret_status(answered(410, "{}"), "mapped", 30, 0, kSchedule);
  EXPECT_EQ(revoked.state, "revoked");
  EXPECT_FALSE(revoked.next_in);
  auto unknown = interpret_status(answered(403, "{}"), "", 30, 0, kSchedule);
  EXPECT_TRUE(unknown.state.empty());
  EXPECT_FALSE(unknown.next_in);
  EXPECT_NE(unknown.error.find("does not recognise"), std::string::npos);
}

TEST(InterpretStatus, FailuresBackOffAndRetryAfterIsHonoured) {
  http::FetchResult down;
  down.failure = http::FetchResult::Failure::connect;
  down.error = "connection refused";
  auto once = interpret_status(down, "mapped", 30, 0, kSchedule);
  EXPECT_TRUE(once.state.empty());
  EXPECT_EQ(once.error, "connection refused");
  EXPECT_EQ(once.next_in, 60);
  EXPECT_EQ(interpret_status(down, "mapped", 30, 3, kSchedule).next_in, 480);
  EXPECT_EQ(interpret_status(down, "mapped", 30, 20, kSchedule).next_in, 3600);
  EXPECT_EQ(
      interpret_status(answered(429, "{}", {{"Retry-After", "900"}}), "", 30, 0, kSchedule).next_in,
      900);
  EXPECT_EQ(interpret_status(answered(503, "{}"), "", 30, 0, kSchedule).next_in, 60);
  EXPECT_EQ(interpret_status(answered(200, "nonsense"), "", 30, 0, kSchedule).error,
            "the MotherShip's answer is not a state object");
}

}  // namespace
}  // namespace tte::controller
