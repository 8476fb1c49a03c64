#include "tte/device/nv_flash.hpp"

#include "tte/device/semihosting.hpp"

namespace tte::device::mps2 {
namespace {

__attribute__((section(".tte_nv"), used)) std::uint8_t g_sector[NvFlash::kSize];

}  // namespace

NvFlash::Host NvFlash::attach_host_file() {
  int file = semihosting::open(kHostFile, semihosting::Mode::read_write_existing);
  if (file < 0 && semihosting::absent()) return Host::none;
  if (file >= 0) {
    if (semihosting::length(file) != static_cast<long>(kSize)) return Host::wrong_size;
    if (!semihosting::read(file, g_sector, kSize)) return Host::refused;
  } else {
    // No file yet: a new Device, whose sector is erased flash, written out whole.
    file = semihosting::open(kHostFile, semihosting::Mode::read_write_new);
    if (file < 0) return Host::refused;
    std::uint8_t erased[256];  // a chunk at a time: the stack is small
    for (std::uint8_t& byte : erased)
      byte = 0xff;
    for (std::size_t at = 0; at < kSize; at += sizeof erased) {
      if (!semihosting::write(file, erased, sizeof erased)) return Host::refused;
    }
    for (std::size_t i = 0; i < kSize; ++i)
      g_sector[i] = 0xff;
  }
  host_file_ = file;
  return Host::mirrored;
}

bool NvFlash::read(std::size_t offset, MutableByteView out) {
  if (offset > kSize || out.size() > kSize - offset) return false;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = g_sector[offset + i];
  return true;
}

bool NvFlash::write(std::size_t offset, ByteView bytes) {
  if (offset > kSize || bytes.size() > kSize - offset) return false;
  volatile std::uint8_t* sector = g_sector;  // byte by byte, in order: the CRC lands last
  for (std::size_t i = 0; i < bytes.size(); ++i)
    sector[offset + i] = bytes[i];
  if (host_file_ < 0) return true;
  return semihosting::seek(host_file_, offset) &&
         semihosting::write(host_file_, g_sector + offset, bytes.size());
}

}  // namespace tte::device::mps2
