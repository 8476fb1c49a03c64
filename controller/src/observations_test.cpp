#include "observations.hpp"

#include <gtest/gtest.h>

namespace tte::controller {
namespace {

Notification value(const std::string& payload) {
  return Notification{0, 1000, 69, 0u, payload};
}

TEST(Observations, AnswersAtOnceWithWhatIsNewer) {
  Observations observations;
  const std::string key = Observations::key("urn:dev:ops:1-s-1", "/switch");
  EXPECT_EQ(observations.publish(key, value("off")), 1u);
  EXPECT_EQ(observations.publish(key, value("on")), 2u);
  std::vector<Notification> got;
  observations.wait(key, 1, 0, [&](std::vector<Notification> n) { got = std::move(n); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "on");
  EXPECT_EQ(got[0].seq, 2u);
  EXPECT_EQ(observations.latest(key), 2u);
}

TEST(Observations, AWaitingPollIsAnsweredByTheNextNotificationOrItsDeadline) {
  Observations observations;
  const std::string key = Observations::key("urn:dev:ops:1-s-1", "/switch");
  int answered = 0;
  std::vector<Notification> got;
  observations.wait(key, 0, 5000, [&](std::vector<Notification> n) {
    ++answered;
    got = std::move(n);
  });
  EXPECT_EQ(answered, 0);
  observations.publish(key, value("on"));
  EXPECT_EQ(answered, 1);
  ASSERT_EQ(got.size(), 1u);

  observations.wait(key, 1, 5000, [&](std::vector<Notification> n) {
    ++answered;
    got = std::move(n);
  });
  observations.expire(4999);
  EXPECT_EQ(answered, 1);
  observations.expire(5000);
  EXPECT_EQ(answered, 2);
  EXPECT_TRUE(got.empty());
}

TEST(Observations, KeepsALimitedHistory) {
  Observations observations;
  const std::string key = Observations::key("urn:dev:ops:1-t-1", "/temp");
  for (int i = 0; i < 100; ++i)
    observations.publish(key, value(std::to_string(i)));
  std::vector<Notification> got;
  observations.wait(key, 0, 0, [&](std::vector<Notification> n) { got = std::move(n); });
  ASSERT_EQ(got.size(), Observations::kKept);
  EXPECT_EQ(got.back().payload, "99");
}

}  // namespace
}  // namespace tte::controller
