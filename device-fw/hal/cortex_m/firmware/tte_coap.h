// libcoap's API as the board uses it: its build configuration first (lwIP,
// Mbed TLS, device-fw/third_party/config/libcoap), then the API.
#ifndef TTE_DEVICE_MPS2_TTE_COAP_H
#define TTE_DEVICE_MPS2_TTE_COAP_H

#include "coap_config.h"
// coap_config.h first.
#include <coap3/coap.h>

#endif  // TTE_DEVICE_MPS2_TTE_COAP_H
