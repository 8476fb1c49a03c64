#include "tte/crc32.hpp"

namespace tte {

std::uint32_t crc32(ByteView bytes, std::uint32_t crc) {
  crc = ~crc;
  for (std::uint8_t byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace tte
