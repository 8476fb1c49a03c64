#include "tte/device/semihosting.hpp"

#include <cstring>

// Set by the start-up code's HardFault handler when it answers a call itself.
extern "C" volatile int tte_semihosting_absent;
volatile int tte_semihosting_absent = 0;

namespace tte::device::mps2::semihosting {
namespace {

// Operation numbers (ARM "Semihosting for AArch32 and AArch64", version 2.0).
constexpr int kOpen = 0x01, kWrite = 0x05, kRead = 0x06, kSeek = 0x0a, kLength = 0x0c,
              kExitExtended = 0x20;

int call(int operation, const void* arguments) {
  register int r0 asm("r0") = operation;
  register const void* r1 asm("r1") = arguments;
  asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

}  // namespace

int open(const char* path, Mode mode) {
  const std::uintptr_t arguments[3] = {reinterpret_cast<std::uintptr_t>(path),
                                       static_cast<std::uintptr_t>(mode), std::strlen(path)};
  return call(kOpen, arguments);
}

// SYS_READ and SYS_WRITE answer the number of bytes *not* transferred.
bool read(int handle, void* buffer, std::size_t size) {
  const std::uintptr_t arguments[3] = {static_cast<std::uintptr_t>(handle),
                                       reinterpret_cast<std::uintptr_t>(buffer), size};
  return call(kRead, arguments) == 0;
}

bool write(int handle, const void* buffer, std::size_t size) {
  const std::uintptr_t arguments[3] = {static_cast<std::uintptr_t>(handle),
                                       reinterpret_cast<std::uintptr_t>(buffer), size};
  return call(kWrite, arguments) == 0;
}

bool seek(int handle, std::size_t position) {
  const std::uintptr_t arguments[2] = {static_cast<std::uintptr_t>(handle), position};
  return call(kSeek, arguments) == 0;
}

void exit(int status) {
  // SYS_EXIT_EXTENDED: the reason ADP_Stopped_ApplicationExit, and the status.
  const std::uintptr_t arguments[2] = {0x20026, static_cast<std::uintptr_t>(status)};
  call(kExitExtended, arguments);
}

bool absent() {
  return tte_semihosting_absent != 0;
}

long length(int handle) {
  const std::uintptr_t arguments[1] = {static_cast<std::uintptr_t>(handle)};
  return call(kLength, arguments);
}

}  // namespace tte::device::mps2::semihosting
