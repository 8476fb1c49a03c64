#include "led_video.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>

namespace tte::introducer::led_video {
namespace {

// The fewest level changes a clock is recovered from (the preamble alone has 15).
constexpr std::size_t kMinTransitions = 20;
// A clock fits when the changes' phases agree this well (1: all on the boundaries).
constexpr double kMinCoherence = 0.5;
// The least on-off difference, in 0-255 brightness, that counts as blinking.
constexpr double kMinContrast = 12;
// Seconds either side over which the level threshold follows the exposure.
constexpr double kThresholdWindow = 1.5;
// The least on-off difference of a region that counts as an LED when nothing is read.
constexpr double kLedContrast = 64;
constexpr double kLedBimodality = 0.7;
// At most this many regions are read in each analysis.
constexpr std::size_t kMaxRegions = 8;

double percentile(std::vector<float> values, double p) {
  if (values.empty()) return 0;
  const std::size_t k = std::min(values.size() - 1, static_cast<std::size_t>(p * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

// One level per bit of a clock: the frames in the middle 60% of the bit, else
// the frame nearest its middle within the bit, else the level before (uncertain).
struct Sampled {
  double first_bit = 0;  // the number of the first bit sampled, from the clock's phase
  std::vector<std::uint8_t> levels, uncertain;
  std::vector<double> margin;  // |soft value| of the bit, at most 1
};

Sampled sample_bits(const std::vector<Sample>& trace, const std::vector<double>& soft, double rate,
                    double phase) {
  Sampled out;
  const std::size_t n = trace.size();
  const double bit = 1 / rate;
  out.first_bit = std::ceil((trace[0].t - phase) * rate);
  const double last_bit = std::floor((trace[n - 1].t - phase) * rate) - 1;
  if (!(last_bit >= out.first_bit) || last_bit - out.first_bit > 1e6) return out;
  const std::size_t bits = static_cast<std::size_t>(last_bit - out.first_bit) + 1;
  out.levels.assign(bits, 0);
  out.margin.assign(bits, 0);
  out.uncertain.assign(bits, 0);
  std::size_t j = 0;
  for (std::size_t k = 0; k < bits; ++k) {
    const double start = phase + (out.first_bit + static_cast<double>(k)) * bit;
    const double middle = start + bit / 2;
    while (j < n && trace[j].t < start)
      ++j;
    double sum = 0;
    int count = 0;
    std::size_t nearest = n;
    for (std::size_t i = j; i < n && trace[i].t < start + bit; ++i) {
      if (trace[i].t >= start + 0.2 * bit && trace[i].t <= start + 0.8 * bit) {
        sum += soft[i];
        ++count;
      }
      if (nearest == n || std::fabs(trace[i].t - middle) < std::fabs(trace[nearest].t - middle))
        nearest = i;
    }
    double value = 0;
    if (count > 0) {
      value = sum / count;
    } else if (nearest < n) {
      value = soft[nearest];
    } else {
      out.uncertain[k] = 1;
      out.levels[k] = k > 0 ? out.levels[k - 1] : 0;
      continue;
    }
    out.levels[k] = value > 0 ? 1 : 0;
    out.margin[k] = std::min(1.0, std::fabs(value));
  }
  return out;
}

}  // namespace

const char* failure_name(Failure failure) {
  switch (failure) {
    case Failure::none:
      return "none";
    case Failure::too_short:
      return "too_short";
    case Failure::no_led:
      return "no_led";
    case Failure::no_clock:
      return "no_clock";
    case Failure::too_slow_camera:
      return "too_slow_camera";
    case Failure::no_frame:
      return "no_frame";
    case Failure::two_leds:
      return "two_leds";
    case Failure::ambiguous:
      return "ambiguous";
    case Failure::reserved:
      return "reserved";
  }
  return "?";
}

Result<Roi> parse_roi(std::string_view text) {
  int values[4] = {0, 0, 0, 0};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != ',')
        return make_error(Errc::syntax, "--roi is X,Y,W,H in pixels, e.g. 600,300,200,200", "roi");
      ++p;
    }
    if (p == end || *p < '0' || *p > '9')
      return make_error(Errc::syntax, "--roi is X,Y,W,H in pixels, e.g. 600,300,200,200", "roi");
    auto [next, error] = std::from_chars(p, end, values[i]);
    if (error != std::errc() || values[i] > 16384)
      return make_error(Errc::out_of_range, "--roi values are at most 16384", "roi");
    p = next;
  }
  if (p != end)
    return make_error(Errc::syntax, "--roi is X,Y,W,H in pixels, e.g. 600,300,200,200", "roi");
  if (values[2] < 4 || values[3] < 4)
    return make_error(Errc::out_of_range, "--roi is at least 4 x 4 pixels", "roi");
  return Roi{values[0], values[1], values[2], values[3]};
}

Result<Clock> recover_clock(const std::vector<Change>& changes, Limits limits) {
  const std::size_t n = changes.size();
  if (n < kMinTransitions)
    return make_error(Errc::not_found, "too few level changes for a bit clock", "clock");
  if (!(limits.min_bit_rate > 0) || !(limits.max_bit_rate > limits.min_bit_rate) ||
      limits.max_bit_rate > 1000)
    return make_error(Errc::out_of_range, "bad bit rate limits", "clock");
  // Times relative to the first change keep fmod precise.
  const double origin = changes[0].from;
  std::vector<double> from(n), length(n);
  for (std::size_t i = 0; i < n; ++i) {
    from[i] = changes[i].from - origin;
    length[i] = changes[i].to - changes[i].from;
    if (!std::isfinite(from[i]) || !std::isfinite(length[i]) || length[i] < 0 ||
        (i > 0 && from[i] < from[i - 1]))
      return make_error(Errc::not_found, "the level changes are out of order", "clock");
  }
  const double span = changes[n - 1].to - origin;
  if (!(span > 0)) return make_error(Errc::not_found, "the level changes span no time", "clock");
  // An LED at the highest rate looked for changes at most that often.
  if (static_cast<double>(n) > 1.1 * limits.max_bit_rate * span + kMinTransitions)
    return make_error(Errc::not_found, "the level changes faster than any bit clock", "clock");

  // For a rate, each change's bracket covers an arc of bit phases, less
  // kMargin of it at either end (a boundary right at a frame's time fits the
  // change before and after it alike, so it tells nothing); the phase covered
  // by the most arcs is the clock's. The score counts the brackets that phase
  // falls in beyond what arcs of their lengths catch by chance: 1 when every
  // change fits, about 0 for changes at random times, and for rates that are
  // the frame rate or a half of it.
  constexpr int kBins = 128;
  constexpr double kMargin = 0.1;
  constexpr double kLongestBracket = 0.75;  // bits
  constexpr double kShortestBracket = 0.3;  // bits
  struct Fit {
    double score = -1, phase = 0;
  };
  std::vector<int> cover(kBins + 1);
  auto fit_at = [&](double rate) {
    std::fill(cover.begin(), cover.end(), 0);
    double chance = 0;
    std::size_t counted = 0;
    for (std::size_t i = 0; i < n; ++i) {
      // Brackets of most of a bit or more fit any phase: they tell nothing (which
      // is why a camera needs more than one picture per bit).
      if (length[i] * rate > kLongestBracket || !(length[i] > 0)) continue;
      // At least kShortestBracket bits: rising and falling edges are seen up to a
      // frame apart (the exposure, and a saturated LED), however fast the camera.
      const double bits = std::max(length[i] * rate, kShortestBracket);
      const double arc = bits * (1 - 2 * kMargin);
      chance += arc;
      ++counted;
      const double start = std::fmod((from[i] + length[i] / 2) * rate - arc / 2 + 1, 1.0);
      const int first = static_cast<int>(std::ceil(start * kBins));
      const int last = static_cast<int>(std::floor((start + arc) * kBins));
      if (last < first) continue;
      // A difference array over the bins, wrapping around.
      const int a = first % kBins, b = last % kBins;
      if (last - first >= kBins) {
        cover[0] += 1;
        cover[kBins] -= 1;
      } else if (a <= b) {
        cover[a] += 1;
        cover[b + 1] -= 1;
      } else {
        cover[a] += 1;
        cover[kBins] -= 1;
        cover[0] += 1;
        cover[b + 1] -= 1;
      }
    }
    Fit fit;
    if (counted < kMinTransitions) return fit;
    int running = 0, best = -1, best_bin = 0;
    for (int bin = 0; bin < kBins; ++bin) {
      running += cover[bin];
      if (running > best) best = running, best_bin = bin;
    }
    const double expected = chance;  // hits expected from arcs falling anywhere
    fit.score = (best - expected) / (static_cast<double>(counted) - expected);
    // The boundary: the middle of the best bins' run.
    int end_bin = best_bin;
    running = 0;
    std::vector<int> depth(kBins);
    for (int bin = 0; bin < kBins; ++bin)
      depth[bin] = (running += cover[bin]);
    while (end_bin + 1 < kBins && depth[end_bin + 1] == best)
      ++end_bin;
    fit.phase = (best_bin + end_bin) / 2.0 / kBins;
    return fit;
  };
  // The fit of a rate is about 1/span wide: scan at a quarter of that.
  // At most some 50 million bracket fits per clock, however long the trace.
  const double range = limits.max_bit_rate - limits.min_bit_rate;
  const double step = std::max({0.1 / span, 1e-4, range * static_cast<double>(n) / 5e7});
  const std::size_t steps = std::min<std::size_t>(
      200000, static_cast<std::size_t>((limits.max_bit_rate - limits.min_bit_rate) / step) + 1);
  std::vector<double> scan(steps);
  double best = -1;
  for (std::size_t i = 0; i < steps; ++i) {
    scan[i] = fit_at(limits.min_bit_rate + static_cast<double>(i) * step).score;
    best = std::max(best, scan[i]);
  }
  if (best < kMinCoherence)
    return make_error(Errc::not_found, "the level changes fit no bit clock", "clock");
  // The lowest rate that fits about as well as the best (the others are its multiples),
  // in the middle of its run of good fits.
  std::size_t pick = 0;
  while (pick < steps && scan[pick] < 0.9 * best)
    ++pick;
  std::size_t top = pick;
  for (std::size_t i = pick; i < steps && scan[i] >= 0.9 * best; ++i)
    if (scan[i] > scan[top]) top = i;
  std::size_t lo = top, hi = top;
  while (lo > 0 && scan[lo - 1] >= scan[top] - 1e-9)
    --lo;
  while (hi + 1 < steps && scan[hi + 1] >= scan[top] - 1e-9)
    ++hi;
  const double rate = limits.min_bit_rate + static_cast<double>(lo + hi) / 2 * step;
  const Fit fit = fit_at(rate);
  Clock clock;
  clock.bit_rate = rate;
  clock.phase = origin + fit.phase / rate;
  clock.coherence = std::clamp(fit.score, 0.0, 1.0);
  clock.transitions = n;
  return clock;
}

TraceReading read_trace(const std::vector<Sample>& trace, IdPolicy policy, Limits limits) {
  TraceReading reading;
  const std::size_t n = trace.size();
  if (n < 16) {
    reading.failure = Failure::too_short;
    reading.detail = "too few video frames";
    return reading;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(trace[i].t) || !std::isfinite(trace[i].value) ||
        (i > 0 && !(trace[i].t > trace[i - 1].t))) {
      reading.failure = Failure::too_short;
      reading.detail = "the video frames' times do not increase";
      return reading;
    }
  }
  // Levels: a threshold midway between the dark and the bright level, which
  // follows the exposure where the recent past and future show both.
  std::vector<float> values(n);
  for (std::size_t i = 0; i < n; ++i)
    values[i] = trace[i].value;
  const double low = percentile(values, 0.1), high = percentile(values, 0.9);
  reading.contrast = high - low;
  if (reading.contrast < kMinContrast) {
    reading.failure = Failure::no_led;
    reading.detail = "nothing blinks";
    return reading;
  }
  const double global_threshold = (low + high) / 2;
  std::vector<double> threshold(n, global_threshold);
  {
    // Median of three against single noisy frames, then windowed min and max.
    std::vector<float> smooth(values);
    for (std::size_t i = 1; i + 1 < n; ++i) {
      float a = values[i - 1], b = values[i], c = values[i + 1];
      smooth[i] = std::max(std::min(a, b), std::min(std::max(a, b), c));
    }
    std::size_t lo = 0, hi = 0;
    std::deque<std::size_t> minq, maxq;
    for (std::size_t i = 0; i < n; ++i) {
      while (hi < n && trace[hi].t <= trace[i].t + kThresholdWindow) {
        while (!minq.empty() && smooth[minq.back()] >= smooth[hi])
          minq.pop_back();
        minq.push_back(hi);
        while (!maxq.empty() && smooth[maxq.back()] <= smooth[hi])
          maxq.pop_back();
        maxq.push_back(hi);
        ++hi;
      }
      while (trace[lo].t < trace[i].t - kThresholdWindow)
        ++lo;
      while (minq.front() < lo)
        minq.pop_front();
      while (maxq.front() < lo)
        maxq.pop_front();
      const double local_low = smooth[minq.front()], local_high = smooth[maxq.front()];
      if (local_high - local_low >= 0.5 * reading.contrast)
        threshold[i] = (local_low + local_high) / 2;
    }
  }
  const double half = reading.contrast / 2;
  std::vector<double> soft(n);
  std::size_t clear = 0;
  for (std::size_t i = 0; i < n; ++i) {
    soft[i] = (values[i] - threshold[i]) / half;
    if (std::fabs(soft[i]) >= 0.5) ++clear;
  }
  reading.bimodality = static_cast<double>(clear) / static_cast<double>(n);

  // The times of level changes, between two frames where the soft value crosses 0.
  // A change is counted when the level passes the threshold by kHysteresis of
  // half the contrast (noise near the threshold is not a change), at the last
  // crossing of the threshold before that, by linear interpolation between the
  // two frames: a frame exposed while the LED changed has a value between the
  // levels, which moves the estimate towards it. The change is taken to lie
  // within half a frame interval of that.
  constexpr double kHysteresis = 0.3;
  std::vector<Change> changes;
  std::size_t frame_pairs_changing = 0;
  bool high_state = soft[0] > 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((soft[i] > 0) != (soft[i - 1] > 0)) ++frame_pairs_changing;
    const bool passed = high_state ? soft[i] < -kHysteresis : soft[i] > kHysteresis;
    if (!passed) continue;
    high_state = !high_state;
    std::size_t j = i;  // the crossing lies between frames j - 1 and j
    while (j > 1 && (soft[j - 1] > 0) == high_state)
      --j;
    const double step = soft[j] - soft[j - 1];
    const double f = step != 0 ? std::clamp(-soft[j - 1] / step, 0.0, 1.0) : 0.5;
    const double interval = trace[j].t - trace[j - 1].t;
    const double at = trace[j - 1].t + f * interval;
    if (!changes.empty() && at - interval / 2 < changes.back().from) continue;
    changes.push_back({at - interval / 2, at + interval / 2});
  }
  const double seconds = trace[n - 1].t - trace[0].t;
  const double frame_interval = seconds / static_cast<double>(n - 1);
  // A camera needs more than 1.25 pictures per bit: faster rates are not looked for.
  Limits usable = limits;
  usable.max_bit_rate = std::min(limits.max_bit_rate, 0.8 / frame_interval);
  auto clock = usable.max_bit_rate > usable.min_bit_rate
                   ? recover_clock(changes, usable)
                   : Result<Clock>(make_error(Errc::not_found, "camera too slow", "clock"));
  if (!clock.ok()) {
    // Changes between most pairs of frames: the LED is faster than the camera.
    if (frame_pairs_changing > 0.45 * static_cast<double>(n - 1) &&
        changes.size() >= kMinTransitions) {
      reading.failure = Failure::too_slow_camera;
      reading.detail = "the LED changes about as often as the camera takes a picture (" +
                       std::to_string(static_cast<int>(std::lround(1 / frame_interval))) +
                       " fps): film at a higher frame rate";
    } else if (changes.size() < kMinTransitions) {
      reading.failure = Failure::no_led;
      reading.detail = "nothing blinks long enough for a bit clock";
    } else {
      reading.failure = Failure::no_clock;
      reading.detail = "a light changes, but not to a bit clock";
    }
    return reading;
  }
  reading.clock = *clock;
  // The clock's rate, or a half or a third of it (changes fit multiples of the
  // rate too), each at its phase and a fifth of a bit either side, and a hair
  // faster and slower: the first to give a valid frame is the LED's.
  struct Try {
    double rate, phase;
  };
  std::vector<Try> tries;
  for (double divisor : {1.0, 2.0, 3.0}) {
    const double rate = clock->bit_rate / divisor;
    if (rate < limits.min_bit_rate * 0.99) break;
    for (double scale : {1.0, 0.9985, 1.0015})
      for (double shift : {0.0, 0.2, -0.2})
        tries.push_back({rate * scale, clock->phase + shift / rate});
  }
  Sampled sampled;
  Result<led::Decoded> decoded = make_error(Errc::not_found, "no valid LED frame", "levels");
  for (const Try& attempt : tries) {
    sampled = sample_bits(trace, soft, attempt.rate, attempt.phase);
    if (sampled.levels.size() < led::kFrameBits + 1) continue;
    auto found = led::decode_frames(sampled.levels, policy);
    if (found.ok() || found.error().code == Errc::duplicate) {
      decoded = std::move(found);
      reading.clock.bit_rate = attempt.rate;
      reading.clock.phase = attempt.phase;
      break;
    }
    if (found.error().code == Errc::reserved) decoded = std::move(found);
  }
  if (sampled.levels.size() < led::kFrameBits + 1) {
    reading.failure = Failure::no_frame;
    reading.detail = "the recording is shorter than one LED frame";
    return reading;
  }
  if (!decoded.ok()) {
    const Errc code = decoded.error().code;
    reading.failure = code == Errc::duplicate  ? Failure::ambiguous
                      : code == Errc::reserved ? Failure::reserved
                      : frame_pairs_changing > 0.45 * static_cast<double>(n - 1)
                          ? Failure::too_slow_camera
                          : Failure::no_frame;
    reading.detail = reading.failure == Failure::too_slow_camera
                         ? "the LED changes about as often as the camera takes a picture (" +
                               std::to_string(static_cast<int>(std::lround(1 / frame_interval))) +
                               " fps): film at a higher frame rate"
                         : decoded.error().message;
    return reading;
  }
  const double bit = 1 / reading.clock.bit_rate;
  const double first_bit = sampled.first_bit;
  const std::vector<std::uint8_t>& levels = sampled.levels;
  const std::vector<double>& margin = sampled.margin;
  const std::vector<std::uint8_t>& uncertain = sampled.uncertain;
  const std::size_t bits = levels.size();
  reading.failure = Failure::none;
  reading.decoded = *decoded;
  const std::size_t length = led::pattern_of(decoded->device, decoded->version).length;
  const std::size_t begin = decoded->start, end = std::min(bits, decoded->start + length);
  double margins = 0;
  for (std::size_t k = begin; k < end; ++k) {
    margins += margin[k];
    reading.uncertain_bits += uncertain[k];
  }
  const double mean_margin = margins / static_cast<double>(end - begin);
  reading.frame_start = reading.clock.phase + (first_bit + static_cast<double>(begin)) * bit;
  reading.frame_end = reading.clock.phase + (first_bit + static_cast<double>(end)) * bit;
  // Further frames of the same Device in the trace.
  reading.frames_read = 1;
  for (std::size_t from = begin + length; from + led::kFrameBits < bits;) {
    auto again = led::decode_frames(ByteView(levels.data() + from, bits - from), policy);
    if (!again.ok() || !(again->device == decoded->device)) break;
    ++reading.frames_read;
    from += again->start + length;
  }
  reading.confidence = std::clamp(mean_margin * reading.clock.coherence, 0.0, 1.0);
  return reading;
}

Finder::Finder(int width, int height, std::optional<Roi> roi, IdPolicy policy, Limits limits)
    : policy_(policy), limits_(limits) {
  Roi whole{0, 0, std::max(width, 0), std::max(height, 0)};
  if (roi) {
    // Clipped to the frame.
    const int x0 = std::clamp(roi->x, 0, whole.width), y0 = std::clamp(roi->y, 0, whole.height);
    const int x1 = std::clamp(roi->x + roi->width, 0, whole.width);
    const int y1 = std::clamp(roi->y + roi->height, 0, whole.height);
    whole = Roi{x0, y0, x1 - x0, y1 - y0};
  }
  roi_ = whole;
  // Bins of 2 x 2 pixels (their mean), cells of bins (their maximum): at most
  // about 120 x 90 cells, so that an LED a few pixels wide is one cell's peak.
  const int bins_x = roi_.width / 2, bins_y = roi_.height / 2;
  bins_per_cell_ = std::max({1, (bins_x + 119) / 120, (bins_y + 89) / 90});
  columns_ = (bins_x + bins_per_cell_ - 1) / bins_per_cell_;
  rows_ = (bins_y + bins_per_cell_ - 1) / bins_per_cell_;
}

void Finder::add_frame(double t, const std::uint8_t* luma, std::size_t stride) {
  if (!std::isfinite(t) || columns_ <= 0 || rows_ <= 0) return;
  if (!frames_.empty() && !(t > frames_.back().t)) return;
  if (frames_.empty() && frames_added_ == 0) first_t_ = t;
  FrameCells frame{t, std::vector<std::uint8_t>(static_cast<std::size_t>(columns_) * rows_, 0)};
  const int bins_x = roi_.width / 2, bins_y = roi_.height / 2;
  for (int by = 0; by < bins_y; ++by) {
    const std::uint8_t* row0 = luma + (roi_.y + 2 * by) * stride + roi_.x;
    const std::uint8_t* row1 = row0 + stride;
    std::uint8_t* cells = frame.cells.data() + (by / bins_per_cell_) * columns_;
    for (int bx = 0; bx < bins_x; ++bx) {
      const int sum = row0[2 * bx] + row0[2 * bx + 1] + row1[2 * bx] + row1[2 * bx + 1];
      std::uint8_t& cell = cells[bx / bins_per_cell_];
      cell = std::max(cell, static_cast<std::uint8_t>(sum / 4));
    }
  }
  frames_.push_back(std::move(frame));
  ++frames_added_;
  while (frames_.size() > 2 && frames_.back().t - frames_.front().t > kWindowSeconds)
    frames_.pop_front();
}

Reading Finder::analyse() const {
  Reading reading;
  reading.video_time = duration();
  const std::size_t n = frames_.size();
  const std::size_t cells = static_cast<std::size_t>(columns_) * rows_;
  if (n < 16 || cells == 0) {
    reading.failure = Failure::too_short;
    reading.detail = "too few video frames";
    return reading;
  }
  // Where to look: each cell against its row of cells, frame by frame: what
  // the whole picture or a band of it does (exposure, flicker under a rolling
  // shutter) scales every cell of the row alike, and cancels. The row's median, which an LED
  // does not move, over its median across the window.
  std::vector<float> row_level(n * rows_);
  std::vector<std::uint8_t> row(columns_);
  for (std::size_t f = 0; f < n; ++f) {
    const std::uint8_t* c = frames_[f].cells.data();
    for (int r = 0; r < rows_; ++r) {
      std::copy_n(c + r * columns_, columns_, row.begin());
      std::nth_element(row.begin(), row.begin() + columns_ / 2, row.end());
      row_level[f * rows_ + r] = std::max(1.0f, static_cast<float>(row[columns_ / 2]));
    }
  }
  std::vector<float> normalised(n * cells);
  std::vector<float> levels(n);
  for (int r = 0; r < rows_; ++r) {
    for (std::size_t f = 0; f < n; ++f)
      levels[f] = row_level[f * rows_ + r];
    const float typical_level = static_cast<float>(percentile(levels, 0.5));
    for (std::size_t f = 0; f < n; ++f) {
      const std::uint8_t* c = frames_[f].cells.data();
      float* out = normalised.data() + f * cells;
      const float scale = typical_level / row_level[f * rows_ + r];
      for (int x = 0; x < columns_; ++x)
        out[r * columns_ + x] = static_cast<float>(c[r * columns_ + x]) * scale;
    }
  }
  // Cells scored by how much they vary over time.
  std::vector<float> spread(cells);
  for (std::size_t c = 0; c < cells; ++c) {
    double sum = 0, squares = 0;
    for (std::size_t f = 0; f < n; ++f) {
      const double v = normalised[f * cells + c];
      sum += v;
      squares += v * v;
    }
    const double mean = sum / static_cast<double>(n);
    spread[c] = static_cast<float>(
        std::sqrt(std::max(0.0, squares / static_cast<double>(n) - mean * mean)));
  }
  std::vector<std::size_t> order(cells);
  std::iota(order.begin(), order.end(), 0);
  const std::size_t top = std::min<std::size_t>(cells, 256);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                    [&](std::size_t a, std::size_t b) { return spread[a] > spread[b]; });
  const float typical = percentile(spread, 0.5);
  // Regions: the varying cells, grouped when within two cells of each other.
  struct Region {
    std::vector<std::size_t> cells;
    double weight = 0, x = 0, y = 0;
  };
  std::vector<Region> regions;
  for (std::size_t i = 0; i < top; ++i) {
    const std::size_t c = order[i];
    if (spread[c] < kMinContrast / 4 || spread[c] < 3 * typical) break;
    const int cx = static_cast<int>(c % columns_), cy = static_cast<int>(c / columns_);
    Region* home = nullptr;
    for (auto& region : regions) {
      for (std::size_t other : region.cells) {
        const int ox = static_cast<int>(other % columns_), oy = static_cast<int>(other / columns_);
        if (std::abs(ox - cx) <= 2 && std::abs(oy - cy) <= 2) {
          home = &region;
          break;
        }
      }
      if (home) break;
    }
    if (!home) {
      if (regions.size() == kMaxRegions) continue;
      regions.emplace_back();
      home = &regions.back();
    }
    home->cells.push_back(c);
    home->weight += spread[c];
    home->x += spread[c] * (cx + 0.5);
    home->y += spread[c] * (cy + 0.5);
  }
  if (regions.empty()) {
    reading.failure = Failure::no_led;
    reading.detail = "nothing in the picture blinks";
    return reading;
  }
  const double cell_px = 2.0 * bins_per_cell_;
  std::vector<Reading> readings;
  for (const auto& region : regions) {
    // The region's trace: its brightest cell, frame by frame (the LED may move
    // a little), as the camera saw it: an LED gives its own light, which the
    // row's exposure and flicker do not scale the way they scale the scene.
    // Where that fails, as normalised by the row (a dim LED in flickering light).
    std::vector<Sample> trace(n), normalised_trace(n);
    for (std::size_t f = 0; f < n; ++f) {
      std::uint8_t v = 0;
      float w = -1e9f;
      for (std::size_t c : region.cells) {
        v = std::max(v, frames_[f].cells[c]);
        w = std::max(w, normalised[f * cells + c]);
      }
      trace[f] = Sample{frames_[f].t - first_t_, static_cast<float>(v)};
      normalised_trace[f] = Sample{trace[f].t, w};
    }
    Reading one;
    static_cast<TraceReading&>(one) = read_trace(trace, policy_, limits_);
    if (!one.decoded) {
      TraceReading again = read_trace(normalised_trace, policy_, limits_);
      if (again.decoded) static_cast<TraceReading&>(one) = again;
    }
    one.x = roi_.x + region.x / region.weight * cell_px;
    one.y = roi_.y + region.y / region.weight * cell_px;
    readings.push_back(std::move(one));
  }
  // The Device read with the most confidence. Another region that blinks like
  // it (a Device read, or half its contrast at its bit rate) means the
  // recording cannot say which Device is meant. With nothing read, the
  // likeliest LED's failure: the region with the most contrast, unless none
  // has the contrast of an LED.
  const Reading* chosen = nullptr;
  for (const auto& one : readings)
    if (one.decoded && (!chosen || one.confidence > chosen->confidence)) chosen = &one;
  const Reading* rival = nullptr;
  if (chosen) {
    for (const auto& one : readings) {
      if (&one == chosen || std::hypot(one.x - chosen->x, one.y - chosen->y) < 4 * cell_px)
        continue;
      const bool other_device = one.decoded && !(one.decoded->device == chosen->decoded->device);
      const bool alike = one.contrast >= 0.5 * chosen->contrast && one.clock.coherence >= 0.5 &&
                         std::fabs(one.clock.bit_rate / chosen->clock.bit_rate - 1) < 0.01;
      if (other_device || (!one.decoded && alike)) {
        rival = &one;
        break;
      }
    }
    reading = *chosen;
  } else {
    // LED-like: the contrast of an LED, and mostly clearly on or off (a moving
    // edge is often in between).
    const Reading* best = nullptr;
    for (const auto& one : readings)
      if (one.bimodality >= kLedBimodality && (!best || one.contrast > best->contrast)) best = &one;
    reading = best ? *best : readings.front();
    if (!best || best->contrast < kLedContrast) {
      reading.failure = Failure::no_led;
      reading.detail = "nothing in the picture blinks like an LED";
    } else if (reading.failure == Failure::no_frame) {
      char where[96];
      std::snprintf(where, sizeof where,
                    "the light at (%.0f, %.0f) gives no valid LED frame: ", best->x, best->y);
      reading.detail = where + reading.detail;
    }
  }
  for (const auto& one : readings)
    if (one.clock.coherence >= 0.5 && one.contrast >= kLedContrast) ++reading.regions_blinking;
  reading.regions.clear();
  for (const auto& one : readings)
    reading.regions.push_back({one.x, one.y, one.failure, one.contrast, one.clock.bit_rate,
                               one.clock.coherence, one.bimodality});
  reading.video_time = duration();
  if (rival) {
    char where[160];
    std::snprintf(where, sizeof where, "at (%.0f, %.0f) and (%.0f, %.0f)", chosen->x, chosen->y,
                  rival->x, rival->y);
    reading.failure = Failure::two_leds;
    reading.detail = std::string("two LEDs blink ") + where +
                     ": film one Device at a time, or name its LED with --roi X,Y,W,H";
    reading.decoded.reset();
  }
  return reading;
}

}  // namespace tte::introducer::led_video
