/* Start-up of the networked Device on the MPS2-AN385 board (firmware.ld): vector table, .data and
 * .bss, the stack painted for the high-water mark, C++ constructors, main. A fault is reported on
 * the console and resets the Device, which carries on from its NV memory. (There is no watchdog:
 * a Device that hangs without faulting stays hung.)
 *
 * Semihosting (the BKPT 0xAB calls the board layer uses to keep its NV memory in a file on the
 * host under QEMU) on a board with no debugger attached raises a HardFault instead of reaching a
 * host: the handler makes such a call fail (-1) and carries on, so one image runs on both. */
#include <stdint.h>

extern uint32_t _data_load, _data_start, _data_end, __bss_start__, __bss_end__, _stack_top,
    _stack_limit;
extern int main(void);
extern void __libc_init_array(void);

void Reset_Handler(void);
void HardFault_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UART0RX_Handler(void) __attribute__((weak, alias("Default_Handler")));
void tte_board_fault(const char* what, uint32_t pc) __attribute__((weak));

#define TTE_STACK_PAINT 0x5354434bu /* "STCK" */

static void Default_Handler(void) {}

/* The Cortex-M3's 16 system vectors, then the MPS2-AN385's interrupts (QEMU hw/arm/mps2.c,
 * ARM AN385): IRQ 0 is UART0's receiver, the only one the firmware enables. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16 + 32])(void) = {
    (void (*)(void))(&_stack_top),
    Reset_Handler,
    Fault_Handler,     /* NMI */
    HardFault_Handler, /* HardFault */
    Fault_Handler,     /* MemManage */
    Fault_Handler,     /* BusFault */
    Fault_Handler,     /* UsageFault */
    0,
    0,
    0,
    0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    SysTick_Handler,
    UART0RX_Handler, /* IRQ 0 */
};

#define SCB_AIRCR (*(volatile uint32_t*)0xE000ED0Cu)
#define SCB_HFSR (*(volatile uint32_t*)0xE000ED2Cu)
#define SCB_DFSR (*(volatile uint32_t*)0xE000ED30u)
#define HFSR_DEBUGEVT 0x80000000u
#define DFSR_BKPT 0x00000002u

/* Set when a semihosting call found nothing to answer it, so that the board layer tells "no
 * host" (a board) from "the host refused" (under QEMU): device-fw/hal/cortex_m semihosting.cpp. */
extern volatile int tte_semihosting_absent;

void tte_restart(void) {
  /* The console's last bytes leave the UART's buffer and shift register first. */
  for (volatile uint32_t i = 0; i < 25000u; ++i) {
  }
  __asm volatile("dsb" ::: "memory");
  SCB_AIRCR = 0x05FA0004u; /* SYSRESETREQ */
  __asm volatile("dsb" ::: "memory");
  for (;;) {
  }
}

void Fault_Handler(void) {
  if (tte_board_fault) tte_board_fault("fault", 0);
  tte_restart();
}

/* Called from HardFault_Handler with the stacked exception frame: r0-r3, r12, lr, pc, xpsr. */
void tte_hard_fault(uint32_t* frame) {
  /* Only a breakpoint (a debug event escalated to HardFault) has a stacked PC worth reading:
   * after a bad fetch the PC is the bad address itself, and reading it would lock the core. */
  if ((SCB_HFSR & HFSR_DEBUGEVT) && (SCB_DFSR & DFSR_BKPT) &&
      *(const uint16_t*)frame[6] == 0xBEABu) { /* BKPT 0xAB: semihosting, nobody to answer */
    SCB_HFSR = HFSR_DEBUGEVT;                  /* write-one-to-clear */
    SCB_DFSR = DFSR_BKPT;
    tte_semihosting_absent = 1;
    frame[0] = (uint32_t)-1;
    frame[6] += 2;
    return;
  }
  if (tte_board_fault) tte_board_fault("hard fault", frame[6]);
  tte_restart();
}

__attribute__((naked)) void HardFault_Handler(void) {
  __asm volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "b tte_hard_fault\n");
}

void Reset_Handler(void) {
  uint32_t* src = &_data_load;
  for (uint32_t* dst = &_data_start; dst < &_data_end;)
    *dst++ = *src++;
  for (uint32_t* dst = &__bss_start__; dst < &__bss_end__;)
    *dst++ = 0;
  /* Paint the stack below what start-up itself uses: the board reports the high-water mark. */
  uint32_t sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t* p = &_stack_limit; p < (uint32_t*)(sp - 64); ++p)
    *p = TTE_STACK_PAINT;
  __libc_init_array();
  main();
  tte_restart();
}

/* newlib calls these around constructors; nothing to do here. */
void _init(void) {}
void _fini(void) {}
