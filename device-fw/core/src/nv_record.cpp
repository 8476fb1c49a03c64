#include "tte/device/nv_record.hpp"

#include "tte/crc32.hpp"

namespace tte::device {
namespace {

constexpr std::uint8_t kMagic[4] = {'T', 'T', 'E', 'C'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kKindErased = 0;
constexpr std::uint8_t kKindController = 1;
constexpr std::size_t kCrcOffset = NvRecord::kSlotSize - 4;

}  // namespace

void NvRecord::encode_slot(std::uint32_t sequence, const StoredController* controller,
                           MutableByteView out) {
  std::uint8_t* p = out.data();
  for (std::size_t i = 0; i < kSlotSize; ++i)
    p[i] = 0;
  for (std::size_t i = 0; i < 4; ++i)
    p[i] = kMagic[i];
  p[4] = kVersion;
  p[5] = controller ? kKindController : kKindErased;
  put_be32(p + 8, sequence);
  if (controller) {
    const ByteView ip = controller->address.ip.bytes();
    p[12] = ip.size() == 4 ? 4 : 6;
    for (std::size_t i = 0; i < ip.size(); ++i)
      p[13 + i] = ip[i];
    p[29] = static_cast<std::uint8_t>(controller->address.port >> 8);
    p[30] = static_cast<std::uint8_t>(controller->address.port);
    for (std::size_t i = 0; i < Fingerprint::kSize; ++i)
      p[31 + i] = controller->fingerprint.bytes()[i];
    p[63] = controller->has_psk ? 1 : 0;
    if (controller->has_psk) {
      for (std::size_t i = 0; i < controller->psk.size(); ++i)
        p[64 + i] = controller->psk[i];
    }
  }
  put_be32(p + kCrcOffset, crc32(ByteView(p, kCrcOffset)));
}

bool NvRecord::decode_slot(ByteView slot, std::uint32_t* sequence, bool* erased,
                           StoredController* controller) {
  if (slot.size() < kSlotSize) return false;
  const std::uint8_t* p = slot.data();
  if (get_be32(p + kCrcOffset) != crc32(ByteView(p, kCrcOffset))) return false;
  for (std::size_t i = 0; i < 4; ++i) {
    if (p[i] != kMagic[i]) return false;
  }
  if (p[4] != kVersion || (p[5] != kKindErased && p[5] != kKindController)) return false;
  *sequence = get_be32(p + 8);
  *erased = p[5] == kKindErased;
  if (*erased) return true;
  StoredController c;
  if (p[12] == 4) {
    c.address.ip = IpAddress::v4({p[13], p[14], p[15], p[16]});
  } else if (p[12] == 6) {
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < 16; ++i)
      bytes[i] = p[13 + i];
    c.address.ip = IpAddress::v6(bytes);
  } else {
    return false;
  }
  c.address.port = static_cast<std::uint16_t>(p[29] << 8 | p[30]);
  if (c.address.port == 0) return false;
  Fingerprint::Bytes fingerprint{};
  for (std::size_t i = 0; i < Fingerprint::kSize; ++i)
    fingerprint[i] = p[31 + i];
  c.fingerprint = Fingerprint(fingerprint);
  if (p[63] > 1) return false;
  c.has_psk = p[63] == 1;
  for (std::size_t i = 0; i < c.psk.size(); ++i)
    c.psk[i] = c.has_psk ? p[64 + i] : 0;
  *controller = c;
  return true;
}

void NvRecord::load() {
  StoredController candidates[2];
  bool erased[2] = {true, true};
  const int newest = slots_.load([&](std::size_t slot, ByteView bytes, std::uint32_t* sequence) {
    return decode_slot(bytes, sequence, &erased[slot], &candidates[slot]);
  });
  has_controller_ = newest >= 0 && !erased[newest];
  if (has_controller_) controller_ = candidates[newest];
}

bool NvRecord::write(const StoredController* controller) {
  std::uint8_t bytes[kSlotSize];
  encode_slot(slots_.next_sequence(), controller, MutableByteView(bytes, kSlotSize));
  if (!slots_.write(ByteView(bytes, kSlotSize))) return false;
  has_controller_ = controller != nullptr;
  if (controller) controller_ = *controller;
  return true;
}

bool NvRecord::store(const StoredController& controller) {
  return write(&controller);
}

bool NvRecord::erase() {
  return write(nullptr);
}

}  // namespace tte::device
