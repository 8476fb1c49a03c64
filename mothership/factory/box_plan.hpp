// How a batch is cut into boxes for bulk enrollment (docs/protocol.md §13.2,
// docs/factory.md "Boxes"): boxes of `box_size` consecutive Dev IDs, in the
// batch's order, the last one possibly short.
#ifndef TTE_FACTORY_BOX_PLAN_HPP
#define TTE_FACTORY_BOX_PLAN_HPP

#include <cstdint>
#include <vector>

#include "tte/identifiers.hpp"
#include "tte/result.hpp"

namespace tte::factory {

struct PlannedBox {
  std::size_t index = 0;  // the batch position of the box's first Device
  DevId first{0};
  std::uint32_t count = 0;

  DevId last() const { return DevId(first.value() + (count - 1)); }
  friend bool operator==(const PlannedBox& a, const PlannedBox& b) {
    return a.index == b.index && a.first == b.first && a.count == b.count;
  }
};

// The boxes of `device_count` Devices with consecutive Dev IDs from `first`.
// Errors: out_of_range (box_size 0 or above BoxUrl::kMaxCount, device_count 0,
// or Dev IDs past ffffffff, which no box URL can name).
Result<std::vector<PlannedBox>> plan_boxes(DevId first, std::uint64_t device_count,
                                           std::uint32_t box_size);

}  // namespace tte::factory

#endif  // TTE_FACTORY_BOX_PLAN_HPP
