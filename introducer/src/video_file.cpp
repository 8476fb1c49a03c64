#include "video_file.hpp"

#include <filesystem>
#include <memory>
#include <vector>

#include "tte/platform/startup_error.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

namespace tte::introducer {
namespace {

constexpr int kMaxDimension = 8192;

struct FormatCloser {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
struct CodecCloser {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
struct FrameCloser {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct PacketCloser {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct ScaleCloser {
  void operator()(SwsContext* context) const { sws_freeContext(context); }
};

// Formats whose first plane is the luma, as the Finder wants it.
bool luma_first(AVPixelFormat format) {
  switch (format) {
    case AV_PIX_FMT_GRAY8:
    case AV_PIX_FMT_YUV420P:
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUV422P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUV444P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUV440P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUV411P:
    case AV_PIX_FMT_YUV410P:
    case AV_PIX_FMT_NV12:
    case AV_PIX_FMT_NV21:
    case AV_PIX_FMT_YUVA420P:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string ffmpeg_error(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, text, sizeof text);
  return text;
}

VideoInfo read_video(const std::string& path, const FrameSink& on_frame) {
  av_log_set_level(AV_LOG_QUIET);  // damaged frames are skipped, not reported line by line
  // A local file only: FFmpeg would also open URLs (http:, concat:, ...), and
  // reading a recording sends nothing anywhere.
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw StartupError(path + ": no such video file");
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  AVFormatContext* raw_format = nullptr;
  const std::string local = "file:" + path;
  const int opened = avformat_open_input(&raw_format, local.c_str(), nullptr, &options);
  av_dict_free(&options);
  if (int rc = opened; rc < 0)
    throw StartupError(path + ": cannot open the video (" + ffmpeg_error(rc) + ")");
  std::unique_ptr<AVFormatContext, FormatCloser> format(raw_format);
  if (int rc = avformat_find_stream_info(format.get(), nullptr); rc < 0)
    throw StartupError(path + ": not a video FFmpeg can read (" + ffmpeg_error(rc) + ")");
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (index < 0 || !codec) throw StartupError(path + ": holds no video stream FFmpeg can decode");
  AVStream* stream = format->streams[index];
  std::unique_ptr<AVCodecContext, CodecCloser> decoder(avcodec_alloc_context3(codec));
  if (!decoder) throw StartupError("out of memory");
  if (avcodec_parameters_to_context(decoder.get(), stream->codecpar) < 0)
    throw StartupError(path + ": the video stream's parameters are unusable");
  decoder->thread_count = 0;  // as many as FFmpeg likes
  if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0)
    throw StartupError(path + ": cannot decode its " + codec->name + " video (" + ffmpeg_error(rc) +
                       ")");
  VideoInfo info;
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  if (info.width <= 0 || info.height <= 0 || info.width > kMaxDimension ||
      info.height > kMaxDimension)
    throw StartupError(path + ": a video of " + std::to_string(info.width) + " x " +
                       std::to_string(info.height) + " pixels (at most 8192 x 8192)");
  info.container = format->iformat ? format->iformat->name : "";
  info.codec = codec->name;
  if (format->duration > 0) info.duration = static_cast<double>(format->duration) / AV_TIME_BASE;
  if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0)
    info.nominal_fps = av_q2d(stream->avg_frame_rate);
  const double time_base = av_q2d(stream->time_base);

  std::unique_ptr<AVFrame, FrameCloser> frame(av_frame_alloc());
  std::unique_ptr<AVPacket, PacketCloser> packet(av_packet_alloc());
  if (!frame || !packet) throw StartupError("out of memory");
  std::unique_ptr<SwsContext, ScaleCloser> scale;
  std::vector<std::uint8_t> gray(static_cast<std::size_t>(info.width) * info.height);
  std::int64_t first_pts = AV_NOPTS_VALUE;
  double last_t = -1;
  bool go_on = true;

  auto drain = [&]() {
    while (go_on) {
      const int rc = avcodec_receive_frame(decoder.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) return;  // a damaged frame: skipped
      if (frame->width != info.width || frame->height != info.height) {
        av_frame_unref(frame.get());
        continue;  // a mid-stream size change: those frames are not read
      }
      std::int64_t pts = frame->best_effort_timestamp;
      double t = 0;
      if (pts == AV_NOPTS_VALUE) {
        t = last_t + (info.nominal_fps > 0 ? 1 / info.nominal_fps : 1.0 / 30);
      } else {
        if (first_pts == AV_NOPTS_VALUE) first_pts = pts;
        t = static_cast<double>(pts - first_pts) * time_base;
      }
      last_t = t;
      const auto pixel_format = static_cast<AVPixelFormat>(frame->format);
      if (luma_first(pixel_format)) {
        go_on = on_frame(info, t, frame->data[0], static_cast<std::size_t>(frame->linesize[0]));
      } else {
        scale.reset(sws_getCachedContext(scale.release(), info.width, info.height, pixel_format,
                                         info.width, info.height, AV_PIX_FMT_GRAY8, SWS_POINT,
                                         nullptr, nullptr, nullptr));
        if (!scale) throw StartupError(path + ": cannot convert its pixel format to luma");
        std::uint8_t* planes[4] = {gray.data(), nullptr, nullptr, nullptr};
        int strides[4] = {info.width, 0, 0, 0};
        sws_scale(scale.get(), frame->data, frame->linesize, 0, info.height, planes, strides);
        go_on = on_frame(info, t, gray.data(), static_cast<std::size_t>(info.width));
      }
      av_frame_unref(frame.get());
    }
  };

  while (go_on) {
    const int rc = av_read_frame(format.get(), packet.get());
    if (rc < 0) break;  // the end, or a file cut off: what was read counts
    if (packet->stream_index == index) {
      if (avcodec_send_packet(decoder.get(), packet.get()) >= 0) drain();
    }
    av_packet_unref(packet.get());
  }
  if (go_on) {
    avcodec_send_packet(decoder.get(), nullptr);
    drain();
  }
  return info;
}

}  // namespace tte::introducer
