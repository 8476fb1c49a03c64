// tte-led-video: writes a synthetic recording of a Device blinking its LED
// frame, filmed by a simulated phone camera, for tests and experiments; see
// docs/introducer.md "From a recording of the LED".
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "led_scene.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/startup_error.hpp"

namespace {

using namespace tte;
using namespace tte::introducer;

double number(CommandLine& cli, const char* name, double low, double high) {
  const std::string text = cli.require(name);
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !(value >= low && value <= high))
    throw UsageError(std::string("--") + name + ": a number from " + std::to_string(low) + " to " +
                     std::to_string(high) + ", not '" + text + "'");
  return value;
}

int run(const std::vector<std::string>& args) {
  CommandLine cli("tte-led-video --out FILE [options]",
                  "Writes a recording of a Device blinking its LED frame (docs/protocol.md 13.1), "
                  "filmed by a simulated phone camera with its faults (noise, auto-exposure, "
                  "blur, hand shake, rolling shutter, mains flicker, jitter, dropped and "
                  "duplicated frames, compression). The container follows the file name (.mp4, "
                  ".mkv, .mov, .avi). Prints the Device and the ground truth as JSON.");
  cli.option("out", "FILE", "the recording to write")
      .option("url", "URL",
              "the Device's Enrollment URL (default: a random Device of the example MotherShip)")
      .option("frame-version", "1|2", "the LED frame version the Device blinks", "1")
      .option("bit-rate", "BPS", "the LED's bit rate", "15")
      .option("fps", "FPS", "the camera's frame rate", "30")
      .option("seconds", "S", "the recording's length", "25")
      .option("noise", "low|medium|high", "the camera's faults, as a preset", "low")
      .option("codec", "h264|mjpeg|ffv1", "the encoder", "h264")
      .option("size", "WxH", "the picture's size in pixels", "640x480")
      .option("led-radius", "PX", "the LED's radius in pixels", "2")
      .option("leds", "N", "how many Devices blink in the picture (0: an LED that stays off)", "1")
      .option("sensor-noise", "SIGMA", "override the preset's sensor noise (0-255 luma)")
      .option("drop", "SHARE", "override the preset's share of dropped frames")
      .option("duplicate", "SHARE", "override the preset's share of duplicated frames")
      .option("shake", "PX", "override the preset's hand shake amplitude")
      .option("seed", "N", "the random seed (the Device, the LED's phase, the noise)", "1")
      .epilog("Exit status: 0 written, 1 failure, 2 wrong usage.");
  if (!cli.parse(args)) return 0;
  scene::Recording recording;
  recording.camera = scene::Camera::preset(cli.require("noise"));
  scene::Camera& camera = recording.camera;
  camera.fps = number(cli, "fps", 1, 1000);
  recording.seconds = number(cli, "seconds", 0.5, 3600);
  const std::string codec = cli.require("codec");
  if (codec == "h264") {
    camera.codec = scene::Codec::h264;
  } else if (codec == "mjpeg") {
    camera.codec = scene::Codec::mjpeg;
    camera.quality = camera.quality <= 23 ? 4 : camera.quality <= 28 ? 8 : 14;
  } else if (codec == "ffv1") {
    camera.codec = scene::Codec::ffv1;
  } else {
    throw UsageError("--codec: h264, mjpeg or ffv1");
  }
  const std::string size = cli.require("size");
  if (std::sscanf(size.c_str(), "%dx%d", &camera.width, &camera.height) != 2)
    throw UsageError("--size: WxH, e.g. 640x480");
  if (cli.given("sensor-noise")) camera.noise = number(cli, "sensor-noise", 0, 100);
  if (cli.given("drop")) camera.drop = number(cli, "drop", 0, 0.9);
  if (cli.given("duplicate")) camera.duplicate = number(cli, "duplicate", 0, 0.9);
  if (cli.given("shake")) camera.shake = number(cli, "shake", 0, 100);
  recording.seed = static_cast<std::uint64_t>(number(cli, "seed", 0, 1e15));
  std::mt19937_64 random(recording.seed);
  const int version = static_cast<int>(cli.require_int("frame-version", 1, 2));
  const int count = static_cast<int>(cli.require_int("leds", 0, 4));
  nlohmann::ordered_json devices = nlohmann::ordered_json::array();
  for (int i = 0; i < std::max(count, 1); ++i) {
    scene::Led led{EnrollmentUrl(MsId::from_value(0, IdPolicy::allow_example).value(),
                                 DevId(static_cast<std::uint32_t>(random())), Otp(random()))};
    if (i == 0 && cli.given("url")) {
      auto url = EnrollmentUrl::parse(cli.require("url"), IdPolicy::allow_example);
      if (!url.ok()) throw UsageError(std::string("--url: ") + url.error().message);
      led.device = url.value();
    }
    led.version = version == 2 ? led::FrameVersion::v2 : led::FrameVersion::v1;
    led.bit_rate = number(cli, "bit-rate", 1, 240);
    led.radius = number(cli, "led-radius", 0.5, 50);
    led.start_bit =
        static_cast<double>(random() % 1000) + std::uniform_real_distribution<>(0, 1)(random);
    if (count > 0) recording.leds.push_back(led);
    devices.push_back(std::string(led.device.to_string().view()));
  }
  const std::string out = cli.require("out");
  const scene::Written written = scene::write_recording(recording, out);
  nlohmann::ordered_json report{{"out", out},
                                {"devices", count > 0 ? devices : nlohmann::ordered_json::array()},
                                {"frames", written.frames},
                                {"frame_starts", written.frame_starts}};
  std::cout << report.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& e) {
    std::cerr << "tte-led-video: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tte-led-video: " << e.what() << "\n";
    return 1;
  }
}
