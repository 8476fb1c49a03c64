/* libcoap 4.3.5's build configuration for a TTE Device: over lwIP (NO_SYS=1) with Mbed TLS for
 * DTLS, IPv4 and UDP only, client and server parts (the Device asks its MotherShip and Controller
 * as a client, and serves its resources to the Controller over the same session). */
#ifndef COAP_CONFIG_H_
#define COAP_CONFIG_H_

#include <lwip/debug.h>
#include <lwip/def.h>
#include <lwip/opt.h>

#define WITH_LWIP 1
#define COAP_WITH_LIBMBEDTLS 1
#define COAP_IPV4_SUPPORT 1
#define COAP_IPV6_SUPPORT 0
#define COAP_AF_UNIX_SUPPORT 0
#define COAP_DISABLE_TCP 1
#define COAP_CLIENT_SUPPORT 1
#define COAP_SERVER_SUPPORT 1
#define COAP_CONSTRAINED_STACK 1
#define COAP_ASYNC_SUPPORT 0
#define COAP_WITH_OBSERVE_PERSIST 0
#define COAP_WS_SUPPORT 0
#define COAP_Q_BLOCK_SUPPORT 0
#define COAP_OSCORE_SUPPORT 0
#define COAP_PROXY_SUPPORT 0
#define COAP_THREAD_SAFE 0
#define COAP_THREAD_RECURSIVE_CHECK 0
/* Errors and warnings reach the board's log handler; debug messages are compiled out. */
#ifndef COAP_MAX_LOGGING_LEVEL
#define COAP_MAX_LOGGING_LEVEL 4
#endif

#define HAVE_STRNLEN 1
#define HAVE_LIMITS_H 1
#define HAVE_SNPRINTF 1
#define HAVE_ERRNO_H 1
#define HAVE_NETDB_H 1 /* the shim beside this file: the Device has no resolver */

#define PACKAGE_BUGREPORT "libcoap-developers@lists.sourceforge.net"
#define PACKAGE_NAME "libcoap"
#define PACKAGE_STRING "libcoap 4.3.5"
#define PACKAGE_TARNAME "libcoap"
#define PACKAGE_URL "https://libcoap.net/"
#define PACKAGE_VERSION "4.3.5"

#ifndef assert
#define assert(x) LWIP_ASSERT("CoAP assert failed", x)
#endif

#endif /* COAP_CONFIG_H_ */
