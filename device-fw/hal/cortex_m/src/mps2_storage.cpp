// Mps2Storage: the NvRecord's bytes in the .tte_nv section (link.ld), in a
// translation unit of its own so that programs with their own NV memory (the
// networked firmware) do not link it.
#include "tte/device/mps2_board.hpp"
#include "tte/device/nv_record.hpp"

namespace tte::device::mps2 {
namespace {

__attribute__((section(".tte_nv"), used)) std::uint8_t g_nv[NvRecord::kStorageSize];

}  // namespace

bool Mps2Storage::read(std::size_t offset, MutableByteView out) {
  if (offset > sizeof g_nv || out.size() > sizeof g_nv - offset) return false;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = g_nv[offset + i];
  return true;
}

bool Mps2Storage::write(std::size_t offset, ByteView bytes) {
  if (offset > sizeof g_nv || bytes.size() > sizeof g_nv - offset) return false;
  volatile std::uint8_t* nv = g_nv;  // byte by byte, in order: the CRC lands last
  for (std::size_t i = 0; i < bytes.size(); ++i)
    nv[offset + i] = bytes[i];
  return true;
}

}  // namespace tte::device::mps2
