// tte-led-bench (`./tte bench led`): the draft's open questions for variation
// 5.1, measured; the figures are in
// docs/introducer.md "From a recording of the LED".
//
//  1. Decode success of recordings (tte_led_scene through FFmpeg's encoders and
//     the real decoders) of random Devices at 15, 20, 30 and 45 bit/s, filmed at
//     30, 60 and 120 fps under low, medium and high camera noise, and the video
//     time to the first decode, against the frame's own length.
//  2. False accepts of the draft's 8-bit sum, Adler-32, CRC-8 and CRC-16 under
//     random bit errors, wrong samples (NRZI: two adjacent bits) and bursts,
//     millions of simulated frames each, against the 2^-k of a random frame.
//  3. How often a version 1 frame is ambiguous (a rotation also passes) over
//     random Devices, against version 2.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "led_recording.hpp"
#include "led_scene.hpp"
#include "tte/platform/command_line.hpp"

namespace {

using namespace tte;
using namespace tte::introducer;

// --- 1. recordings ---------------------------------------------------------

struct Cell {
  double rate, fps;
  std::string noise;
  int done = 0, read = 0, wrong = 0;
  std::vector<double> times;  // video seconds to the first decode, of those read
  double generate_seconds = 0, read_seconds = 0, video_seconds = 0;
  std::map<std::string, int> failures;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void recordings(int per_cell, int threads, led::FrameVersion version, const std::string& dir) {
  std::vector<Cell> cells;
  for (const char* noise : {"low", "medium", "high"})
    for (double fps : {30.0, 60.0, 120.0})
      for (double rate : {15.0, 20.0, 30.0, 45.0})
        cells.push_back({rate, fps, noise});
  struct Job {
    std::size_t cell;
    int index;
  };
  std::vector<Job> jobs;
  for (int i = 0; i < per_cell; ++i)
    for (std::size_t c = 0; c < cells.size(); ++c)
      jobs.push_back({c, i});
  std::atomic<std::size_t> next{0};
  std::mutex lock;
  double bare_decode = 0, bare_video = 0;  // the baseline: FFmpeg's decoding alone
  auto worker = [&](int id) {
    while (true) {
      const std::size_t j = next.fetch_add(1);
      if (j >= jobs.size()) return;
      Cell& cell = cells[jobs[j].cell];
      std::mt19937_64 random(1000003ull * jobs[j].cell + jobs[j].index);
      scene::Recording recording;
      recording.camera = scene::Camera::preset(cell.noise);
      recording.camera.width = 320;
      recording.camera.height = 240;
      recording.camera.fps = cell.fps;
      recording.seed = random();
      scene::Led led{
          EnrollmentUrl(*MsId::from_value(1 + random() % 0xfffffe, IdPolicy::operational),
                        DevId(static_cast<std::uint32_t>(random())), Otp(random()))};
      led.version = version;
      led.bit_rate = cell.rate;
      led.radius = 1.5;
      led.start_bit = std::uniform_real_distribution<double>(0, 400)(random);
      recording.leds = {led};
      const double frame_seconds = led::pattern_of(led.device, version).length / cell.rate;
      recording.seconds = 2.5 * frame_seconds;  // a whole frame wherever it starts, and more
      const std::string path = dir + "/r" + std::to_string(id) + ".mp4";
      auto start = std::chrono::steady_clock::now();
      scene::write_recording(recording, path);
      const double generated = seconds_since(start);
      start = std::chrono::steady_clock::now();
      LedRecording read = read_led_recording(path, std::nullopt, IdPolicy::operational);
      const double reading = seconds_since(start);
      double bare = 0;
      if (jobs[j].index == 0) {  // the baseline, once per cell
        start = std::chrono::steady_clock::now();
        read_video(path,
                   [](const VideoInfo&, double, const std::uint8_t*, std::size_t) { return true; });
        bare = seconds_since(start);
      }
      std::lock_guard<std::mutex> hold(lock);
      ++cell.done;
      cell.generate_seconds += generated;
      cell.read_seconds += reading;
      cell.video_seconds += read.reading.video_time;
      if (bare > 0) {
        bare_decode += bare;
        bare_video += recording.seconds;
      }
      if (read.reading.decoded) {
        if (read.reading.decoded->device == led.device) {
          ++cell.read;
          cell.times.push_back(read.reading.video_time);
        } else {
          ++cell.wrong;
        }
      } else {
        ++cell.failures[led_video::failure_name(read.reading.failure)];
      }
      const std::size_t finished = j + 1;
      if (finished % 20 == 0 || finished == jobs.size())
        std::fprintf(stderr, "  %zu of %zu recordings\n", finished, jobs.size());
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back(worker, i);
  for (auto& thread : pool)
    thread.join();

  std::printf(
      "\n1. Decode success, frame version %d: %d recordings per cell of random Devices, 320 x 240, "
      "H.264 (CRF by noise), LED 3 px wide, 2.5 frames long from a random point of the frame\n",
      static_cast<int>(version), per_cell);
  std::printf(
      "   time: video seconds read until the first decode (median), and that over one "
      "frame's length (the baseline: at best 1, on average 1.5 from a random start)\n\n");
  std::printf("   %-7s %4s %6s  %8s  %7s  %11s  %s\n", "noise", "fps", "bit/s", "decoded", "wrong",
              "time", "failures");
  for (auto& cell : cells) {
    std::sort(cell.times.begin(), cell.times.end());
    const double frame_seconds =
        (version == led::FrameVersion::v1 ? 152.0 : 168.0) / cell.rate;  // typical lengths
    char time[48] = "-";
    if (!cell.times.empty()) {
      const double median = cell.times[cell.times.size() / 2];
      std::snprintf(time, sizeof time, "%5.1f s %4.2fx", median, median / frame_seconds);
    }
    std::string failures;
    for (const auto& [name, count] : cell.failures)
      failures += name + " " + std::to_string(count) + "  ";
    std::printf("   %-7s %4.0f %6.0f  %3d/%-3d  %7d  %11s  %s\n", cell.noise.c_str(), cell.fps,
                cell.rate, cell.read, cell.done, cell.wrong, time, failures.c_str());
  }
  double read_seconds = 0, video_seconds = 0, generate_seconds = 0;
  for (const auto& cell : cells) {
    read_seconds += cell.read_seconds;
    video_seconds += cell.video_seconds;
    generate_seconds += cell.generate_seconds;
  }
  std::printf(
      "\n   reading cost: %.3f s of CPU per second of video read; FFmpeg's decoding alone "
      "(the baseline, same files): %.3f s; ratio %.1fx\n",
      read_seconds / std::max(video_seconds, 1e-9), bare_decode / std::max(bare_video, 1e-9),
      (read_seconds / std::max(video_seconds, 1e-9)) /
          std::max(bare_decode / std::max(bare_video, 1e-9), 1e-9));
  std::printf("   (generating the recordings took %.0f s of CPU)\n", generate_seconds);
}

// --- 2. checks -------------------------------------------------------------

using Bytes = std::vector<std::uint8_t>;

struct Check {
  const char* name;
  std::size_t bytes;  // appended
  void (*append)(Bytes&);
};

void append_sum8(Bytes& b) {
  std::uint8_t sum = 0;
  for (auto v : b)
    sum = static_cast<std::uint8_t>(sum + v);
  b.push_back(static_cast<std::uint8_t>(-sum));
}
void append_adler32(Bytes& b) {
  std::uint32_t a = 1, s = 0;
  for (auto v : b) {
    a = (a + v) % 65521;
    s = (s + a) % 65521;
  }
  const std::uint32_t value = (s << 16) | a;
  for (int i = 3; i >= 0; --i)
    b.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}
template <std::uint8_t Poly>
void append_crc8(Bytes& b) {
  std::uint8_t crc = 0;
  for (auto v : b) {
    crc ^= v;
    for (int i = 0; i < 8; ++i)
      crc = static_cast<std::uint8_t>((crc & 0x80) ? (crc << 1) ^ Poly : crc << 1);
  }
  b.push_back(crc);
}
void append_crc16(Bytes& b) {  // CRC-16/XMODEM (polynomial 0x1021, initial 0)
  std::uint16_t crc = 0;
  for (auto v : b) {
    crc ^= static_cast<std::uint16_t>(v << 8);
    for (int i = 0; i < 8; ++i)
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  b.push_back(static_cast<std::uint8_t>(crc >> 8));
  b.push_back(static_cast<std::uint8_t>(crc));
}

const Check kChecks[] = {
    {"sum8 (draft)", 1, append_sum8},           {"Adler-32", 4, append_adler32},
    {"CRC-8/SMBUS 0x07", 1, append_crc8<0x07>}, {"CRC-8/GSM-A 0x1D", 1, append_crc8<0x1D>},
    {"CRC-16/XMODEM", 2, append_crc16},
};

bool passes(const Check& check, const Bytes& frame, std::size_t payload) {
  Bytes again(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(payload));
  check.append(again);
  return std::equal(again.begin(), again.end(), frame.begin());
}

void flip(Bytes& frame, std::size_t bit) {
  frame[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
}

void checks(long trials) {
  constexpr std::size_t kPayload = 17;  // version or start byte, MS ID, Dev ID, OTP
  struct Model {
    const char* name;
    int kind;
    double parameter;
  };
  const Model models[] = {
      {"random bits wrong, 1%", 0, 0.01},
      {"random bits wrong, 5%", 0, 0.05},
      {"2 wrong samples", 1, 2},
      {"3 wrong samples", 1, 3},
      {"4 wrong samples", 1, 4},
      {"burst of 2-16 samples, random", 2, 16},
      {"burst of 2-48 samples, LED hidden", 3, 48},
      {"clock slip (a bit lost)", 4, 0},
      {"random frame", 5, 0},
  };
  std::printf(
      "\n2. False accepts per million corrupted frames (%ld frames per model and check; "
      "a wrong sample flips two adjacent bits under NRZI; 17 payload bytes)\n\n",
      trials);
  std::printf("   %-36s", "model");
  for (const auto& check : kChecks)
    std::printf(" %17s", check.name);
  std::printf("\n   %-36s", "baseline: a random frame, 2^-k");
  for (const auto& check : kChecks)
    std::printf(" %17.3f", 1e6 * std::pow(2.0, -8.0 * check.bytes));
  std::printf("\n");
  for (const auto& model : models) {
    std::printf("   %-36s", model.name);
    for (const auto& check : kChecks) {
      std::mt19937_64 random(42);
      long corrupted = 0, accepted = 0;
      for (long t = 0; t < trials; ++t) {
        Bytes frame(kPayload);
        for (auto& b : frame)
          b = static_cast<std::uint8_t>(random());
        check.append(frame);
        const Bytes original = frame;
        const std::size_t bits = 8 * frame.size();
        switch (model.kind) {
          case 0: {
            std::bernoulli_distribution wrong(model.parameter);
            for (std::size_t i = 0; i < bits; ++i)
              if (wrong(random)) flip(frame, i);
            break;
          }
          case 1:
            for (int k = 0; k < static_cast<int>(model.parameter); ++k) {
              const std::size_t at = random() % (bits - 1);
              flip(frame, at);
              flip(frame, at + 1);
            }
            break;
          case 2:
          case 3: {
            // Levels from the bits, a run of them replaced, bits again.
            std::vector<std::uint8_t> levels(bits + 1, 0);
            for (std::size_t i = 0; i < bits; ++i)
              levels[i + 1] = ((frame[i / 8] >> (7 - i % 8)) & 1) ? levels[i] : !levels[i];
            const std::size_t length =
                2 + random() % (static_cast<std::size_t>(model.parameter) - 1);
            const std::size_t at = 1 + random() % (bits - length);
            for (std::size_t i = at; i < at + length; ++i)
              levels[i] = model.kind == 2 ? random() & 1 : 0;
            for (std::size_t i = 0; i < bits; ++i) {
              const bool bit = levels[i + 1] == levels[i];
              if (bit != (((frame[i / 8] >> (7 - i % 8)) & 1) != 0)) flip(frame, i);
            }
            break;
          }
          case 4: {
            const std::size_t at = random() % bits;
            Bytes shifted(frame.size(), 0);
            for (std::size_t i = 0; i + 1 < bits; ++i) {
              const std::size_t from = i < at ? i : i + 1;
              if ((frame[from / 8] >> (7 - from % 8)) & 1)
                shifted[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
            }
            frame = shifted;
            break;
          }
          default:
            for (auto& b : frame)
              b = static_cast<std::uint8_t>(random());
        }
        if (frame == original) continue;
        ++corrupted;
        if (passes(check, frame, kPayload)) ++accepted;
      }
      std::printf(" %17.3f", corrupted ? 1e6 * accepted / corrupted : 0.0);
    }
    std::printf("\n");
  }
  std::printf("   frame cost at 15 bit/s: the check's bits take");
  for (const auto& check : kChecks)
    std::printf(" %s %.2f s;", check.name, 8.0 * check.bytes / 15);
  std::printf("\n");
}

// --- 3. ambiguity ----------------------------------------------------------

void ambiguity(long devices) {
  std::printf(
      "\n3. Ambiguity: Devices whose repeated frame reads as two Devices (%ld random "
      "Devices each; decode_frames over two frames from their start)\n\n",
      devices);
  // Factories allocate Dev IDs from 1 up (docs/factory.md): a MotherShip's first
  // million Devices have Dev IDs below 2^20.
  struct Population {
    const char* name;
    std::uint32_t ms_mask, ms_floor, dev_mask;
  };
  const Population populations[] = {{"random MS IDs, random Dev IDs", 0xffffff, 1, 0xffffffff},
                                    {"random MS IDs, Dev IDs 1-2^20", 0xffffff, 1, 0xfffff},
                                    {"MS IDs 1-255, Dev IDs 1-2^20", 0xff, 1, 0xfffff},
                                    {"MS ID 1, Dev IDs 1-2^20", 0, 1, 0xfffff}};
  for (const auto& population : populations) {
    for (auto version : {led::FrameVersion::v1, led::FrameVersion::v2}) {
      std::mt19937_64 random(9);
      long ambiguous = 0, unread = 0;
      for (long d = 0; d < devices; ++d) {
        std::uint32_t ms = static_cast<std::uint32_t>(random()) & population.ms_mask;
        if (ms < population.ms_floor) ms = population.ms_floor;
        const std::uint32_t dev =
            std::max<std::uint32_t>(1, static_cast<std::uint32_t>(random()) & population.dev_mask);
        const EnrollmentUrl device(*MsId::from_value(ms, IdPolicy::operational), DevId(dev),
                                   Otp(random()));
        const led::Pattern pattern = led::pattern_of(device, version);
        std::vector<std::uint8_t> levels(2 * pattern.length + 1);
        bool level =
            led::encode_pattern(pattern, false, MutableByteView(levels.data() + 1, pattern.length));
        led::encode_pattern(pattern, level,
                            MutableByteView(levels.data() + 1 + pattern.length, pattern.length));
        auto decoded = led::decode_frames(levels, IdPolicy::operational);
        if (!decoded.ok() && decoded.error().code == Errc::duplicate)
          ++ambiguous;
        else if (!decoded.ok() || !(decoded->device == device))
          ++unread;
      }
      std::printf("   %-38s version %d: %8.4f%% ambiguous (%ld of %ld), %ld misread\n",
                  population.name, static_cast<int>(version), 100.0 * ambiguous / devices,
                  ambiguous, devices, unread);
    }
  }
}

int run(const std::vector<std::string>& args) {
  CommandLine cli("tte-led-bench [options]",
                  "Measures reading Devices from recordings of their LED (docs/introducer.md), "
                  "the LED frame's checks and its ambiguity (docs/protocol.md 13.1).");
  cli.option("recordings", "N", "recordings per cell of the decode table", "10")
      .option("frame-version", "1|2", "the frame the recorded Devices blink", "1")
      .option("check-frames", "N", "simulated frames per error model and check", "1000000")
      .option("ambiguity-devices", "N", "random Devices for the ambiguity count", "200000")
      .option("threads", "N", "recordings made and read at once", "2")
      .option("only", "recordings|checks|ambiguity", "run one part");
  if (!cli.parse(args)) return 0;
  std::printf("tte-led-bench on a %s build, %u cores\n", TTE_BUILD_TYPE,
              std::thread::hardware_concurrency());
  const std::string only = cli.get_or("only", "");
  if (only.empty() || only == "checks")
    checks(static_cast<long>(cli.require_int("check-frames", 1000, 1000000000)));
  if (only.empty() || only == "ambiguity")
    ambiguity(static_cast<long>(cli.require_int("ambiguity-devices", 100, 100000000)));
  if (only.empty() || only == "recordings") {
    char pattern[] = "/tmp/tte-led-bench-XXXXXX";
    if (!::mkdtemp(pattern)) throw StartupError("cannot make a temporary directory");
    const std::string dir = pattern;
    recordings(
        static_cast<int>(cli.require_int("recordings", 1, 10000)),
        static_cast<int>(cli.require_int("threads", 1, 64)),
        cli.require_int("frame-version", 1, 2) == 2 ? led::FrameVersion::v2 : led::FrameVersion::v1,
        dir);
    std::filesystem::remove_all(dir);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-led-bench: %s\n", e.what());
    return dynamic_cast<const UsageError*>(&e) ? 2 : 1;
  }
}
