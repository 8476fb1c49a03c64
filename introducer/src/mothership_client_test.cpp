#include "mothership_client.hpp"

#include <gtest/gtest.h>

#include <set>

#include "vectors.hpp"

namespace tte::introducer {
namespace {

http::FetchResult answered(int status, std::string body, http::Headers headers = {}) {
  http::FetchResult result;
  result.response.status = status;
  result.response.body = std::move(body);
  result.response.headers = std::move(headers);
  return result;
}

http::FetchResult failed(http::FetchResult::Failure failure, std::string error) {
  http::FetchResult result;
  result.failure = failure;
  result.error = std::move(error);
  return result;
}

std::string state_json() {
  return testing::load_vectors("messages.json")["state_object"][0]["json"].dump();
}
std::string problem_json() {
  return testing::load_vectors("messages.json")["problem"][0]["json"].dump();
}

std::string problem(int status, const std::string& detail, const std::string& field = "") {
  Problem p;
  p.status = status;
  p.type = "about:blank";
  p.title = "t";
  p.detail = detail;
  p.field = field;
  return p.to_json();
}

TEST(Interpret, MappedIsOkWithTheDevice) {
  auto answer = interpret(answered(200, state_json()));
  EXPECT_EQ(answer.verdict, Verdict::ok);
  ASSERT_TRUE(answer.device);
  EXPECT_EQ(answer.device->dev_id.to_string().view(), "abcdef01");
  EXPECT_EQ(exit_code_of(answer.verdict), exit_code::ok);
}

TEST(Interpret, A200ThatIsNotAStateObjectIsTheMotherShipsFault) {
  auto answer = interpret(answered(200, "<html>hello</html>"));
  EXPECT_EQ(answer.verdict, Verdict::mothership_error);
  EXPECT_NE(answer.detail.find("not a state object"), std::string::npos);
}

TEST(Interpret, AlreadyUsedCarriesWhoeverMappedIt) {
  auto answer = interpret(answered(409, problem_json()));
  EXPECT_EQ(answer.verdict, Verdict::already_used);
  ASSERT_TRUE(answer.device);
  EXPECT_TRUE(answer.device->mapped_at);
  EXPECT_EQ(exit_code_of(answer.verdict), exit_code::already_used);
}

TEST(Interpret, EachStatusHasItsOwnVerdictAndExitCode) {
  struct Case {
    int status;
    Verdict verdict;
    int exit;
  };
  for (const Case& c :
       {Case{400, Verdict::rejected, 7}, Case{403, Verdict::not_recognised, 4},
        Case{410, Verdict::revoked, 5}, Case{429, Verdict::throttled, 6},
        Case{500, Verdict::mothership_error, 10}, Case{503, Verdict::mothership_error, 10},
        Case{404, Verdict::mothership_error, 10}}) {
    auto answer =
        interpret(answered(c.status, problem(c.status, "because", c.status == 400 ? "cport" : "")));
    EXPECT_EQ(answer.verdict, c.verdict) << c.status;
    EXPECT_EQ(exit_code_of(answer.verdict), c.exit) << c.status;
    EXPECT_EQ(answer.status, c.status);
    EXPECT_EQ(answer.detail, "because");
  }
  EXPECT_EQ(interpret(answered(400, problem(400, "bad port", "cport"))).field, "cport");
}

TEST(Interpret, ThrottledReadsRetryAfter) {
  auto answer = interpret(answered(429, problem(429, "slow down"), {{"Retry-After", "120"}}));
  EXPECT_EQ(answer.verdict, Verdict::throttled);
  EXPECT_EQ(answer.retry_after, 120);
}

TEST(Interpret, ANonProblemErrorBodyStillGivesTheStatus) {
  auto answer = interpret(answered(502, "Bad Gateway"));
  EXPECT_EQ(answer.verdict, Verdict::mothership_error);
  EXPECT_EQ(answer.detail, "HTTP 502");
}

TEST(Interpret, TransportFailures) {
  using F = http::FetchResult::Failure;
  EXPECT_EQ(interpret(failed(F::tls, "certificate verify failed")).verdict, Verdict::certificate);
  EXPECT_EQ(exit_code_of(Verdict::certificate), exit_code::certificate);
  for (F f : {F::url, F::resolve, F::connect, F::timeout}) {
    EXPECT_EQ(interpret(failed(f, "x")).verdict, Verdict::unreachable);
  }
  EXPECT_FALSE(interpret(failed(F::connect, "refused")).answer_lost);  // nothing was sent
  EXPECT_TRUE(interpret(failed(F::timeout, "no answer")).answer_lost);
  auto broken = interpret(failed(F::protocol, "garbled"));
  EXPECT_EQ(broken.verdict, Verdict::mothership_error);
  EXPECT_EQ(broken.detail, "garbled");
  EXPECT_TRUE(broken.answer_lost);
}

TEST(ExitCodes, AreDistinctPerVerdict) {
  std::set<int> codes;
  for (Verdict v : {Verdict::ok, Verdict::already_used, Verdict::not_recognised, Verdict::revoked,
                    Verdict::throttled, Verdict::rejected, Verdict::certificate,
                    Verdict::unreachable, Verdict::mothership_error}) {
    EXPECT_TRUE(codes.insert(exit_code_of(v)).second) << verdict_name(v);
  }
}

}  // namespace
}  // namespace tte::introducer
