#include "device_input.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "mothership_client.hpp"
#include "tte/labels/label.hpp"
#include "tte/labels/raster.hpp"
#include "tte/manual_code.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"
#include "vectors.hpp"

namespace tte::introducer {
namespace {

constexpr const char* kUrl =
    "https://tte-00000A.net/.well-known/tte?otp=123456789abcdef0&devid=abcdef01";

TEST(ClassifyInput, UrlsCodesAndImages) {
  EXPECT_EQ(classify_input(kUrl, false), InputKind::url);
  EXPECT_EQ(classify_input("HTTPS://tte-00000A.net/.well-known/tte?otp=1&devid=2", false),
            InputKind::url);
  EXPECT_EQ(classify_input("TTE-0000-1AYD-XW0H-4D2P-F2DB-SQQG-P", false), InputKind::manual_code);
  EXPECT_EQ(classify_input("0000 1ayd xw0h 4d2p f2db sqqg p", false), InputKind::manual_code);
  EXPECT_EQ(classify_input("label.png", true), InputKind::image);
  EXPECT_EQ(classify_input("whatever", true), InputKind::image);
  // A path that does not exist is still a path: the user hears the file is missing,
  // not that it is a bad manual code.
  EXPECT_EQ(classify_input("photos/label", false), InputKind::image);
  EXPECT_EQ(classify_input("IMG_0042.JPG", false), InputKind::image);
  EXPECT_EQ(classify_input("", false), InputKind::unknown);
}

TEST(DeviceFromText, ReadsUrlsAndManualCodesAlike) {
  auto from_url = device_from_text(kUrl, IdPolicy::operational);
  ASSERT_TRUE(from_url.ok()) << testing::describe(from_url);
  auto code = manual_code::encode(from_url.value());
  auto from_code = device_from_text(code.view(), IdPolicy::operational);
  ASSERT_TRUE(from_code.ok()) << testing::describe(from_code);
  EXPECT_EQ(from_code->to_string().view(), from_url->to_string().view());
}

TEST(DeviceFromText, NamesWhatIsWrong) {
  std::string code(
      manual_code::encode(device_from_text(kUrl, IdPolicy::operational).value()).view());
  code[6] = code[6] == 'A' ? 'B' : 'A';  // a typing error
  auto typo = device_from_text(code, IdPolicy::operational);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code, Errc::checksum);
  EXPECT_EQ(device_from_text("TTE-0000", IdPolicy::operational).error().code, Errc::syntax);
  auto example =
      device_from_text("https://tte-000000.net/.well-known/tte?otp=123456789abcdef0&devid=abcdef01",
                       IdPolicy::operational);
  ASSERT_FALSE(example.ok());
  EXPECT_EQ(example.error().code, Errc::reserved);
}

constexpr const char* kExampleUrl =
    "https://tte-000000.net/.well-known/tte?otp=123456789abcdef0&devid=abcdef01";

// Issue 15: a label of the example MotherShip read as "no TTE label found".
TEST(ExampleLabels, AreToldApartFromWhatIsNoLabel) {
  EXPECT_TRUE(names_example_mothership(kExampleUrl));
  std::string example_code(
      manual_code::encode(device_from_text(kExampleUrl, IdPolicy::allow_example).value()).view());
  EXPECT_TRUE(names_example_mothership(example_code));
  EXPECT_FALSE(names_example_mothership(kUrl));  // valid, and not the example
  EXPECT_FALSE(names_example_mothership("https://tte-000000.net/.well-known/tte?otp=1"));

  const std::vector<std::string> codes{"not a label", kExampleUrl, "https://example.com/"};
  LabelsFound refused = labels_in(codes, IdPolicy::operational);
  EXPECT_TRUE(refused.devices.empty());
  EXPECT_EQ(refused.example_labels, 1u);
  const std::string message = no_label_message("photo.jpg", refused);
  EXPECT_NE(message.find("reserved example MotherShip (MS ID 0"), std::string::npos) << message;
  EXPECT_NE(message.find("--allow-example-id"), std::string::npos) << message;

  LabelsFound allowed = labels_in(codes, IdPolicy::allow_example);
  ASSERT_EQ(allowed.devices.size(), 1u);
  EXPECT_EQ(allowed.devices[0].to_string().view(), kExampleUrl);
  EXPECT_EQ(allowed.example_labels, 0u);

  LabelsFound none = labels_in({"not a label"}, IdPolicy::operational);
  EXPECT_EQ(none.example_labels, 0u);
  EXPECT_EQ(no_label_message("blank.png", none), "no TTE label found in blank.png");
}

// What a command does with the device it was given: the device, or why there is none.
TEST(DeviceFromInput, GivesTheDeviceOrSaysWhyThereIsNone) {
  EXPECT_EQ(device_from_input(kUrl, IdPolicy::operational).to_string().view(), kUrl);
  auto no_label = [](const std::string& input, IdPolicy policy) -> std::string {
    try {
      device_from_input(input, policy);
    } catch (const CommandFailure& failure) {
      EXPECT_EQ(failure.status, exit_code::no_label) << input;
      return failure.message;
    }
    ADD_FAILURE() << "accepted " << input;
    return "";
  };
  std::string typo(
      manual_code::encode(device_from_text(kUrl, IdPolicy::operational).value()).view());
  typo[6] = typo[6] == 'A' ? 'B' : 'A';
  EXPECT_NE(no_label(typo, IdPolicy::operational).find("check the characters you typed"),
            std::string::npos);
  const std::string example = no_label(kExampleUrl, IdPolicy::operational);
  EXPECT_NE(example.find("not a valid Enrollment URL"), std::string::npos) << example;
  EXPECT_NE(example.find("(example labels need --allow-example-id)"), std::string::npos) << example;
  EXPECT_EQ(device_from_input(kExampleUrl, IdPolicy::allow_example).to_string().view(),
            kExampleUrl);
  EXPECT_THROW(device_from_input("", IdPolicy::operational), UsageError);
}

constexpr const char* kBoxUrl =
    "https://tte-00000A.net/.well-known/tte/box?first=00001000&count=24&key="
    "000102030405060708090a0b0c0d0e0f";
constexpr const char* kBoxCode = "TTB-0000-M000-2000-0600-0410-6105-0R3G-G28A-1C60-T3GF-A";

TEST(BoxInput, IsToldApartFromOneDevice) {
  EXPECT_TRUE(names_a_box(kBoxUrl));
  EXPECT_TRUE(names_a_box(kBoxCode));
  EXPECT_TRUE(names_a_box("ttb0000m00020000600041061050r3gg28a1c60t3gfa"));  // typed loosely
  EXPECT_TRUE(names_a_box("https://tte-00000A.net/.well-known/tte/box"));  // malformed, still a box
  EXPECT_FALSE(names_a_box(kUrl));
  EXPECT_FALSE(names_a_box(
      manual_code::encode(device_from_text(kUrl, IdPolicy::operational).value()).view()));
  EXPECT_FALSE(names_a_box("https://tte-00000A.net/.well-known/tte/boxes?first=1"));
  EXPECT_FALSE(names_a_box("https://tte-00000A.net"));
  EXPECT_FALSE(names_a_box(""));
}

TEST(BoxInput, UrlAndCodeGiveTheSameBox) {
  auto from_url = box_from_text(kBoxUrl, IdPolicy::operational);
  auto from_code = box_from_text(kBoxCode, IdPolicy::operational);
  ASSERT_TRUE(from_url.ok()) << testing::describe(from_url);
  ASSERT_TRUE(from_code.ok()) << testing::describe(from_code);
  EXPECT_EQ(from_url->to_string().view(), from_code->to_string().view());
  EXPECT_EQ(from_url->first().value(), 0x1000u);
  EXPECT_EQ(from_url->count(), 24u);
}

TEST(BoxInput, TheTargetIsABoxOrADeviceOrWhyNeither) {
  EnrollTarget box = target_from_input(kBoxUrl, IdPolicy::operational);
  ASSERT_TRUE(std::holds_alternative<BoxUrl>(box));
  EXPECT_EQ(std::get<BoxUrl>(box).count(), 24u);
  EXPECT_TRUE(std::holds_alternative<BoxUrl>(target_from_input(kBoxCode, IdPolicy::operational)));
  EXPECT_TRUE(
      std::holds_alternative<EnrollmentUrl>(target_from_input(kUrl, IdPolicy::operational)));
  auto no_label = [](const std::string& input) -> std::string {
    try {
      target_from_input(input, IdPolicy::operational);
    } catch (const CommandFailure& failure) {
      EXPECT_EQ(failure.status, exit_code::no_label) << input;
      return failure.message;
    }
    ADD_FAILURE() << "accepted " << input;
    return "";
  };
  std::string typo = kBoxCode;
  typo[10] = typo[10] == 'A' ? 'B' : 'A';
  EXPECT_NE(no_label(typo).find("not a valid box code"), std::string::npos);
  EXPECT_NE(no_label(typo).find("check the characters you typed"), std::string::npos);
  const std::string too_many = no_label(
      "https://tte-00000A.net/.well-known/tte/box?first=00001000&count=10001&key="
      "000102030405060708090a0b0c0d0e0f");
  EXPECT_NE(too_many.find("not a valid box URL"), std::string::npos) << too_many;
}

TEST(BoxInput, ABoxLabelAmongQrCodesIsFound) {
  LabelsFound found = labels_in({kBoxUrl, "not a label"}, IdPolicy::operational);
  EXPECT_TRUE(found.devices.empty());
  ASSERT_EQ(found.boxes.size(), 1u);
  EXPECT_EQ(found.boxes[0].count(), 24u);
  std::string example = kBoxUrl;
  example.replace(example.find("00000A"), 6, "000000");
  found = labels_in({example}, IdPolicy::operational);
  EXPECT_TRUE(found.boxes.empty());
  EXPECT_EQ(found.example_labels, 1u);
}

TEST(ControllerCodeFromInput, NamesTheOptionWhenItIsNotOne) {
  try {
    controller_code_from_input("tte:controller?c=nowhere");
    ADD_FAILURE() << "accepted a malformed controller code";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--code: not a controller code: ", 0), 0u) << e.what();
  }
}

class QrImages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "qr-images-" + std::to_string(::getpid());
    make_private_directory(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(QrImages, FindsTheLabelInAPng) {
  auto device = EnrollmentUrl::parse(kUrl, IdPolicy::operational).value();
  auto label = labels::make_label(device, labels::QrLevel::Q);
  ASSERT_TRUE(label.ok());
  std::string path = dir_ + "/label.png";
  write_file_atomic(path, labels::encode_png(labels::render_png(label.value(), 4)), 0600);
  auto texts = read_qr_codes(path);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0], kUrl);
}

TEST_F(QrImages, AnImageWithoutCodesHasNone) {
  labels::Image blank(200, 200);
  std::fill(blank.pixels.begin(), blank.pixels.end(), 255);
  std::string path = dir_ + "/blank.png";
  write_file_atomic(path, labels::encode_png(blank), 0600);
  EXPECT_TRUE(read_qr_codes(path).empty());
}

TEST_F(QrImages, RefusesWhatIsNotAnImage) {
  std::string path = dir_ + "/notes.png";
  write_file_atomic(path, "this is text", 0600);
  EXPECT_THROW(read_qr_codes(path), StartupError);
  std::string truncated_jpeg = dir_ + "/cut.jpg";
  write_file_atomic(truncated_jpeg, std::string("\xff\xd8\xff\xe0\x00\x10JFIF", 10), 0600);
  EXPECT_THROW(read_qr_codes(truncated_jpeg), StartupError);
  EXPECT_THROW(read_qr_codes(dir_ + "/missing.png"), StartupError);
}

}  // namespace
}  // namespace tte::introducer
