// ARM semihosting (the BKPT 0xAB calls a debugger or QEMU answers): the few file
// calls the board needs to keep its NV memory in a file on the host under
// QEMU. With nothing to answer them (a board without a debugger), every call
// fails with -1: the start-up code's HardFault handler sees to that, and says so
// (absent()).
#ifndef TTE_DEVICE_MPS2_SEMIHOSTING_HPP
#define TTE_DEVICE_MPS2_SEMIHOSTING_HPP

#include <cstddef>
#include <cstdint>

namespace tte::device::mps2::semihosting {

enum class Mode : int { read_write_existing = 3, read_write_new = 7 };  // "r+b", "w+b"

// A handle, or -1.
int open(const char* path, Mode mode);
// True when all `size` bytes were transferred.
bool read(int handle, void* buffer, std::size_t size);
bool write(int handle, const void* buffer, std::size_t size);
bool seek(int handle, std::size_t position);
// The file's length, or -1.
long length(int handle);
// Asks the host (QEMU) to end with this exit status; returns on a board.
void exit(int status);
// True once a call found nothing to answer it (a board with no debugger): a
// failure then means "no host", not "the host refused".
bool absent();

}  // namespace tte::device::mps2::semihosting

#endif  // TTE_DEVICE_MPS2_SEMIHOSTING_HPP
