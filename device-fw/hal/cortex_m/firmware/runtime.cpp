#include "runtime.hpp"

#include <errno.h>
#include <malloc.h>

#include <cstdint>

#include "clock.hpp"
#include "console.hpp"
#include "mbedtls/timing.h"

extern "C" {
extern char end, _heap_end, _stack_limit, _stack_top, _data_start, __bss_end__;
[[noreturn]] void tte_restart();  // firmware_startup.c
}

namespace tte::device::mps2 {
namespace {

constexpr std::uint32_t kStackPaint = 0x5354434bu;  // firmware_startup.c paints the stack so
char* g_break = &end;

}  // namespace

MemoryUse memory_use() {
  const auto* word = reinterpret_cast<const std::uint32_t*>(&_stack_limit);
  const auto* top = reinterpret_cast<const std::uint32_t*>(&_stack_top);
  while (word < top && *word == kStackPaint)
    ++word;
  const struct mallinfo info = mallinfo();
  return MemoryUse{static_cast<std::size_t>(&__bss_end__ - &_data_start),
                   static_cast<std::size_t>(g_break - &end),
                   static_cast<std::size_t>(info.uordblks),
                   static_cast<std::size_t>(&_heap_end - &end),
                   static_cast<std::size_t>(reinterpret_cast<const char*>(top) -
                                            reinterpret_cast<const char*>(word)),
                   static_cast<std::size_t>(&_stack_top - &_stack_limit)};
}

}  // namespace tte::device::mps2

extern "C" {

// The heap grows up to the stack's reserved area and no further: malloc fails
// (and Mbed TLS fails the handshake) rather than the stack being overwritten.
void* _sbrk(std::ptrdiff_t increment) {
  using tte::device::mps2::g_break;
  if (increment > &_heap_end - g_break || g_break + increment < &end) {
    errno = ENOMEM;
    return reinterpret_cast<void*>(-1);
  }
  char* previous = g_break;
  g_break += increment;
  return previous;
}

// Nothing prints with the C library: the console carries JSON lines only.
int _write(int, const char*, int size) {
  return size;
}

[[noreturn]] void tte_board_fatal(const char* what, const char* file, int line) {
  using namespace tte::device::mps2;
  JsonLine(clock().now())
      .field("event", "fault")
      .field("detail", what)
      .field("file", file)
      .field("line", static_cast<std::uint64_t>(line))
      .write_to(console());
  tte_restart();
}

void tte_board_fault(const char* what, std::uint32_t pc) {
  using namespace tte::device::mps2;
  JsonLine(clock().now())
      .field("event", "fault")
      .field("detail", what)
      .field("pc", static_cast<std::uint64_t>(pc))
      .write_to(console());
}

// Mbed TLS's DTLS retransmission timer (MBEDTLS_TIMING_C is off: it wants an OS).
struct Timer {
  std::uint64_t start;
};
static_assert(sizeof(Timer) <= sizeof(mbedtls_timing_hr_time), "the timer does not fit");

unsigned long mbedtls_timing_get_timer(mbedtls_timing_hr_time* value, int reset) {
  auto* timer = reinterpret_cast<Timer*>(value);
  const std::uint64_t now = tte::device::mps2::clock().now();
  if (reset) {
    timer->start = now;
    return 0;
  }
  return static_cast<unsigned long>(now - timer->start);
}

void mbedtls_timing_set_delay(void* data, std::uint32_t intermediate_ms, std::uint32_t final_ms) {
  auto* context = static_cast<mbedtls_timing_delay_context*>(data);
  context->MBEDTLS_PRIVATE(int_ms) = intermediate_ms;
  context->MBEDTLS_PRIVATE(fin_ms) = final_ms;
  if (final_ms != 0) (void)mbedtls_timing_get_timer(&context->MBEDTLS_PRIVATE(timer), 1);
}

int mbedtls_timing_get_delay(void* data) {
  auto* context = static_cast<mbedtls_timing_delay_context*>(data);
  if (context->MBEDTLS_PRIVATE(fin_ms) == 0) return -1;
  const unsigned long elapsed = mbedtls_timing_get_timer(&context->MBEDTLS_PRIVATE(timer), 0);
  if (elapsed >= context->MBEDTLS_PRIVATE(fin_ms)) return 2;
  if (elapsed >= context->MBEDTLS_PRIVATE(int_ms)) return 1;
  return 0;
}

// libcoap 4.3.5 sets Mbed TLS's debug threshold whatever the build; without
// MBEDTLS_DEBUG_C (no debug output on the Device) the function does not exist.
void mbedtls_debug_set_threshold(int) {}

}  // extern "C"
