#include "box_plan.hpp"

#include <algorithm>

#include "tte/enrollment_url.hpp"

namespace tte::factory {

// Bulk enrollment (draft §5.2; docs/protocol.md §13.2): which Devices share a box URL.
Result<std::vector<PlannedBox>> plan_boxes(DevId first, std::uint64_t device_count,
                                           std::uint32_t box_size) {
  if (box_size == 0 || box_size > BoxUrl::kMaxCount) {
    return make_error(Errc::out_of_range, "a box holds 1-10000 Devices", "box");
  }
  if (device_count == 0) {
    return make_error(Errc::out_of_range, "a batch has at least one device", "count");
  }
  if (device_count - 1 > 0xffffffffull - first.value()) {
    return make_error(Errc::out_of_range, "the batch's Dev IDs run past ffffffff", "box");
  }
  std::vector<PlannedBox> boxes;
  boxes.reserve(static_cast<std::size_t>((device_count + box_size - 1) / box_size));
  for (std::uint64_t index = 0; index < device_count; index += box_size) {
    const auto count =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(box_size, device_count - index));
    boxes.push_back(PlannedBox{static_cast<std::size_t>(index),
                               DevId(static_cast<std::uint32_t>(first.value() + index)), count});
  }
  return boxes;
}

}  // namespace tte::factory
