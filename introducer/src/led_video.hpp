// Reading a Device's LED frame (draft 5.1; docs/protocol.md §13.1) from a
// camera recording, the pure part, with no I/O; how it works for the user:
// docs/introducer.md "From a recording of the LED". The video file's frames
// come from video_file.hpp.
//
//   Finder      video frames -> a coarse grid of cell brightnesses; finds the
//               cells whose brightness jumps, groups them into regions, and
//               reads each region's brightness trace
//   read_trace  a trace -> levels (a threshold that follows the exposure),
//               the bit clock (recover_clock), one level per bit, the frame
//               (led::decode_frames)
#ifndef TTE_INTRODUCER_LED_VIDEO_HPP
#define TTE_INTRODUCER_LED_VIDEO_HPP

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tte/led_frame.hpp"
#include "tte/result.hpp"

namespace tte::introducer::led_video {

// A rectangle of the video frame, in pixels.
struct Roi {
  int x = 0, y = 0, width = 0, height = 0;
};

// "X,Y,W,H" (decimal pixels; W and H at least 4, each at most 16384).
// Errors: syntax, out_of_range.
Result<Roi> parse_roi(std::string_view text);

// One brightness measurement: t in seconds, value 0-255 (or any scale).
struct Sample {
  double t = 0;
  float value = 0;
};

// The bit rates a reader looks for: the Device's 15 bit/s and what a faster
// firmware might use.
struct Limits {
  double min_bit_rate = 8;
  double max_bit_rate = 64;
};

struct Clock {
  double bit_rate = 0;   // bits per second
  double phase = 0;      // seconds: the start of a bit
  double coherence = 0;  // 0-1: how many level changes fit the clock, beyond chance
  std::size_t transitions = 0;
};

// A level change seen between two video frames: it happened after `from`
// and before `to` (seconds).
struct Change {
  double from = 0, to = 0;
};

// The LED's bit clock from its level changes, each bracketed by the two video
// frames around it: the rate and phase whose bit boundaries fall within the
// most brackets, beyond what brackets of their lengths would catch by chance
// (every NRZI change is on a bit boundary). Multiples of the rate fit as well:
// the lowest rate within the limits that fits about as well as the best is
// taken. Errors: not_found (too few changes, or none fits).
Result<Clock> recover_clock(const std::vector<Change>& changes, Limits limits = {});

// Why a reading failed; none when it named a Device.
enum class Failure : std::uint8_t {
  none,
  too_short,        // too few video frames
  no_led,           // nothing in the picture blinks
  no_clock,         // something changes brightness, but not to a bit clock
  too_slow_camera,  // the LED changes about as often as the camera takes a picture
  no_frame,         // a bit clock, but no valid LED frame (noise, or a cut-off frame)
  two_leds,         // more than one LED blinks
  ambiguous,        // a version 1 frame that reads as two Devices
  reserved,         // the frame names a reserved MS ID
};
const char* failure_name(Failure failure);

struct TraceReading {
  Failure failure = Failure::no_led;
  std::string detail;  // for the installer
  std::optional<led::Decoded> decoded;
  Clock clock;
  double contrast = 0;             // on minus off brightness
  double bimodality = 0;           // the share of frames clearly on or off (an LED's are)
  double confidence = 0;           // 0-1 (docs/introducer.md)
  double frame_start = 0;          // seconds: where the decoded frame began
  double frame_end = 0;            // seconds: where it ended (when it could be decoded)
  std::size_t frames_read = 0;     // valid frames of the decoded Device in the trace
  std::size_t uncertain_bits = 0;  // bits with no video frame in them, in the decoded frame
};

// Reads a trace (the LED region's brightness, one sample per video frame).
TraceReading read_trace(const std::vector<Sample>& trace, IdPolicy policy, Limits limits = {});

// What the Finder read: the trace reading of the LED, and where the LED is.
// One region of the picture whose brightness varied, as it was read.
struct RegionSummary {
  double x = 0, y = 0;  // pixels
  Failure failure = Failure::no_led;
  double contrast = 0, bit_rate = 0, coherence = 0, bimodality = 0;
};

struct Reading : TraceReading {
  double x = 0, y = 0;  // pixels: the LED's centre
  std::size_t regions_blinking = 0;
  std::vector<RegionSummary> regions;  // every region read, the brightest-varying first
  double video_time = 0;               // seconds of video read when the reading was made
};

class Finder {
 public:
  // Seconds of video a reading looks at: almost three version 1 frames at 15
  // bit/s, so that one whole frame is in it wherever the recording starts.
  static constexpr double kWindowSeconds = 30;

  // width x height: the video frames' size; roi: where to look (default all).
  Finder(int width, int height, std::optional<Roi> roi, IdPolicy policy, Limits limits = {});

  // One decoded video frame's luma plane (width x height bytes, rows stride
  // apart), taken at t seconds. Frames whose time does not increase are
  // dropped (a duplicated or damaged timestamp).
  void add_frame(double t, const std::uint8_t* luma, std::size_t stride);

  // Reads the frames of the last kWindowSeconds.
  Reading analyse() const;

  std::size_t frames() const { return frames_added_; }
  double duration() const { return frames_.empty() ? 0 : frames_.back().t - first_t_; }
  const Roi& roi() const { return roi_; }
  int cell_pixels() const { return 2 * bins_per_cell_; }

 private:
  struct FrameCells {
    double t;
    std::vector<std::uint8_t> cells;
  };
  Roi roi_;
  IdPolicy policy_;
  Limits limits_;
  int bins_per_cell_ = 1;
  int columns_ = 0, rows_ = 0;
  std::deque<FrameCells> frames_;
  std::size_t frames_added_ = 0;
  double first_t_ = 0;
  std::vector<std::uint8_t> scratch_;
};

}  // namespace tte::introducer::led_video

#endif  // TTE_INTRODUCER_LED_VIDEO_HPP
