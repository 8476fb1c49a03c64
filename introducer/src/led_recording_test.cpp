// Recordings written by the generator (tte_led_scene, through FFmpeg's
// encoders and containers) and read back through the real FFmpeg decoders.
#include "led_recording.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "led_scene.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::introducer {
namespace {

std::string regions(const LedRecording& read) {
  std::string text = read.reading.detail + "; regions:";
  for (const auto& r : read.reading.regions)
    text += " (" + std::to_string(r.x) + "," + std::to_string(r.y) + " " +
            led_video::failure_name(r.failure) + " contrast " + std::to_string(r.contrast) +
            " rate " + std::to_string(r.bit_rate) + " coherence " + std::to_string(r.coherence) +
            " bimodality " + std::to_string(r.bimodality) + ")";
  return text;
}

class LedRecordingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tte-led-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  static scene::Led led(std::uint32_t dev_id, led::FrameVersion version, double start_bit) {
    scene::Led one{EnrollmentUrl(*MsId::from_value(10, IdPolicy::operational), DevId(dev_id),
                                 Otp(0x0c7a5a7397784c99ull ^ dev_id))};
    one.version = version;
    one.start_bit = start_bit;
    return one;
  }

  std::string dir_;
};

TEST_F(LedRecordingTest, FifteenBitsPerSecondAtThirtyFpsInH264Decodes) {
  scene::Recording recording;
  recording.camera = scene::Camera::preset("low");
  recording.leds = {led(0xabcdef01, led::FrameVersion::v1, 77.5)};
  recording.seconds = 24;
  scene::write_recording(recording, path("led.mp4"));
  double last_progress = 0;
  LedRecording read = read_led_recording(path("led.mp4"), std::nullopt, IdPolicy::operational,
                                         [&](double seconds, double) { last_progress = seconds; });
  ASSERT_EQ(read.reading.failure, led_video::Failure::none) << regions(read);
  EXPECT_EQ(read.reading.decoded->device, recording.leds[0].device);
  EXPECT_EQ(read.reading.decoded->version, led::FrameVersion::v1);
  EXPECT_NEAR(read.reading.clock.bit_rate, 15, 0.05);
  EXPECT_NEAR(read.reading.x, 320, 8);  // the generator's LED is in the middle
  EXPECT_NEAR(read.reading.y, 240, 8);
  EXPECT_EQ(read.info.codec, "h264");
  EXPECT_EQ(read.info.width, 640);
  EXPECT_GT(last_progress, 0);  // reported after 10 s of video
  // It stopped reading once a frame decoded.
  EXPECT_LT(read.reading.video_time, 23);
}

TEST_F(LedRecordingTest, AHarderOneDecodes_MediumNoiseMjpegAviVersion2) {
  scene::Recording recording;
  recording.camera = scene::Camera::preset("medium");
  recording.camera.codec = scene::Codec::mjpeg;
  recording.camera.quality = 8;
  recording.camera.fps = 60;
  recording.leds = {led(2, led::FrameVersion::v2, 12.25)};
  recording.leds[0].bit_rate = 30;
  recording.seconds = 14;
  recording.seed = 7;
  scene::write_recording(recording, path("led.avi"));
  LedRecording read = read_led_recording(path("led.avi"), std::nullopt, IdPolicy::operational);
  ASSERT_EQ(read.reading.failure, led_video::Failure::none) << regions(read);
  EXPECT_EQ(read.reading.decoded->device, recording.leds[0].device);
  EXPECT_EQ(read.reading.decoded->version, led::FrameVersion::v2);
  EXPECT_NEAR(read.reading.clock.bit_rate, 30, 0.1);
  EXPECT_EQ(read.info.codec, "mjpeg");
}

TEST_F(LedRecordingTest, VariableFrameRateWithDropsAndDuplicatesInMatroskaDecodes) {
  scene::Recording recording;
  recording.camera = scene::Camera::preset("low");
  recording.camera.codec = scene::Codec::ffv1;
  recording.camera.fps = 30;
  recording.camera.jitter_ms = 4;
  recording.camera.drop = 0.03;
  recording.camera.duplicate = 0.02;
  recording.camera.width = 320;
  recording.camera.height = 240;
  recording.leds = {led(5, led::FrameVersion::v2, 150)};
  recording.seconds = 26;
  recording.seed = 3;
  scene::write_recording(recording, path("led.mkv"));
  LedRecording read = read_led_recording(path("led.mkv"), std::nullopt, IdPolicy::operational);
  ASSERT_EQ(read.reading.failure, led_video::Failure::none) << regions(read);
  EXPECT_EQ(read.reading.decoded->device, recording.leds[0].device);
}

TEST_F(LedRecordingTest, NoLedAndTwoLedsGiveTheirFailures) {
  scene::Recording dark;
  dark.camera = scene::Camera::preset("medium");
  dark.seconds = 12;
  scene::write_recording(dark, path("dark.mp4"));
  LedRecording none = read_led_recording(path("dark.mp4"), std::nullopt, IdPolicy::operational);
  EXPECT_FALSE(none.reading.decoded);
  EXPECT_EQ(none.reading.failure, led_video::Failure::no_led) << regions(none);
  EXPECT_NE(led_failure_message(path("dark.mp4"), none).find("label"), std::string::npos);

  scene::Recording two;
  two.camera = scene::Camera::preset("low");
  two.leds = {led(1, led::FrameVersion::v2, 10), led(2, led::FrameVersion::v2, 90)};
  two.seconds = 24;
  scene::write_recording(two, path("two.mp4"));
  LedRecording both = read_led_recording(path("two.mp4"), std::nullopt, IdPolicy::operational);
  EXPECT_FALSE(both.reading.decoded);
  EXPECT_EQ(both.reading.failure, led_video::Failure::two_leds) << regions(both);
  // --roi around the second LED (the generator puts it at (168, 120)) reads it.
  LedRecording chosen =
      read_led_recording(path("two.mp4"), led_video::Roi{120, 80, 100, 80}, IdPolicy::operational);
  ASSERT_EQ(chosen.reading.failure, led_video::Failure::none) << regions(chosen);
  EXPECT_EQ(chosen.reading.decoded->device, two.leds[1].device);
}

TEST_F(LedRecordingTest, AFileThatIsNoVideoIsRefusedByName) {
  std::ofstream(path("not.mp4")) << "this is not a video\n";
  EXPECT_THROW(read_led_recording(path("not.mp4"), std::nullopt, IdPolicy::operational),
               StartupError);
  EXPECT_THROW(read_led_recording(path("missing.mp4"), std::nullopt, IdPolicy::operational),
               StartupError);
  // Local files only: no URL FFmpeg would fetch (a black-box finding).
  for (const char* url :
       {"http://127.0.0.1:9/v.mp4", "concat:/etc/hostname", "subfile:/etc/hostname"})
    EXPECT_THROW(read_led_recording(url, std::nullopt, IdPolicy::operational), StartupError) << url;
  // A recording cut off halfway through is read as far as it goes.
  scene::Recording recording;
  recording.camera = scene::Camera::preset("low");
  recording.leds = {led(9, led::FrameVersion::v2, 0)};
  recording.seconds = 16;
  scene::write_recording(recording, path("whole.mp4"));
  const auto size = std::filesystem::file_size(path("whole.mp4"));
  std::filesystem::copy_file(path("whole.mp4"), path("cut.mp4"));
  std::filesystem::resize_file(path("cut.mp4"), size / 2);
  try {
    LedRecording cut = read_led_recording(path("cut.mp4"), std::nullopt, IdPolicy::operational);
    EXPECT_FALSE(cut.reading.decoded && !(cut.reading.decoded->device == recording.leds[0].device));
  } catch (const StartupError&) {
    // An MP4 whose index (at the end) is cut off is no video at all.
  }
}

}  // namespace
}  // namespace tte::introducer
