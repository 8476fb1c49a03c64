/* Mbed TLS 3.6 for a TTE Device: a DTLS 1.2 client with ECDHE-ECDSA on P-256 (docs/protocol.md:
 * TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, RFC 7252's mandatory suite, and AES-128-GCM) or PSK,
 * self-signed X.509 certificates in DER whose keys are pinned by fingerprint (no CA, no validity
 * dates: the Device has no calendar), and nothing else. */
#ifndef TTE_MBEDTLS_CONFIG_H
#define TTE_MBEDTLS_CONFIG_H

/* Platform: no file system, no clock, no OS entropy. Entropy comes from the board
 * (mbedtls_hardware_poll: the DRBG the factory seeded, device-fw/hal/cortex_m). Memory is libc's
 * calloc/free: libcoap frees some of its own blocks with mbedtls_free. */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C
#ifndef TTE_MBEDTLS_PSK_ONLY
#define MBEDTLS_HMAC_DRBG_C /* deterministic ECDSA */
#endif
#define MBEDTLS_ERROR_STRERROR_DUMMY

/* Ciphers and hashes. */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CCM_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_SMALLER

/* P-256: ECDHE and ECDSA. Signatures are deterministic (RFC 6979), so that a signature never
 * depends on the quality of the random numbers. */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
/* TTE_MBEDTLS_PSK_ONLY, the PSK-only image (docs/device.md): no ECDHE and no ECDSA. ECP and the
 * key and certificate parsers stay, because libcoap 4.3.5's Mbed TLS backend calls them whatever
 * the session (setup_pki_credentials) and Mbed TLS's PK module needs ECC or RSA keys. */
#ifndef TTE_MBEDTLS_PSK_ONLY
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#endif

/* Keys and certificates, DER only. */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C

/* DTLS 1.2 client. */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_DTLS
#define MBEDTLS_SSL_DTLS_ANTI_REPLAY
#define MBEDTLS_SSL_DTLS_HELLO_VERIFY
#define MBEDTLS_SSL_COOKIE_C /* libcoap frees a cookie context in every session, client or not */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
/* DTLS-PSK (docs/protocol.md 13.3): a PSK Device with its MotherShip, a link PSK with a Controller;
 * TLS_PSK_WITH_AES_128_CCM_8 is RFC 7925's mandatory PSK suite. */
#define MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#define MBEDTLS_PSK_MAX_LEN 16
#ifdef TTE_MBEDTLS_PSK_ONLY
#define MBEDTLS_SSL_CIPHERSUITES MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8
#else
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_CIPHERSUITES                                                               \
  MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
      MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8
#endif
/* Record buffers: the largest handshake message is the peer's certificate (~0.5 KB for TTE's
 * self-signed P-256 certificates); CoAP messages stay under libcoap's 1152-byte MTU. */
#define MBEDTLS_SSL_IN_CONTENT_LEN 2048
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048

#endif /* TTE_MBEDTLS_CONFIG_H */
