#include "tte/device/seed_record.hpp"

#include "tte/crc32.hpp"

namespace tte::device {
namespace {

constexpr std::uint8_t kMagic[4] = {'T', 'T', 'E', 'R'};
constexpr std::size_t kSeedAt = 8, kCrcAt = 40;

}  // namespace

void SeedRecord::encode_slot(std::uint32_t sequence, const Seed& seed, MutableByteView out) {
  std::uint8_t* p = out.data();
  for (std::size_t i = 0; i < 4; ++i)
    p[i] = kMagic[i];
  put_be32(p + 4, sequence);
  for (std::size_t i = 0; i < kSeedSize; ++i)
    p[kSeedAt + i] = seed[i];
  put_be32(p + kCrcAt, crc32(ByteView(p, kCrcAt)));
}

bool SeedRecord::decode_slot(ByteView slot, std::uint32_t* sequence, Seed* seed) {
  if (slot.size() < kSlotSize) return false;
  const std::uint8_t* p = slot.data();
  if (get_be32(p + kCrcAt) != crc32(ByteView(p, kCrcAt))) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (p[i] != kMagic[i]) return false;
  }
  *sequence = get_be32(p + 4);
  for (std::size_t i = 0; i < kSeedSize; ++i)
    (*seed)[i] = p[kSeedAt + i];
  return true;
}

void SeedRecord::load() {
  Seed candidates[2];
  const int newest = slots_.load([&](std::size_t slot, ByteView bytes, std::uint32_t* sequence) {
    return decode_slot(bytes, sequence, &candidates[slot]);
  });
  has_seed_ = newest >= 0;
  if (has_seed_) seed_ = candidates[newest];
}

bool SeedRecord::store(const Seed& seed) {
  std::uint8_t bytes[kSlotSize];
  encode_slot(slots_.next_sequence(), seed, MutableByteView(bytes, kSlotSize));
  if (!slots_.write(ByteView(bytes, kSlotSize))) return false;
  seed_ = seed;
  has_seed_ = true;
  return true;
}

}  // namespace tte::device
