/* lwIP's compiler and platform glue for arm-none-eabi-gcc with newlib. */
#ifndef TTE_LWIP_ARCH_CC_H
#define TTE_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_NO_UNISTD_H 1
/* lwIP's diagnostics and failed assertions go to the board's console (the UART), then the Device
 * restarts: an assertion is a bug, and a restarted Device carries on from its NV record. */
#ifdef __cplusplus
extern "C" {
#endif
void tte_board_fatal(const char* what, const char* file, int line) __attribute__((noreturn));
#ifdef __cplusplus
}
#endif
#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) tte_board_fatal(x, __FILE__, __LINE__)

#endif /* TTE_LWIP_ARCH_CC_H */
