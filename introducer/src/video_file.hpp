// Reading a recording's frames through FFmpeg's libraries (libavformat,
// libavcodec, libswscale): any container and codec they read, frame by
// frame, as luma planes with their presentation times.
#ifndef TTE_INTRODUCER_VIDEO_FILE_HPP
#define TTE_INTRODUCER_VIDEO_FILE_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace tte::introducer {

struct VideoInfo {
  int width = 0, height = 0;
  double duration = 0;     // seconds, as the container says (0: unknown)
  double nominal_fps = 0;  // the stream's average frame rate (0: unknown)
  std::string container;   // e.g. "matroska,webm"
  std::string codec;       // e.g. "h264"
};

// Called with each decoded frame: t in seconds from the stream's start, the
// luma plane (info.width x info.height bytes, rows `stride` apart). Returns
// false to stop reading.
using FrameSink = std::function<bool(const VideoInfo& info, double t, const std::uint8_t* luma,
                                     std::size_t stride)>;

// FFmpeg's text for one of its error codes (AVERROR...).
std::string ffmpeg_error(int code);

// Reads path's best video stream. Throws StartupError naming the file for one
// that is missing, not a video, or larger than 8192 x 8192; a damaged frame
// in the middle is skipped, as players do.
VideoInfo read_video(const std::string& path, const FrameSink& on_frame);

}  // namespace tte::introducer

#endif  // TTE_INTRODUCER_VIDEO_FILE_HPP
