// The video path's own parsing, as in
// docs/introducer.md "From a recording of the LED": --roi text, clock recovery
// and trace reading on arbitrary brightness traces, and the Finder on arbitrary
// small pictures. None may crash, hang or name a Device the decoder would not.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "led_video.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tte;
  using namespace tte::introducer::led_video;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 3;
  ++data;
  --size;
  if (mode == 0) {
    auto roi = parse_roi(std::string(reinterpret_cast<const char*>(data), size));
    if (roi.ok()) FUZZ_CHECK(roi->width >= 4 && roi->height >= 4);
    return 0;
  }
  if (mode == 1) {
    // A trace: each pair of bytes is a frame interval (1-256 ms) and a brightness.
    std::vector<Sample> trace;
    double t = 0;
    for (std::size_t i = 0; i + 1 < size && trace.size() < 8000; i += 2) {
      t += (data[i] + 1) / 1000.0;
      trace.push_back({t, static_cast<float>(data[i + 1])});
    }
    TraceReading reading = read_trace(trace, IdPolicy::allow_example);
    FUZZ_CHECK((reading.failure == Failure::none) == reading.decoded.has_value());
    if (reading.decoded) FUZZ_CHECK(reading.confidence >= 0 && reading.confidence <= 1);
    std::vector<Change> changes;
    for (std::size_t i = 1; i < trace.size(); ++i)
      changes.push_back({trace[i - 1].t, trace[i].t});
    auto clock = recover_clock(changes);
    if (clock.ok()) FUZZ_CHECK(clock->bit_rate > 0 && clock->coherence <= 1.0001);
    return 0;
  }
  // Pictures of 8 x 8 pixels (64 bytes each) at 30 fps, in a roi from the first bytes.
  if (size < 4) return 0;
  Roi roi{data[0] % 10, data[1] % 10, 4 + data[2] % 8, 4 + data[3] % 8};
  Finder finder(8, 8, (data[0] & 0x80) ? std::optional<Roi>(roi) : std::nullopt,
                IdPolicy::allow_example);
  for (std::size_t at = 4, f = 0; at + 64 <= size; at += 64, ++f)
    finder.add_frame(f / 30.0, data + at, 8);
  Reading reading = finder.analyse();
  FUZZ_CHECK((reading.failure == Failure::none) == reading.decoded.has_value());
  return 0;
}
