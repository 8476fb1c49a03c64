// CRC-32 (IEEE 802.3, the one of zlib and PNG): reflected, polynomial
// 0xEDB88320, initial and final XOR 0xFFFFFFFF. Table-free, so it costs no
// flash on the Device beyond its few instructions.
#ifndef TTE_CRC32_HPP
#define TTE_CRC32_HPP

#include <cstdint>

#include "tte/span.hpp"

namespace tte {

// crc32("123456789") == 0xCBF43926. Pass a previous result as `crc` to continue.
std::uint32_t crc32(ByteView bytes, std::uint32_t crc = 0);

}  // namespace tte

#endif  // TTE_CRC32_HPP
