#include "led_video.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tte::introducer::led_video {
namespace {

EnrollmentUrl random_device(std::mt19937_64& random) {
  return EnrollmentUrl(*MsId::from_value(random() & 0xffffff, IdPolicy::allow_example),
                       DevId(static_cast<std::uint32_t>(random())), Otp(random()));
}

// An LED blinking `device` at `rate` bit/s, sampled at `fps` with the LED at
// `start_bit` at t = 0, brightness 40 off and 220 on, plus Gaussian noise.
std::vector<Sample> blink(const EnrollmentUrl& device, led::FrameVersion version, double rate,
                          double fps, double seconds, double start_bit, double noise,
                          std::mt19937_64& random) {
  const led::Pattern pattern = led::pattern_of(device, version);
  std::vector<std::uint8_t> levels(2 * pattern.length);
  bool level = led::encode_pattern(pattern, false, levels);
  led::encode_pattern(pattern, level,
                      MutableByteView(levels.data() + pattern.length, pattern.length));
  std::normal_distribution<double> normal(0, noise);
  std::vector<Sample> trace;
  for (double t = 0; t < seconds; t += 1 / fps) {
    // The exposure (half a frame) averages the LED over its time.
    double on = 0;
    for (int i = 0; i < 8; ++i) {
      const double bit = (t + i / (16 * fps)) * rate + start_bit;
      on += levels[static_cast<std::size_t>(bit) % levels.size()];
    }
    trace.push_back({t, static_cast<float>(40 + 180 * on / 8 + normal(random))});
  }
  return trace;
}

TEST(LedVideoRoi, ParsesXYWidthHeight) {
  auto roi = parse_roi("600,300,200,100");
  ASSERT_TRUE(roi.ok());
  EXPECT_EQ(roi->x, 600);
  EXPECT_EQ(roi->y, 300);
  EXPECT_EQ(roi->width, 200);
  EXPECT_EQ(roi->height, 100);
  for (const char* bad : {"", "1,2,3", "1,2,30,40,5", "a,2,30,40", "-1,2,30,40", "1, 2,30,40",
                          "1,2,30,40,", "1,2,30x40"})
    EXPECT_EQ(parse_roi(bad).error().code, Errc::syntax) << bad;
  EXPECT_EQ(parse_roi("1,2,3,40").error().code, Errc::out_of_range);
  EXPECT_EQ(parse_roi("99999,2,30,40").error().code, Errc::out_of_range);
  EXPECT_EQ(parse_roi("1,2,30,99999999999").error().code, Errc::out_of_range);
}

TEST(LedVideoClock, FindsTheRateAndPhaseOfChangesOnBitBoundaries) {
  std::mt19937_64 random(3);
  for (double rate : {10.0, 15.0, 22.5, 30.0, 45.0}) {
    std::vector<Change> changes;
    const double phase = 0.0123;
    // Each change seen between two frames 1/120 s apart, somewhere around it.
    for (int k = 0; k < 400; ++k) {
      if (k >= 15 && random() % 2) continue;
      const double at = phase + k / rate, before = (random() % 1000) / 1000.0 / 120;
      changes.push_back({at - before, at - before + 1.0 / 120});
    }
    auto clock = recover_clock(changes);
    ASSERT_TRUE(clock.ok()) << rate;
    EXPECT_NEAR(clock->bit_rate, rate, rate * 1e-3) << rate;
    // The phase names a bit boundary: the changes fall on it.
    const double offset =
        std::fmod((phase + 5 / rate - clock->phase) * clock->bit_rate + 100.5, 1.0) - 0.5;
    EXPECT_LT(std::fabs(offset), 0.1) << rate;
    EXPECT_GT(clock->coherence, 0.6) << rate;
  }
}

TEST(LedVideoClock, RandomTimesFitNoClock) {
  std::mt19937_64 random(4);
  std::uniform_real_distribution<double> when(0, 20);
  std::vector<double> times(300);
  for (auto& t : times)
    t = when(random);
  std::sort(times.begin(), times.end());
  std::vector<Change> changes;
  for (double t : times)
    changes.push_back({t, t + 1.0 / 120});
  EXPECT_EQ(recover_clock(changes).error().code, Errc::not_found);
  EXPECT_EQ(recover_clock({{0.1, 0.2}, {0.2, 0.3}}).error().code, Errc::not_found);
  EXPECT_FALSE(recover_clock(std::vector<Change>(50, Change{1.0, 1.0})).ok());
  // Changes faster than the highest rate (a flickering, noisy picture) are no clock.
  std::vector<Change> flood;
  for (int i = 0; i < 20000; ++i)
    flood.push_back({i / 2000.0, (i + 1) / 2000.0});
  EXPECT_EQ(recover_clock(flood).error().code, Errc::not_found);
}

TEST(LedVideoTrace, ReadsBothFrameVersionsAtManyFrameRates) {
  std::mt19937_64 random(5);
  for (auto version : {led::FrameVersion::v1, led::FrameVersion::v2}) {
    for (double fps : {24.0, 30.0, 60.0, 120.0, 240.0}) {
      const EnrollmentUrl device = random_device(random);
      auto trace = blink(device, version, 15, fps, 25, random() % 300, 5, random);
      TraceReading reading = read_trace(trace, IdPolicy::allow_example);
      ASSERT_EQ(reading.failure, Failure::none)
          << fps << ": " << reading.detail << " rate " << reading.clock.bit_rate << " fit "
          << reading.clock.coherence;
      EXPECT_EQ(reading.decoded->device, device);
      EXPECT_EQ(reading.decoded->version, version);
      EXPECT_NEAR(reading.clock.bit_rate, 15, 0.05);
      EXPECT_GT(reading.confidence, 0.5);
      EXPECT_GT(reading.frame_end, reading.frame_start);
    }
  }
}

TEST(LedVideoTrace, VariableFrameRateAndDroppedFramesStillRead) {
  std::mt19937_64 random(6);
  const EnrollmentUrl device = random_device(random);
  auto even = blink(device, led::FrameVersion::v2, 20, 60, 25, 17, 4, random);
  std::vector<Sample> uneven;
  std::uniform_real_distribution<double> jitter(-0.003, 0.003);
  for (std::size_t i = 0; i < even.size(); ++i) {
    if (random() % 20 == 0) continue;  // 5% dropped
    Sample s = even[i];
    s.t += jitter(random);
    if (!uneven.empty() && s.t <= uneven.back().t) continue;
    uneven.push_back(s);
  }
  TraceReading reading = read_trace(uneven, IdPolicy::allow_example);
  ASSERT_EQ(reading.failure, Failure::none) << reading.detail;
  EXPECT_EQ(reading.decoded->device, device);
}

TEST(LedVideoTrace, SaysWhyItCannotRead) {
  std::mt19937_64 random(7);
  const EnrollmentUrl device = random_device(random);
  // A steady light.
  std::vector<Sample> steady;
  for (int i = 0; i < 600; ++i)
    steady.push_back({i / 30.0, 100.0f + static_cast<float>(random() % 3)});
  EXPECT_EQ(read_trace(steady, IdPolicy::allow_example).failure, Failure::no_led);
  // Too few frames, or times that go back.
  EXPECT_EQ(read_trace({}, IdPolicy::allow_example).failure, Failure::too_short);
  auto backwards = blink(device, led::FrameVersion::v1, 15, 30, 25, 0, 2, random);
  std::swap(backwards[10], backwards[11]);
  EXPECT_EQ(read_trace(backwards, IdPolicy::allow_example).failure, Failure::too_short);
  // Faster than the camera: 45 bit/s at 30 fps.
  auto fast = blink(device, led::FrameVersion::v1, 45, 30, 25, 0, 2, random);
  EXPECT_EQ(read_trace(fast, IdPolicy::allow_example).failure, Failure::too_slow_camera);
  // Shorter than one frame.
  auto short_one = blink(device, led::FrameVersion::v1, 15, 30, 6, 0, 2, random);
  EXPECT_EQ(read_trace(short_one, IdPolicy::allow_example).failure, Failure::no_frame);
  // A light switching at random times.
  std::vector<Sample> random_light;
  bool on = false;
  for (int i = 0; i < 900; ++i) {
    if (random() % 7 == 0) on = !on;
    random_light.push_back({i / 30.0 + (random() % 1000) * 1e-5, on ? 200.0f : 50.0f});
  }
  const Failure failure = read_trace(random_light, IdPolicy::allow_example).failure;
  EXPECT_TRUE(failure == Failure::no_clock || failure == Failure::no_frame ||
              failure == Failure::too_slow_camera)
      << failure_name(failure);
  // The example MotherShip under the operational policy.
  const EnrollmentUrl example(*MsId::from_value(0, IdPolicy::allow_example), DevId(1), Otp(2));
  auto example_trace = blink(example, led::FrameVersion::v2, 15, 30, 25, 0, 2, random);
  EXPECT_EQ(read_trace(example_trace, IdPolicy::operational).failure, Failure::reserved);
}

// A picture of w x h with LEDs (3 x 3 pixels) at the given places, blinking.
struct Picture {
  int w = 160, h = 120;
  std::vector<std::uint8_t> pixels = std::vector<std::uint8_t>(160 * 120, 60);
};

TEST(LedVideoFinder, FindsTheLedItsPlaceAndOnlyInTheRoi) {
  std::mt19937_64 random(8);
  const EnrollmentUrl device = random_device(random);
  const EnrollmentUrl other = random_device(random);
  auto a = blink(device, led::FrameVersion::v2, 15, 30, 26, 40, 0, random);
  auto b = blink(other, led::FrameVersion::v2, 15, 30, 26, 90, 0, random);
  auto film = [&](bool second, std::optional<Roi> roi) {
    Finder finder(160, 120, roi, IdPolicy::allow_example);
    for (std::size_t f = 0; f < a.size(); ++f) {
      Picture picture;
      for (auto& p : picture.pixels)
        p = static_cast<std::uint8_t>(60 + random() % 8);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          picture.pixels[(30 + dy) * 160 + 40 + dx] = static_cast<std::uint8_t>(a[f].value);
          if (second)
            picture.pixels[(90 + dy) * 160 + 120 + dx] = static_cast<std::uint8_t>(b[f].value);
        }
      finder.add_frame(a[f].t, picture.pixels.data(), 160);
    }
    return finder.analyse();
  };
  Reading one = film(false, std::nullopt);
  ASSERT_EQ(one.failure, Failure::none) << one.detail;
  EXPECT_EQ(one.decoded->device, device);
  EXPECT_NEAR(one.x, 40, 4);
  EXPECT_NEAR(one.y, 30, 4);
  Reading two = film(true, std::nullopt);
  EXPECT_EQ(two.failure, Failure::two_leds) << two.detail;
  EXPECT_FALSE(two.decoded);
  EXPECT_NE(two.detail.find("--roi"), std::string::npos);
  Reading chosen = film(true, Roi{100, 70, 50, 40});
  ASSERT_EQ(chosen.failure, Failure::none) << chosen.detail;
  EXPECT_EQ(chosen.decoded->device, other);
  EXPECT_NEAR(chosen.x, 120, 4);
}

TEST(LedVideoFinder, DropsFramesWhoseTimeDoesNotIncrease) {
  Finder finder(64, 64, std::nullopt, IdPolicy::allow_example);
  std::vector<std::uint8_t> picture(64 * 64, 10);
  finder.add_frame(1.0, picture.data(), 64);
  finder.add_frame(1.0, picture.data(), 64);
  finder.add_frame(0.5, picture.data(), 64);
  finder.add_frame(std::nan(""), picture.data(), 64);
  EXPECT_EQ(finder.frames(), 1u);
  EXPECT_EQ(finder.analyse().failure, Failure::too_short);
}

}  // namespace
}  // namespace tte::introducer::led_video
