#include "led_recording.hpp"

#include <memory>

#include "tte/platform/startup_error.hpp"

namespace tte::introducer {
namespace {

// Seconds of new video between two readings.
constexpr double kReadEvery = 2;
// Seconds of video between two progress reports.
constexpr double kProgressEvery = 10;

}  // namespace

LedRecording read_led_recording(const std::string& path, std::optional<led_video::Roi> roi,
                                IdPolicy policy, const VideoProgress& progress) {
  LedRecording result;
  std::unique_ptr<led_video::Finder> finder;
  double last_reading = 0, last_progress = 0;
  bool done = false;
  result.info = read_video(
      path, [&](const VideoInfo& info, double t, const std::uint8_t* luma, std::size_t stride) {
        if (!finder) {
          if (roi && (roi->x >= info.width || roi->y >= info.height))
            throw StartupError("--roi " + std::to_string(roi->x) + "," + std::to_string(roi->y) +
                               " lies outside the " + std::to_string(info.width) + " x " +
                               std::to_string(info.height) + " picture");
          finder = std::make_unique<led_video::Finder>(info.width, info.height, roi, policy);
        }
        finder->add_frame(t, luma, stride);
        ++result.frames;
        const double seconds = finder->duration();
        if (progress && seconds - last_progress >= kProgressEvery) {
          last_progress = seconds;
          progress(seconds, info.duration);
        }
        if (seconds - last_reading >= kReadEvery) {
          last_reading = seconds;
          result.reading = finder->analyse();
          if (result.reading.decoded || result.reading.failure == led_video::Failure::two_leds) {
            done = true;
            return false;
          }
        }
        return true;
      });
  if (!finder) {
    result.reading.failure = led_video::Failure::too_short;
    result.reading.detail = "the video has no frames";
  } else if (!done) {
    result.reading = finder->analyse();
  }
  return result;
}

std::string led_failure_message(const std::string& path, const LedRecording& recording) {
  const auto& reading = recording.reading;
  std::string message = "no LED frame read from " + path + " (" + std::to_string(recording.frames) +
                        " video frames): " + reading.detail;
  if (reading.failure == led_video::Failure::reserved)
    message += " (MS ID 0 is the example MotherShip's: --allow-example-id accepts it)";
  if (reading.failure == led_video::Failure::no_frame)
    message += ". Film the LED for at least two frames (25 s at 15 bit/s), closer and steadier";
  message += ". Read the Device's label (QR code) or type its manual code instead.";
  return message;
}

}  // namespace tte::introducer
