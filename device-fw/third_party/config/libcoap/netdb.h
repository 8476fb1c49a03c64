/* libcoap 4.3.5's address resolution (coap_resolve_address_info) is written against getaddrinfo(),
 * which lwIP provides only with its socket API. A TTE Device needs none: it reaches its MotherShip
 * and its Controller by the addresses it was given. This shim declares what that code compiles
 * against and resolves nothing. */
#ifndef TTE_NETDB_SHIM_H
#define TTE_NETDB_SHIM_H

#include "lwip/inet.h"

typedef u32_t socklen_t;
#define AF_UNSPEC 0
#define AF_INET 2
#define SOCK_DGRAM 2
#define AI_PASSIVE 0x01
#define AI_NUMERICHOST 0x04
#define EAI_NONAME 200

struct sockaddr {
  u8_t sa_len;
  u8_t sa_family;
  char sa_data[14];
};
struct sockaddr_in {
  u8_t sin_len;
  u8_t sin_family;
  u16_t sin_port;
  struct in_addr sin_addr;
  char sin_zero[8];
};
struct addrinfo {
  int ai_flags, ai_family, ai_socktype, ai_protocol;
  socklen_t ai_addrlen;
  struct sockaddr* ai_addr;
  char* ai_canonname;
  struct addrinfo* ai_next;
};

static inline int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                              struct addrinfo** res) {
  (void)node;
  (void)service;
  (void)hints;
  *res = 0;
  return EAI_NONAME;
}
static inline void freeaddrinfo(struct addrinfo* ai) {
  (void)ai;
}
static inline const char* gai_strerror(int error) {
  (void)error;
  return "no resolver on the Device";
}

#endif /* TTE_NETDB_SHIM_H */
