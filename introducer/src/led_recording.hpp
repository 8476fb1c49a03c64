// Reading a Device from a recording of its LED, as
// docs/introducer.md "From a recording of the LED" describes: the video file's
// frames (video_file.hpp) into the Finder (led_video.hpp), read every two
// seconds of video until a frame decodes.
#ifndef TTE_INTRODUCER_LED_RECORDING_HPP
#define TTE_INTRODUCER_LED_RECORDING_HPP

#include <functional>
#include <optional>
#include <string>

#include "led_video.hpp"
#include "video_file.hpp"

namespace tte::introducer {

struct LedRecording {
  led_video::Reading reading;  // failure none: reading.decoded names the Device
  VideoInfo info;
  std::size_t frames = 0;  // video frames read
};

// Progress: seconds of video read so far, and the file's length (0: unknown).
using VideoProgress = std::function<void(double seconds, double duration)>;

// Throws StartupError for a file that is not a readable video.
LedRecording read_led_recording(const std::string& path, std::optional<led_video::Roi> roi,
                                IdPolicy policy, const VideoProgress& progress = {});

// The installer's message for a failed reading: why, and what to do instead.
std::string led_failure_message(const std::string& path, const LedRecording& recording);

}  // namespace tte::introducer

#endif  // TTE_INTRODUCER_LED_RECORDING_HPP
