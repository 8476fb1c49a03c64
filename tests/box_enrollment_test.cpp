// A whole box enrolled from its label (docs/introducer.md "A whole box"): the
// real MotherShip mints a box, tte-introducer claims it in one request and
// announces every Device to the real Controller through its batch intake.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/controller.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"

namespace tte::test {
namespace {

using Json = nlohmann::json;

// Waits for the MotherShip side: the box claim route and `manufacture --box`
// (issue 17, being written on another branch). Remove once main serves them.
constexpr const char* kMissingServer =
    "needs the MotherShip's box claim (POST /.well-known/tte/box) and `tte-mothership manufacture "
    "--box N`, not on this branch yet";

// The first file under dir whose name contains `part` and ends in `suffix`.
std::string find_file(const std::string& dir, const std::string& part, const std::string& suffix) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.find(part) != std::string::npos &&
        name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      return entry.path().string();
    }
  }
  return "";
}

class BoxEnrollment : public ::testing::Test {
 protected:
  BoxEnrollment() : ms_(dir_), controller_(dir_, "strict") {}
  void SetUp() override {
    GTEST_SKIP() << kMissingServer;
    ms_.start();
    controller_.start();
    RunResult minted = ms_.cli(
        {"manufacture", "--count", "24", "--box", "24", "--out", dir_.file("batch"), "--json"});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    box_label_ = find_file(dir_.file("batch"), "box", ".png");
    ASSERT_FALSE(box_label_.empty()) << "no box label PNG under " << dir_.file("batch");
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- mothership log ---\n" << read_text(ms_.log()) << "\n";
      std::cerr << "--- controller log ---\n" << read_text(controller_.log()) << "\n";
    }
  }
  RunResult enroll(const std::string& input) const {
    return run({TTE_INTRODUCER_BIN, "enroll", input, "--controller", controller_.coaps(),
                "--controller-fingerprint", controller_.fingerprint(), "--notify",
                controller_.http_origin(), "--token", controller_.intake_token(), "--cafile",
                ms_.ca_file(), "--connect-to", ms_.connect_to(), "--data-dir",
                dir_.file("introducer"), "--json"});
  }
  TempDir dir_;
  MotherShipProcess ms_;
  ControllerProcess controller_;
  std::string box_label_;
};

TEST_F(BoxEnrollment, AWholeBoxIsEnrolledFromItsLabelAndEveryDeviceAnnounced) {
  RunResult enrolled = enroll(box_label_);
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err << enrolled.out;
  Json out = Json::parse(enrolled.out);
  EXPECT_EQ(out["outcome"], "mapped");
  EXPECT_EQ(out["count"], 24);
  ASSERT_EQ(out["devices"].size(), 24u);
  EXPECT_EQ(out["notices"]["delivered"], 24);
  for (const auto& device : out["devices"]) {
    EXPECT_EQ(device["notice"], "delivered") << device;
    Json at_controller = controller_.device(device["urn"]);
    ASSERT_FALSE(at_controller.is_null()) << device["urn"];
    EXPECT_EQ(at_controller["fingerprint"], device["fingerprint"]);
    EXPECT_EQ(at_controller["state"], "announced");
  }
  // Every Device's OTP is used now: the box cannot be claimed again.
  RunResult again = enroll(box_label_);
  EXPECT_EQ(again.exit_code, 3) << again.out;
  EXPECT_EQ(Json::parse(again.out)["devices"].size(), 24u);
}

TEST_F(BoxEnrollment, ABoxWithOneDeviceClaimedBeforeIsRefusedWholeNamingIt) {
  const std::string first_label = find_file(dir_.file("batch"), "00000001", ".png");
  ASSERT_FALSE(first_label.empty());
  ASSERT_EQ(enroll(first_label).exit_code, 0);
  RunResult refused = enroll(box_label_);
  EXPECT_EQ(refused.exit_code, 3) << refused.out;
  EXPECT_TRUE(contains(refused.err, "ALREADY BEEN USED")) << refused.err;
  Json out = Json::parse(refused.out);
  ASSERT_EQ(out["devices"].size(), 1u);
  EXPECT_EQ(out["devices"][0]["devid"], "00000001");
  EXPECT_EQ(controller_.device(out["devices"][0]["urn"])["state"], "announced");
}

}  // namespace
}  // namespace tte::test
