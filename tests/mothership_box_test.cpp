// Bulk enrollment (docs/protocol.md section 13.2) against the real tte-mothership:
// a box of Devices whose OTPs derive from one box key, imported as device
// records, then claimed whole over HTTPS with curl as the independent peer.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/box.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"
#include "tte/host/otp_crypto.hpp"

namespace tte::test {
namespace {

class MotherShipBoxTest : public ::testing::Test {
 protected:
  MotherShipBoxTest() : ms_(dir_) {}
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- mothership log ---\n" << read_text(ms_.log()) << "\n";
  }
  // curl: the status code, with the body in `body`.
  int request(std::vector<std::string> args, std::string& body) {
    std::string file = dir_.file("body");
    args.insert(args.begin(), {"-o", file, "-w", "%{http_code}"});
    RunResult result = ms_.curl(args);
    body = read_text(file);
    return std::atoi(result.out.c_str());
  }
  int post_box(const std::string& query, std::string& body) {
    return request({"-X", "POST", ms_.url("/.well-known/tte/box?" + query)}, body);
  }
  int claim(std::uint32_t devid, std::string& body) {
    return request(
        {"-X", "POST", ms_.url("/.well-known/tte?" + claim_query(devid, box_otp(devid)))}, body);
  }
  std::string state_of(std::uint32_t devid) {
    std::string body;
    EXPECT_EQ(request({ms_.url("/.well-known/tte/status?otp=" + box_otp(devid) +
                               "&devid=" + devid_of(devid))},
                      body),
              200);
    return nlohmann::json::parse(body)["state"];
  }
  nlohmann::json verify_audit() {
    RunResult verify = ms_.cli({"audit", "verify", "--json"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    return nlohmann::json::parse(verify.out);
  }

  TempDir dir_;
  MotherShipProcess ms_;
};

TEST_F(MotherShipBoxTest, ABoxClaimMapsEveryDeviceThenEachOtpIsUsed) {
  ms_.import(box_records(0x1000, 24));
  ms_.start();
  std::string body;
  ASSERT_EQ(post_box(box_query(0x1000, 24), body), 200) << body;
  auto answer = nlohmann::json::parse(body);
  EXPECT_EQ(answer["first"], "00001000");
  EXPECT_EQ(answer["count"], 24);
  ASSERT_EQ(answer["devices"].size(), 24u);
  for (std::uint32_t i = 0; i < 24; ++i) {
    EXPECT_EQ(answer["devices"][i]["devid"], devid_of(0x1000 + i));
    EXPECT_EQ(answer["devices"][i]["state"], "mapped");
    EXPECT_TRUE(answer["devices"][i]["mapped_at"].is_string());
  }
  EXPECT_EQ(state_of(0x1000), "mapped");
  EXPECT_EQ(state_of(0x1017), "mapped");
  // A single claim of a member now finds its OTP used.
  EXPECT_EQ(claim(0x1009, body), 409);
  EXPECT_EQ(nlohmann::json::parse(body)["device"]["devid"], "00001009");
  // So does the box again: every Device named, nothing changed.
  ASSERT_EQ(post_box(box_query(0x1000, 24), body), 409);
  EXPECT_EQ(nlohmann::json::parse(body)["devices"].size(), 24u);
  // import, 24 claims and the box-claim, the single 409, the refused box-claim.
  EXPECT_EQ(verify_audit()["entries"], 1 + 24 + 1 + 1 + 1);
  RunResult list = ms_.cli({"audit", "list", "--after", "25", "--json"});
  EXPECT_NE(list.out.find("box-claim"), std::string::npos) << list.out;
}

TEST_F(MotherShipBoxTest, TheFieldsMayComeInAFormBody) {
  ms_.import(box_records(0x2000, 3));
  ms_.start();
  std::string body;
  ASSERT_EQ(request({"--data",
                     std::string("cip=127.0.0.1&cport=5684&cfingerprint=") +
                         kControllerFingerprint + "&description=Box+7",
                     ms_.url("/.well-known/tte/box?FIRST=00002000;count=3;key=" +
                             std::string(kBoxKeyHex))},
                    body),
            200)
      << body;
  EXPECT_EQ(nlohmann::json::parse(body)["devices"][2]["devid"], "00002002");
}

TEST_F(MotherShipBoxTest, AMemberClaimedFirstRefusesTheWholeBoxNamingExactlyIt) {
  ms_.import(box_records(0x1000, 24));
  ms_.start();
  std::string body;
  ASSERT_EQ(claim(0x1003, body), 200);
  ASSERT_EQ(post_box(box_query(0x1000, 24), body), 409) << body;
  auto problem = nlohmann::json::parse(body);
  EXPECT_EQ(problem["type"], "https://iana.org/assignments/http-problem-types#tte-otp-used");
  ASSERT_EQ(problem["devices"].size(), 1u);
  EXPECT_EQ(problem["devices"][0]["devid"], "00001003");
  EXPECT_EQ(problem["devices"][0]["state"], "mapped");
  for (std::uint32_t n : {0x1000u, 0x1002u, 0x1004u, 0x1017u})
    EXPECT_EQ(state_of(n), "unmapped") << devid_of(n);
  // The others can still be claimed one by one.
  EXPECT_EQ(claim(0x1004, body), 200);
  verify_audit();
}

TEST_F(MotherShipBoxTest, AWrongKeyIsTheSingleForbiddenAndATooBigBoxIsMalformed) {
  ms_.import(box_records(0x1000, 24));
  ms_.start();
  auto raw = [&](const std::string& target) {
    return ms_.curl({"-i", "-X", "POST", ms_.url(target)}).out;
  };
  std::string single = raw("/.well-known/tte?" + claim_query(0x5000, "00000000000000ff"));
  std::string box = raw("/.well-known/tte/box?" + box_query(0x1000, 24, std::string(32, 'e')));
  EXPECT_NE(single.find("403"), std::string::npos);
  EXPECT_EQ(box, single);
  std::string body;
  EXPECT_EQ(post_box(box_query(0x1000, 10001), body), 400);
  EXPECT_EQ(nlohmann::json::parse(body)["field"], "count");
  EXPECT_EQ(state_of(0x1000), "unmapped");
}

// One box claim against 16 single claims of one member, at once: exactly one
// request maps anything, and what is stored agrees with who won.
TEST_F(MotherShipBoxTest, ABoxClaimRacingSingleClaimsOfAMemberHasExactlyOneWinner) {
  constexpr std::uint32_t kRounds = 30;
  constexpr std::uint32_t kBox = 8;
  constexpr int kSingles = 16;
  ms_.import(box_records(0x10000, kRounds * kBox));
  ms_.start();
  int box_wins = 0;
  for (std::uint32_t round = 0; round < kRounds; ++round) {
    const std::uint32_t first = 0x10000 + round * kBox;
    const std::uint32_t member = first + round % kBox;
    std::vector<std::string> args{
        "--parallel", "--parallel-immediate",  "--parallel-max", std::to_string(kSingles + 1),
        "-w",         "%{http_code} %{url}\\n"};
    // The box claim goes in the middle of the singles.
    for (int i = 0; i <= kSingles; ++i) {
      std::string target = i == kSingles / 2
                               ? "/.well-known/tte/box?" + box_query(first, kBox)
                               : "/.well-known/tte?" + claim_query(member, box_otp(member));
      args.insert(args.end(), {"-X", "POST", "-o", "/dev/null", ms_.url(target)});
    }
    RunResult result = ms_.curl(args);
    int wins = 0;
    bool box_won = false;
    for (const std::string& line : lines_of(result.out)) {
      if (line.rfind("200 ", 0) != 0) continue;
      ++wins;
      box_won = box_won || line.find("/box?") != std::string::npos;
    }
    ASSERT_EQ(wins, 1) << "round " << round << ":\n" << result.out;
    box_wins += box_won;
    const std::uint32_t other = member == first ? first + 1 : first;
    EXPECT_EQ(state_of(member), "mapped");
    EXPECT_EQ(state_of(other), box_won ? "mapped" : "unmapped") << "round " << round;
  }
  std::cout << "box claim won " << box_wins << " of " << kRounds << " rounds\n";
  verify_audit();
}

TEST_F(MotherShipBoxTest, KillNineAfterABoxClaimLosesNothingItAnswered) {
  ms_.import(box_records(0x1000, 2000));
  ms_.start();
  std::string body;
  ASSERT_EQ(post_box(box_query(0x1000, 2000), body), 200);
  ms_.kill9();
  ms_.start();
  EXPECT_EQ(state_of(0x1000), "mapped");
  EXPECT_EQ(state_of(0x17cf), "mapped");
  EXPECT_EQ(post_box(box_query(0x1000, 2000), body), 409);
  verify_audit();
}

}  // namespace
}  // namespace tte::test
