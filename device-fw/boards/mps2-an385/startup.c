/* Start-up for QEMU's mps2-an385 board: vector table, .data/.bss set-up, C++
 * constructors, main, and exit through semihosting (newlib's rdimon). */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t _data_load, _data_start, _data_end, __bss_start__, __bss_end__, _stack_top;
extern int main(void);
extern void __libc_init_array(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);

static void Fault_Handler(void) {
  /* A fault in a test program: report failure to the host and stop. */
  exit(3);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(&_stack_top),
    Reset_Handler,
    Fault_Handler,
    Fault_Handler,
    Fault_Handler,
    Fault_Handler,
    Fault_Handler,
    0,
    0,
    0,
    0,
    Fault_Handler,
    Fault_Handler,
    0,
    Fault_Handler,
    Fault_Handler,
};

void Reset_Handler(void) {
  uint32_t* src = &_data_load;
  for (uint32_t* dst = &_data_start; dst < &_data_end;)
    *dst++ = *src++;
  for (uint32_t* dst = &__bss_start__; dst < &__bss_end__;)
    *dst++ = 0;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

/* newlib calls these around constructors; nothing to do here. */
void _init(void) {}
void _fini(void) {}
