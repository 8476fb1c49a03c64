/* lwIP 2.1.3 for a TTE Device (device-fw/hal/cortex_m): no RTOS (NO_SYS=1, raw API, polled from
 * the main loop), IPv4 only, UDP only (CoAP over DTLS), DHCP or a static address. Pools are sized
 * for one DTLS session at a time and a handful of datagrams in flight. */
#ifndef TTE_LWIPOPTS_H
#define TTE_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_TCP 0
#define LWIP_UDP 1
#define LWIP_RAW 0
#define LWIP_ARP 1
#define LWIP_ICMP 1
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0
#define LWIP_STATS 0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1

/* Memory: the heap carries outgoing datagrams (PBUF_RAM; a DTLS flight is a few records of at
 * most ~1.2 KB); the pool carries received Ethernet frames. */
#define MEM_ALIGNMENT 4
#define MEM_SIZE (6 * 1024)
#define PBUF_POOL_SIZE 8
#define PBUF_POOL_BUFSIZE LWIP_MEM_ALIGN_SIZE(1514 + PBUF_LINK_ENCAPSULATION_HLEN)
#define MEMP_NUM_PBUF 4
#define MEMP_NUM_UDP_PCB 4
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2) /* + libcoap's */
#define ARP_TABLE_SIZE 4
#define ARP_QUEUEING 1
#define MEMP_NUM_ARP_QUEUE 4
#define ETH_PAD_SIZE 0

/* No IP reassembly: libcoap's lwIP port hands only a datagram's first pbuf to DTLS, so a
 * reassembled datagram would arrive cut short anyway, and fragments would only let anyone
 * hold receive buffers. DTLS keeps its records within the MTU itself. */
#define IP_REASSEMBLY 0
#define IP_FRAG 0

/* libcoap allocates its objects from lwIP pools (lwippools.h). */
#define MEMP_USE_CUSTOM_POOLS 1
#define LOCK_TCPIP_CORE()
#define UNLOCK_TCPIP_CORE()

/* Random numbers (DHCP transaction IDs, local ports) from the board's DRBG. */
#ifdef __cplusplus
extern "C" {
#endif
unsigned long tte_board_random(void);
#ifdef __cplusplus
}
#endif
#define LWIP_RAND() ((u32_t)tte_board_random())

#endif /* TTE_LWIPOPTS_H */
