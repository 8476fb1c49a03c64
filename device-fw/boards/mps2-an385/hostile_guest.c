/* A hostile guest for the QEMU runner's confinement test (tests/check_qemu_confinement.sh):
 * what firmware taken over through the network could try with semihosting. It reports each
 * attempt's result on UART0 as a line "NAME RESULT", then asks the host to run a command,
 * which must not happen. Not part of any Device. */
#include <stdint.h>
#include <string.h>

extern uint32_t _stack_top;
void Reset_Handler(void);
__attribute__((section(".vectors"), used)) static void (*const vectors[2])(void) = {
    (void (*)(void))(&_stack_top), Reset_Handler};

#define UART0 0x40004000u
#define REG(a) (*(volatile uint32_t*)(a))

static void put(const char* text) {
  for (; *text; ++text) {
    while (REG(UART0 + 4) & 1u) {
    }
    REG(UART0) = (uint8_t)*text;
  }
}

static void put_number(int value) {
  char digits[12];
  int n = 0;
  unsigned v = value < 0 ? (unsigned)-value : (unsigned)value;
  if (value < 0) put("-");
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) {
    char one[2] = {digits[--n], 0};
    put(one);
  }
}

static int semihosting(int operation, const void* arguments) {
  register int r0 asm("r0") = operation;
  register const void* r1 asm("r1") = arguments;
  asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static int open_file(const char* path, int mode) {
  const uintptr_t arguments[3] = {(uintptr_t)path, (uintptr_t)mode, strlen(path)};
  return semihosting(0x01, arguments); /* SYS_OPEN */
}

static void report(const char* name, int result) {
  put(name);
  put(" ");
  put_number(result);
  put("\n");
}

void Reset_Handler(void) {
  REG(UART0 + 0x10) = 217; /* BAUDDIV */
  REG(UART0 + 0x08) = 1;   /* TX enable */
  report("open-etc-passwd", open_file("/etc/passwd", 0));
  report("open-parent", open_file("../../../../../../etc/passwd", 0));
  report("create-at-root", open_file("/tte-confinement-probe", 4)); /* "w" */
  const char* command = "touch /tmp/tte-confinement-escaped";
  const uintptr_t arguments[2] = {(uintptr_t)command, strlen(command)};
  put("system...\n");
  report("system", semihosting(0x12, arguments)); /* SYS_SYSTEM */
  put("done\n");
  semihosting(0x18, (const void*)0x20026); /* SYS_EXIT, ADP_Stopped_ApplicationExit */
  for (;;) {
  }
}
