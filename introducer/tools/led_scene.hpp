// Synthetic recordings of a Device blinking its LED frame (docs/protocol.md
// §13.1), filmed by a simulated phone camera, written through FFmpeg's
// encoders: for tte-introducer's tests, tte-led-video and `./tte bench led`
// (docs/introducer.md "From a recording of the LED").
#ifndef TTE_INTRODUCER_LED_SCENE_HPP
#define TTE_INTRODUCER_LED_SCENE_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "tte/enrollment_url.hpp"
#include "tte/led_frame.hpp"

namespace tte::introducer::scene {

enum class Codec { h264, mjpeg, ffv1 };

// What the camera does to the picture. The presets are low, medium and high.
struct Camera {
  int width = 640, height = 480;
  double fps = 30;
  double exposure = 0.5;         // of the frame interval
  double rolling_shutter = 0.6;  // readout of the whole frame, as a share of the frame interval
  double noise = 2;              // sensor noise: standard deviation, in 0-255 luma
  double exposure_drift = 0.05;  // auto-exposure: the gain wanders by this share
  double white_balance_drift = 0.02;
  double blur = 0.6;       // optics: Gaussian sigma in pixels
  double shake = 0.5;      // hand shake: amplitude in pixels
  double jitter_ms = 0.5;  // capture time jitter, standard deviation
  double drop = 0;         // share of frames dropped (their time stays empty)
  double duplicate = 0;    // share of frames that repeat the previous picture
  double flicker = 0.05;   // ambient light at 100 Hz (50 Hz mains), modulation depth
  double flicker_hz = 100;
  Codec codec = Codec::h264;
  int quality = 23;  // H.264 CRF, or MJPEG qscale (2-31)

  static Camera preset(const std::string& noise);  // "low", "medium" or "high"
};

struct Led {
  EnrollmentUrl device;
  led::FrameVersion version = led::FrameVersion::v1;
  double bit_rate = 15;
  double x = 0, y = 0;   // pixels (0: the scene's default place)
  double radius = 2;     // pixels: an LED a few pixels wide
  double start_bit = 0;  // where in its repeating frame the LED is at t = 0 (bits)
};

struct Recording {
  std::vector<Led> leds;  // none: a Device whose LED is off
  double seconds = 25;
  std::uint64_t seed = 1;
  Camera camera;
};

// What was written: the LEDs' places, the frames' times.
struct Written {
  std::size_t frames = 0;
  std::vector<double> frame_starts;  // seconds: when the first LED's frames began
};

// Renders and encodes the recording into path (the container from its
// extension: .mp4, .mkv, .mov, .avi). Throws StartupError on failure.
Written write_recording(const Recording& recording, const std::string& path);

}  // namespace tte::introducer::scene

#endif  // TTE_INTRODUCER_LED_SCENE_HPP
