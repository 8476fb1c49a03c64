#include "tte/device/ab_slots.hpp"

namespace tte::device {

bool AbSlots::write(ByteView slot) {
  const std::size_t target = 1 - newest_;
  if (slot.size() != slot_size_ || !storage_.write(base_ + target * stride_, slot)) return false;
  sequence_ = next_sequence();
  any_valid_ = true;
  newest_ = target;
  return true;
}

}  // namespace tte::device
