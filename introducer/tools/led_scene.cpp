#include "led_scene.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "tte/platform/startup_error.hpp"
#include "video_file.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
}

namespace tte::introducer::scene {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The LED's level over time: its pattern's NRZI levels, two frames long (an odd
// number of toggles inverts the next frame), repeated.
class LevelSchedule {
 public:
  explicit LevelSchedule(const Led& led) : rate_(led.bit_rate), start_(led.start_bit) {
    const led::Pattern pattern = led::pattern_of(led.device, led.version);
    length_ = pattern.length;
    levels_.resize(2 * length_);
    bool level = false;
    for (int repeat = 0; repeat < 2; ++repeat)
      level = led::encode_pattern(pattern, level,
                                  MutableByteView(levels_.data() + repeat * length_, length_));
  }
  // The share of [t, t + duration) the LED is on.
  double on_fraction(double t, double duration) const {
    double from = t * rate_ + start_, to = (t + duration) * rate_ + start_;
    if (!(to > from)) return level_at(from) ? 1 : 0;
    double on = 0;
    double position = from;
    while (position < to) {
      const double next = std::min(to, std::floor(position) + 1);
      if (level_at(position)) on += next - position;
      position = next;
    }
    return on / (to - from);
  }
  double frame_seconds() const { return static_cast<double>(length_) / rate_; }
  double start_bit() const { return start_; }

 private:
  bool level_at(double bit) const {
    const auto period = static_cast<std::int64_t>(levels_.size());
    std::int64_t index = static_cast<std::int64_t>(std::floor(bit)) % period;
    if (index < 0) index += period;
    return levels_[static_cast<std::size_t>(index)] != 0;
  }
  double rate_, start_;
  std::size_t length_ = 0;
  std::vector<std::uint8_t> levels_;
};

struct Encoder {
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  bool avi = false;
  std::int64_t last_pts = -1;
  bool opened = false;

  ~Encoder() {
    if (codec) avcodec_free_context(&codec);
    if (frame) av_frame_free(&frame);
    if (packet) av_packet_free(&packet);
    if (format) {
      if (opened && !(format->oformat->flags & AVFMT_NOFILE)) avio_closep(&format->pb);
      avformat_free_context(format);
    }
  }

  void open(const std::string& path, const Camera& camera) {
    if (int rc = avformat_alloc_output_context2(&format, nullptr, nullptr, path.c_str()); rc < 0)
      throw StartupError(path + ": no container for this file name (" + ffmpeg_error(rc) + ")");
    avi = std::string(format->oformat->name) == "avi";
    const AVCodec* encoder = camera.codec == Codec::h264 ? avcodec_find_encoder_by_name("libx264")
                             : camera.codec == Codec::mjpeg
                                 ? avcodec_find_encoder(AV_CODEC_ID_MJPEG)
                                 : avcodec_find_encoder(AV_CODEC_ID_FFV1);
    if (!encoder) throw StartupError("FFmpeg has no encoder for the codec asked for");
    stream = avformat_new_stream(format, nullptr);
    codec = avcodec_alloc_context3(encoder);
    if (!stream || !codec) throw StartupError("out of memory");
    codec->width = camera.width;
    codec->height = camera.height;
    codec->pix_fmt = camera.codec == Codec::mjpeg ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    const int fps = std::max(1, static_cast<int>(std::lround(camera.fps)));
    codec->time_base = avi ? AVRational{1, fps} : AVRational{1, 90000};
    codec->framerate = AVRational{fps, 1};
    codec->gop_size = fps;
    codec->thread_count = 1;
    if (camera.codec == Codec::h264) {
      av_opt_set(codec->priv_data, "preset", "ultrafast", 0);
      av_opt_set(codec->priv_data, "crf", std::to_string(camera.quality).c_str(), 0);
    } else if (camera.codec == Codec::mjpeg) {
      codec->flags |= AV_CODEC_FLAG_QSCALE;
      codec->global_quality = FF_QP2LAMBDA * std::clamp(camera.quality, 2, 31);
    }
    if (format->oformat->flags & AVFMT_GLOBALHEADER) codec->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (int rc = avcodec_open2(codec, encoder, nullptr); rc < 0)
      throw StartupError(std::string("cannot open the ") + encoder->name + " encoder (" +
                         ffmpeg_error(rc) + ")");
    avcodec_parameters_from_context(stream->codecpar, codec);
    stream->time_base = codec->time_base;
    if (!(format->oformat->flags & AVFMT_NOFILE)) {
      if (int rc = avio_open(&format->pb, path.c_str(), AVIO_FLAG_WRITE); rc < 0)
        throw StartupError(path + ": cannot write (" + ffmpeg_error(rc) + ")");
    }
    opened = true;
    if (int rc = avformat_write_header(format, nullptr); rc < 0)
      throw StartupError(path + ": cannot write the header (" + ffmpeg_error(rc) + ")");
    frame = av_frame_alloc();
    packet = av_packet_alloc();
    frame->format = codec->pix_fmt;
    frame->width = camera.width;
    frame->height = camera.height;
    if (av_frame_get_buffer(frame, 0) < 0) throw StartupError("out of memory");
  }

  void write_packets() {
    while (avcodec_receive_packet(codec, packet) == 0) {
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      av_interleaved_write_frame(format, packet);
    }
  }

  // t in seconds.
  void add(const std::vector<std::uint8_t>& luma, std::uint8_t u, std::uint8_t v, double t,
           int quality_lambda) {
    av_frame_make_writable(frame);
    for (int y = 0; y < frame->height; ++y)
      std::copy_n(luma.data() + static_cast<std::size_t>(y) * frame->width, frame->width,
                  frame->data[0] + y * frame->linesize[0]);
    for (int plane = 1; plane < 3; ++plane)
      for (int y = 0; y < (frame->height + 1) / 2; ++y)
        std::fill_n(frame->data[plane] + y * frame->linesize[plane], (frame->width + 1) / 2,
                    plane == 1 ? u : v);
    std::int64_t pts = avi ? std::llround(t * codec->time_base.den) : std::llround(t * 90000);
    if (pts <= last_pts) pts = last_pts + 1;
    last_pts = pts;
    frame->pts = pts;
    frame->quality = quality_lambda;
    if (avcodec_send_frame(codec, frame) < 0) throw StartupError("the encoder refused a frame");
    write_packets();
  }

  void finish() {
    avcodec_send_frame(codec, nullptr);
    write_packets();
    av_write_trailer(format);
  }
};

// One pass of a box blur along (dx, dy) over a w x h picture.
void box_blur(const std::vector<float>& in, std::vector<float>& out, int w, int h, int dx, int dy,
              int radius) {
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double sum = 0;
      int count = 0;
      for (int d = -radius; d <= radius; ++d) {
        const int sx = x + d * dx, sy = y + d * dy;
        if (sx < 0 || sx >= w || sy < 0 || sy >= h) continue;
        sum += in[static_cast<std::size_t>(sy) * w + sx];
        ++count;
      }
      out[static_cast<std::size_t>(y) * w + x] = static_cast<float>(sum / count);
    }
}

}  // namespace

Camera Camera::preset(const std::string& noise) {
  Camera camera;
  if (noise == "low") return camera;
  if (noise == "medium") {
    camera.noise = 6;
    camera.exposure_drift = 0.15;
    camera.white_balance_drift = 0.05;
    camera.blur = 1.0;
    camera.shake = 2;
    camera.jitter_ms = 2;
    camera.drop = 0.01;
    camera.duplicate = 0.01;
    camera.flicker = 0.15;
    camera.quality = 28;
    return camera;
  }
  if (noise == "high") {
    camera.noise = 14;
    camera.exposure_drift = 0.2;
    camera.white_balance_drift = 0.1;
    camera.blur = 1.6;
    camera.shake = 5;
    camera.jitter_ms = 5;
    camera.drop = 0.04;
    camera.duplicate = 0.03;
    camera.flicker = 0.2;
    camera.quality = 32;
    return camera;
  }
  throw StartupError("camera noise is low, medium or high, not '" + noise + "'");
}

Written write_recording(const Recording& recording, const std::string& path) {
  const Camera& camera = recording.camera;
  const int w = camera.width, h = camera.height;
  if (w < 32 || h < 32 || w > 4096 || h > 4096 || w % 2 || h % 2)
    throw StartupError("the picture is 32-4096 pixels each way, even");
  if (!(camera.fps >= 1 && camera.fps <= 1000)) throw StartupError("the frame rate is 1-1000 fps");
  std::mt19937_64 random(recording.seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> normal(0, 1);

  // The scene: a textured wall, and the Device, a pale box, in the middle.
  std::vector<float> wall(static_cast<std::size_t>(w) * h);
  {
    const int cell = 24;
    const int gw = w / cell + 2, gh = h / cell + 2;
    std::vector<float> grid(static_cast<std::size_t>(gw) * gh);
    for (auto& g : grid)
      g = static_cast<float>(50 + 50 * unit(random));
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double fx = static_cast<double>(x) / cell, fy = static_cast<double>(y) / cell;
        const int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
        const double ax = fx - ix, ay = fy - iy;
        auto at = [&](int gx, int gy) { return grid[static_cast<std::size_t>(gy) * gw + gx]; };
        double v = (1 - ax) * (1 - ay) * at(ix, iy) + ax * (1 - ay) * at(ix + 1, iy) +
                   (1 - ax) * ay * at(ix, iy + 1) + ax * ay * at(ix + 1, iy + 1);
        v += 20.0 * y / h;
        const bool body = std::abs(x - w / 2) < w * 0.15 && std::abs(y - h / 2) < h * 0.1;
        const bool edge =
            body && (std::abs(x - w / 2) > w * 0.15 - 3 || std::abs(y - h / 2) > h * 0.1 - 3);
        if (body) v = edge ? 50 : 120 + 5 * std::sin(x * 0.3);
        wall[static_cast<std::size_t>(y) * w + x] = static_cast<float>(v);
      }
    // The optics' blur, once (a box blur of about the sigma, each way).
    const int radius = static_cast<int>(std::lround(camera.blur));
    if (radius > 0) {
      std::vector<float> pass(wall.size());
      box_blur(wall, pass, w, h, 1, 0, radius);
      box_blur(pass, wall, w, h, 0, 1, radius);
    }
  }
  std::vector<Led> leds = recording.leds;
  for (std::size_t i = 0; i < leds.size(); ++i) {
    if (leds[i].x == 0 && leds[i].y == 0) {
      leds[i].x = i == 0 ? w / 2.0 : w * 0.2 + 40.0 * i;
      leds[i].y = i == 0 ? h / 2.0 : h * 0.25;
    }
  }
  std::vector<LevelSchedule> schedules;
  for (const auto& led : leds)
    schedules.emplace_back(led);

  // Sensor noise from a table, read from a random place each frame.
  std::vector<float> noise_table(1 << 20);
  for (auto& n : noise_table)
    n = static_cast<float>(normal(random) * camera.noise);
  const double phases[6] = {unit(random) * 2 * kPi, unit(random) * 2 * kPi, unit(random) * 2 * kPi,
                            unit(random) * 2 * kPi, unit(random) * 2 * kPi, unit(random) * 2 * kPi};

  av_log_set_level(AV_LOG_ERROR);
  Encoder encoder;
  encoder.open(path, camera);
  const int lambda = camera.codec == Codec::mjpeg ? FF_QP2LAMBDA * camera.quality : 0;
  std::vector<std::uint8_t> picture(static_cast<std::size_t>(w) * h);
  std::vector<std::uint8_t> previous;
  std::vector<double> row_flicker(h), led_on(h * leds.size());
  Written written;
  const double interval = 1 / camera.fps, exposure = camera.exposure * interval;
  const auto count = static_cast<std::size_t>(recording.seconds * camera.fps);
  for (std::size_t f = 0; f < count; ++f) {
    const double t = f * interval + normal(random) * camera.jitter_ms / 1000;
    const bool drop = unit(random) < camera.drop;
    const bool duplicate = unit(random) < camera.duplicate && !previous.empty();
    if (drop) continue;
    const double gain = 1 + camera.exposure_drift * std::sin(2 * kPi * t / 6.5 + phases[0]);
    const double balance = 1 + camera.white_balance_drift * std::sin(2 * kPi * t / 9 + phases[1]);
    const std::uint8_t u =
        static_cast<std::uint8_t>(std::clamp(128 + 400 * (balance - 1), 0.0, 255.0));
    const std::uint8_t v =
        static_cast<std::uint8_t>(std::clamp(128 - 300 * (balance - 1), 0.0, 255.0));
    if (duplicate) {
      encoder.add(previous, u, v, std::max(t, 0.0), lambda);
      ++written.frames;
      continue;
    }
    const double dx =
        camera.shake *
        (std::sin(2 * kPi * 1.3 * t + phases[2]) + 0.5 * std::sin(2 * kPi * 2.9 * t + phases[3])) /
        1.5;
    const double dy =
        camera.shake *
        (std::sin(2 * kPi * 1.1 * t + phases[4]) + 0.5 * std::sin(2 * kPi * 3.7 * t + phases[5])) /
        1.5;
    // Each row is exposed a little later than the one above (rolling shutter).
    for (int y = 0; y < h; ++y) {
      const double start = t + camera.rolling_shutter * interval * y / h;
      const double omega = 2 * kPi * camera.flicker_hz;
      const double mean_sin =
          exposure > 0 ? (std::cos(omega * start) - std::cos(omega * (start + exposure))) /
                             (omega * exposure)
                       : std::sin(omega * start);
      row_flicker[y] = (1 + camera.flicker * mean_sin) * gain * balance;
      for (std::size_t i = 0; i < leds.size(); ++i)
        led_on[i * h + y] = schedules[i].on_fraction(start, exposure);
    }
    const std::size_t noise_at =
        static_cast<std::size_t>(random() % (noise_table.size() - picture.size()));
    const int sx = static_cast<int>(std::lround(dx)), sy = static_cast<int>(std::lround(dy));
    const double spread = std::max(0.5, camera.blur);
    for (int y = 0; y < h; ++y) {
      const int wy = std::clamp(y + sy, 0, h - 1);
      for (int x = 0; x < w; ++x) {
        const int wx = std::clamp(x + sx, 0, w - 1);
        double value = wall[static_cast<std::size_t>(wy) * w + wx] * row_flicker[y];
        for (std::size_t i = 0; i < leds.size(); ++i) {
          const double ex = x - (leds[i].x - dx), ey = y - (leds[i].y - dy);
          if (std::fabs(ex) > leds[i].radius + 4 * spread ||
              std::fabs(ey) > leds[i].radius + 4 * spread)
            continue;
          const double beyond = std::max(0.0, std::sqrt(ex * ex + ey * ey) - leds[i].radius);
          value +=
              230 * led_on[i * h + y] * std::exp(-beyond * beyond / (2 * spread * spread)) * gain;
        }
        value += noise_table[noise_at + static_cast<std::size_t>(y) * w + x];
        picture[static_cast<std::size_t>(y) * w + x] =
            static_cast<std::uint8_t>(std::clamp(value, 0.0, 255.0));
      }
    }
    encoder.add(picture, u, v, std::max(t, 0.0), lambda);
    previous = picture;
    ++written.frames;
  }
  encoder.finish();
  if (!schedules.empty()) {
    const double frame_seconds = schedules[0].frame_seconds();
    const double first = -schedules[0].start_bit() / leds[0].bit_rate;
    for (double s = first; s < recording.seconds; s += frame_seconds)
      if (s >= 0) written.frame_starts.push_back(s);
  }
  return written;
}

}  // namespace tte::introducer::scene
