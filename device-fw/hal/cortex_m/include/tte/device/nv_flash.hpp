// The Device's NV memory on the MPS2: the 4 KiB .tte_nv sector (firmware.ld,
// link.ld), which holds the NvRecord (the Controller) at 0 and the SeedRecord
// at 256.
//
// On the board the sector is memory the firmware writes in place (SSRAM on the
// MPS2: it survives a reset, not a power cycle; on a part with flash, Storage
// writes go through its flash driver, each A/B slot in its own erase unit).
// Under QEMU, where every run is a new machine, the sector is kept in a file on
// the host: at boot the file's contents replace the sector's and every write
// goes through to the file (semihosting), so a reboot is a new QEMU process
// that finds what the previous one wrote. A write cut short by a kill leaves a
// prefix, as a power cut would; NvRecord and SeedRecord cope with that.
#ifndef TTE_DEVICE_MPS2_NV_FLASH_HPP
#define TTE_DEVICE_MPS2_NV_FLASH_HPP

#include <cstddef>
#include <cstdint>

#include "tte/device/hal.hpp"

namespace tte::device::mps2 {

class NvFlash final : public Storage {
 public:
  static constexpr std::size_t kSize = 4096;
  static constexpr const char* kHostFile = "nv.bin";  // relative to QEMU's working directory

  enum class Host : std::uint8_t {
    mirrored,    // the sector is the host's file (created, erased, for a new Device)
    none,        // nothing answers semihosting: the sector is the board's own memory
    refused,     // the host answers but its file cannot be opened, read or created
    wrong_size,  // the host's file is not a 4 KiB sector: not this firmware's
  };
  // Looks for the host's file. Anything but mirrored or none leaves the sector
  // as it was: the Device must not go on (it would forget what it stores).
  Host attach_host_file();
  bool mirrored() const { return host_file_ >= 0; }

  bool read(std::size_t offset, MutableByteView out) override;
  bool write(std::size_t offset, ByteView bytes) override;

 private:
  int host_file_ = -1;
};

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_NV_FLASH_HPP
