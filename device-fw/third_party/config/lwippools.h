/* libcoap's objects in lwIP memory pools (lwipopts.h sets MEMP_USE_CUSTOM_POOLS): how many of
 * each a TTE Device needs. The Device has one CoAP context, one client session at a time (to its
 * MotherShip or its Controller; one more while the old one is released), its resources (light,
 * switch, temp) and a few observations of them by the Controller. Each pool is static RAM. */
#include "coap3/coap_internal.h"
#include "coap3/coap_net.h"
#include "coap3/coap_resource.h"
#include "coap3/coap_subscribe.h"

/* libcoap checks its string and option-list sizes against these two. */
#define MEMP_LEN_COAPSTRING 40 /* query strings, URI paths, link-format attributes */
#define MEMP_LEN_COAPOPTLIST 12

LWIP_MEMPOOL(COAP_CONTEXT, 1, sizeof(coap_context_t), "COAP_CONTEXT")
LWIP_MEMPOOL(COAP_ENDPOINT, 1, sizeof(coap_endpoint_t), "COAP_ENDPOINT")
LWIP_MEMPOOL(COAP_PACKET, 1, sizeof(coap_packet_t), "COAP_PACKET")
LWIP_MEMPOOL(COAP_NODE, 6, sizeof(coap_queue_t), "COAP_NODE")
LWIP_MEMPOOL(COAP_PDU, 6, sizeof(coap_pdu_t), "COAP_PDU")
LWIP_MEMPOOL(COAP_SESSION, 2, sizeof(coap_session_t), "COAP_SESSION")
LWIP_MEMPOOL(COAP_SUBSCRIPTION, 4, sizeof(coap_subscription_t), "COAP_SUBSCRIPTION")
LWIP_MEMPOOL(COAP_RESOURCE, 4, sizeof(coap_resource_t), "COAP_RESOURCE")
LWIP_MEMPOOL(COAP_RESOURCEATTR, 8, sizeof(coap_attr_t), "COAP_RESOURCEATTR")
LWIP_MEMPOOL(COAP_OPTLIST, 4, sizeof(coap_optlist_t) + MEMP_LEN_COAPOPTLIST, "COAP_OPTLIST")
LWIP_MEMPOOL(COAP_STRING, 12, sizeof(coap_string_t) + MEMP_LEN_COAPSTRING, "COAP_STRING")
LWIP_MEMPOOL(COAP_CACHE_KEY, 1, sizeof(coap_cache_key_t), "COAP_CACHE_KEY")
LWIP_MEMPOOL(COAP_CACHE_ENTRY, 1, sizeof(coap_cache_entry_t), "COAP_CACHE_ENTRY")
LWIP_MEMPOOL(COAP_PDU_BUF, 1, 400, "COAP_PDU_BUF") /* block-wise transfers only */
LWIP_MEMPOOL(COAP_LG_XMIT, 1, sizeof(coap_lg_xmit_t), "COAP_LG_XMIT")
LWIP_MEMPOOL(COAP_LG_CRCV, 1, sizeof(coap_lg_crcv_t), "COAP_LG_CRCV")
LWIP_MEMPOOL(COAP_LG_SRCV, 1, sizeof(coap_lg_srcv_t), "COAP_LG_SRCV")
LWIP_MEMPOOL(COAP_DIGEST_CTX, 1, sizeof(coap_digest_t) + sizeof(size_t), "COAP_DIGEST_CTX")
