// Building libcoap PDUs, the same way on every side: the Controller's requests
// to Devices, the simulated Device and the Cortex-M firmware (whose boards
// include this after their own libcoap: 4.3.1 with OpenSSL on POSIX, 4.3.5
// over lwIP with Mbed TLS on the MPS2; these calls are in both). Header-only
// and heap-free, so that the firmware can use it.
#ifndef TTE_PLATFORM_COAP_OPTIONS_HPP
#define TTE_PLATFORM_COAP_OPTIONS_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tte::coap {

// DTLS set-up for a peer trusted for its key alone (TTE pins fingerprints,
// never a CA): its self-signed certificate is accepted, without dates or
// revocation lists (a Device has no calendar); the caller adds its keys and
// the pin check.
inline coap_dtls_pki_t pinned_peer_pki() {
  coap_dtls_pki_t pki;
  std::memset(&pki, 0, sizeof pki);
  pki.version = COAP_DTLS_PKI_SETUP_VERSION;
  pki.verify_peer_cert = 1;
  pki.check_common_ca = 0;
  pki.allow_self_signed = 1;
  pki.allow_expired_certs = 1;
  pki.allow_no_crl = 1;
  pki.allow_expired_crl = 1;
  return pki;
}

// Uri-Path options for "a/b/c" (leading, doubled and trailing '/' ignored).
inline void add_path(coap_pdu_t* pdu, const char* path) {
  const char* segment = path;
  while (*segment) {
    while (*segment == '/')
      ++segment;
    const char* end = segment;
    while (*end && *end != '/')
      ++end;
    if (end > segment) {
      coap_add_option(pdu, COAP_OPTION_URI_PATH, static_cast<std::size_t>(end - segment),
                      reinterpret_cast<const std::uint8_t*>(segment));
    }
    segment = end;
  }
}

inline void add_uint_option(coap_pdu_t* pdu, coap_option_num_t number, unsigned value) {
  std::uint8_t buffer[4];
  coap_add_option(pdu, number, coap_encode_var_safe(buffer, sizeof buffer, value), buffer);
}

inline void add_text_option(coap_pdu_t* pdu, coap_option_num_t number, const char* text) {
  coap_add_option(pdu, number, std::strlen(text), reinterpret_cast<const std::uint8_t*>(text));
}

}  // namespace tte::coap

#endif  // TTE_PLATFORM_COAP_OPTIONS_HPP
