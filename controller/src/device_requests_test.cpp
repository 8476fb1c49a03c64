#include "device_requests.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tte::controller {
namespace {

constexpr SessionId kLight = 1, kSwitch = 2;

struct Recorder {
  std::vector<std::pair<Token, DeviceReply>> replies;
  DeviceRequests::Done done_for(Token token) {
    return [this, token](DeviceReply reply) { replies.emplace_back(token, std::move(reply)); };
  }
};

OutgoingRequest get(Token token, const std::string& path = "/light") {
  return OutgoingRequest{token, Method::get, path, "", std::nullopt, std::nullopt, false};
}

TEST(DeviceRequests, OneRequestAtATimePerSessionTheNextWhenItIsAnswered) {
  DeviceRequests requests(100);
  Recorder recorder;
  const Token a = requests.new_token(), b = requests.new_token(), c = requests.new_token();
  auto now = requests.submit(kLight, get(a), recorder.done_for(a), 1000);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->token, a);
  EXPECT_FALSE(requests.submit(kLight, get(b), recorder.done_for(b), 1000));
  auto other = requests.submit(kSwitch, get(c, "/switch"), recorder.done_for(c), 1000);
  ASSERT_TRUE(other);  // another Device's session is not held up
  EXPECT_EQ(other->path, "/switch");
  EXPECT_TRUE(requests.any_in_flight());

  DeviceReply content;
  content.code = 69;
  content.payload = "on";
  auto next = requests.finished(kLight, a);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->token, b);
  EXPECT_TRUE(requests.awaits(a));
  EXPECT_TRUE(requests.answer(a, content));
  EXPECT_FALSE(requests.awaits(a));
  EXPECT_FALSE(requests.answer(a, content));  // answered once only
  ASSERT_EQ(recorder.replies.size(), 1u);
  EXPECT_EQ(recorder.replies[0].second.payload, "on");
  // A stale token (not the one in flight) sends nothing.
  EXPECT_FALSE(requests.finished(kLight, a));
  EXPECT_FALSE(requests.finished(kLight, b));
  EXPECT_EQ(requests.pending(), 2u);
}

TEST(DeviceRequests, ALateRequestTimesOutAndTheNextGoesOut) {
  DeviceRequests requests(1);
  Recorder recorder;
  const Token a = requests.new_token(), b = requests.new_token();
  ASSERT_TRUE(requests.submit(kLight, get(a), recorder.done_for(a), 100));
  ASSERT_FALSE(requests.submit(kLight, get(b), recorder.done_for(b), 200));
  EXPECT_TRUE(requests.expire(99).empty());
  EXPECT_TRUE(recorder.replies.empty());
  auto next = requests.expire(150);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].first, kLight);
  EXPECT_EQ(next[0].second.token, b);
  ASSERT_EQ(recorder.replies.size(), 1u);
  EXPECT_EQ(recorder.replies[0].first, a);
  EXPECT_EQ(recorder.replies[0].second.failure, DeviceReply::Failure::timeout);
  EXPECT_TRUE(requests.expire(250).empty());
  ASSERT_EQ(recorder.replies.size(), 2u);
  EXPECT_EQ(recorder.replies[1].first, b);
  EXPECT_FALSE(requests.any_waiting_for_answer());
  // The late answer to `a` finds nobody waiting.
  EXPECT_FALSE(requests.answer(a, DeviceReply{}));
}

TEST(DeviceRequests, RequestsGivenUpWhileTheyWaitAreNeverSent) {
  DeviceRequests requests(1);
  Recorder recorder;
  const Token a = requests.new_token(), b = requests.new_token(), c = requests.new_token();
  ASSERT_TRUE(requests.submit(kLight, get(a), recorder.done_for(a), 1000));
  ASSERT_FALSE(requests.submit(kLight, get(b), recorder.done_for(b), 50));
  ASSERT_FALSE(requests.submit(kLight, get(c), recorder.done_for(c), 1000));
  EXPECT_TRUE(requests.expire(60).empty());  // b waited: nothing new goes out
  ASSERT_EQ(recorder.replies.size(), 1u);
  EXPECT_EQ(recorder.replies[0].first, b);
  auto next = requests.finished(kLight, a);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->token, c);
}

TEST(DeviceRequests, AnEndedSessionFailsItsRequestsAndStartsAfresh) {
  DeviceRequests requests(1);
  Recorder recorder;
  const Token a = requests.new_token(), b = requests.new_token(), c = requests.new_token();
  ASSERT_TRUE(requests.submit(kLight, get(a), recorder.done_for(a), 1000));
  ASSERT_FALSE(requests.submit(kLight, get(b), recorder.done_for(b), 1000));
  ASSERT_TRUE(requests.submit(kSwitch, get(c), recorder.done_for(c), 1000));
  requests.session_ended(kLight);
  ASSERT_EQ(recorder.replies.size(), 2u);
  for (const auto& [token, reply] : recorder.replies) {
    EXPECT_NE(token, c);
    EXPECT_EQ(reply.failure, DeviceReply::Failure::not_connected);
  }
  const Token d = requests.new_token();
  EXPECT_TRUE(requests.submit(kLight, get(d), recorder.done_for(d), 1000));
  EXPECT_TRUE(requests.awaits(c));
}

TEST(DeviceRequests, ObservationsQueueLikeRequestsButAreAnsweredElsewhere) {
  DeviceRequests requests(1);
  Recorder recorder;
  const Token observation = requests.new_token(), a = requests.new_token();
  OutgoingRequest observe = get(observation, "/switch");
  observe.observe = true;
  auto now = requests.submit_observation(kSwitch, observe);
  ASSERT_TRUE(now);
  EXPECT_TRUE(now->observe);
  EXPECT_FALSE(requests.submit(kSwitch, get(a), recorder.done_for(a), 1000));
  EXPECT_FALSE(requests.awaits(observation));
  EXPECT_FALSE(requests.answer(observation, DeviceReply{}));
  auto next = requests.finished(kSwitch, observation);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->token, a);
  EXPECT_TRUE(requests.expire(100000).size() == 0u);  // only `a` had a deadline
  EXPECT_EQ(recorder.replies.size(), 1u);

  // An observation no longer wanted is not sent when its turn comes.
  const Token b = requests.new_token(), stale = requests.new_token();
  ASSERT_TRUE(requests.submit(kLight, get(b), recorder.done_for(b), 1000));
  ASSERT_FALSE(requests.submit_observation(kLight, get(stale)));
  requests.forget(stale);
  EXPECT_FALSE(requests.finished(kLight, b));
  EXPECT_FALSE(requests.any_in_flight());
}

TEST(DeviceRequests, ADoneThatSubmitsAnotherRequestWaitsItsTurn) {
  DeviceRequests requests(1);
  const Token a = requests.new_token(), b = requests.new_token();
  Token e = 0;
  std::optional<OutgoingRequest> sent_by_done;
  ASSERT_TRUE(requests.submit(
      kLight, get(a),
      [&](DeviceReply) {  // a binding's callback starting another request
        e = requests.new_token();
        sent_by_done = requests.submit(
            kLight, get(e), [](DeviceReply) {}, 5000);
      },
      100));
  ASSERT_FALSE(requests.submit(
      kLight, get(b), [](DeviceReply) {}, 1000));
  auto next = requests.expire(200);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].second.token, b);  // b first: it waited longer
  EXPECT_FALSE(sent_by_done);          // e waits behind b (NSTART = 1)
  auto after_b = requests.finished(kLight, b);
  ASSERT_TRUE(after_b);
  EXPECT_EQ(after_b->token, e);
}

TEST(DeviceRequests, StoppingFailsEveryRequest) {
  DeviceRequests requests(1);
  Recorder recorder;
  const Token a = requests.new_token(), b = requests.new_token();
  ASSERT_TRUE(requests.submit(kLight, get(a), recorder.done_for(a), 1000));
  ASSERT_FALSE(requests.submit(kLight, get(b), recorder.done_for(b), 1000));
  requests.stop();
  ASSERT_EQ(recorder.replies.size(), 2u);
  EXPECT_EQ(recorder.replies[0].second.failure, DeviceReply::Failure::failed);
  EXPECT_EQ(recorder.replies[0].second.error, "the Controller is stopping");
  EXPECT_FALSE(requests.any_in_flight());
  EXPECT_FALSE(requests.any_waiting_for_answer());
}

TEST(DeviceRequests, TokensAreNeverZero) {
  DeviceRequests requests(std::numeric_limits<Token>::max() - 1);
  EXPECT_EQ(requests.new_token(), std::numeric_limits<Token>::max());
  EXPECT_EQ(requests.new_token(), 1u);
}

}  // namespace
}  // namespace tte::controller
