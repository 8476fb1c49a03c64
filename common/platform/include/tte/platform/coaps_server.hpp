// What the MotherShip's and the Controller's CoAPS servers share on top of
// libcoap's OpenSSL flavour: libcoap's start-up and log lines, the DTLS key
// pair loaded once, and the endpoint with its receive buffer.
#ifndef TTE_PLATFORM_COAPS_SERVER_HPP
#define TTE_PLATFORM_COAPS_SERVER_HPP

#include <coap3/coap.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tte/identifiers.hpp"
#include "tte/platform/listener_budget.hpp"
#include "tte/platform/log.hpp"

namespace tte::coaps {

// RFC 7252's mandatory cipher suite first (where the client offers it), then
// the AEAD suites OpenSSL's clients offer by default.
inline constexpr const char* kCipherPreference =
    "ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-CCM";
// With DTLS-PSK (ServerTls::enable_psk): RFC 7925's mandatory PSK suite first,
// then the GCM one OpenSSL's clients prefer; after the ECDHE-ECDSA ones, which a
// PSK client does not offer.
inline constexpr const char* kPskCipherPreference = "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256";

// Starts libcoap (once per process) and sends its warnings and errors to
// `logger`. With spare_reads_expected, the EAGAIN lines of a read that found
// the socket empty are dropped (the Controller's loop provokes them).
void start_libcoap(Logger& logger, bool spare_reads_expected = false);

// The server's DTLS key pair, parsed once. libcoap 4.3.1 would re-read and
// re-parse the PEM files for every handshake (half of the MotherShip's CPU per
// handshake with OpenSSL 3.0): the servers give libcoap no files (it logs one
// line about it, which start_libcoap's handler drops) and install this pair in
// their additional-setup callback.
class DtlsIdentity {
 public:
  DtlsIdentity() = default;
  ~DtlsIdentity();
  DtlsIdentity(const DtlsIdentity&) = delete;
  DtlsIdentity& operator=(const DtlsIdentity&) = delete;

  // Throws StartupError when the files cannot be read or do not match.
  void load(const std::string& certificate_file, const std::string& private_key_file);
  X509* certificate() const { return certificate_; }
  EVP_PKEY* private_key() const { return private_key_; }

 private:
  X509* certificate_ = nullptr;
  EVP_PKEY* private_key_ = nullptr;
};

// A CoAPS server's DTLS set-up, the same for the MotherShip and the
// Controller: the key pair is installed on each session from libcoap's
// additional-setup callback; once, on the SSL_CTX libcoap made, RFC 7252's
// cipher preference and a certificate check that computes the peer's key
// fingerprint and asks `admit` (trust is a pinned key, never a CA: OpenSSL
// still checks the peer's CertificateVerify, so it proves it holds the key).
// A DTLS-PSK identity as logs show it: control characters and bytes past
// ASCII as '?', at most 80 of them, then "...(N bytes)" when it was longer.
std::string printable_identity(std::string_view identity);
// The session's peer as "192.0.2.9:40123" or "[2001:db8::9]:40123".
std::string remote_address(const coap_session_t* session);

class ServerTls {
 public:
  // Runs inside the handshake: true admits the peer (the session's app data
  // may be set here); false fails the handshake.
  using Admit = bool (*)(void* arg, coap_session_t* session, const Fingerprint& key);
  // max_send_fragment: a cap on DTLS records in bytes (0: OpenSSL's default).
  ServerTls(Admit admit, void* arg, long max_send_fragment = 0)
      : admit_(admit), arg_(arg), max_send_fragment_(max_send_fragment) {}
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  // Loads the key pair and sets up PKI on `context`. Throws StartupError.
  void install(coap_context_t* context, const std::string& certificate_file,
               const std::string& private_key_file);

  // DTLS-PSK beside the certificates: runs inside the handshake with the
  // client's PSK identity; writes the identity's PSK to `psk` and returns its
  // length (at most psk.size()), or 0 to refuse the identity (the handshake
  // fails). A client that offers PSK suites gets a PSK session; certificate
  // clients go on as before.
  using PskLookup = std::size_t (*)(void* arg, coap_session_t* session, std::string_view identity,
                                    std::array<std::uint8_t, 64>& psk);
  // After install(). Throws StartupError.
  void enable_psk(coap_context_t* context, PskLookup lookup, void* arg);

 private:
  static int on_setup(void* tls, coap_dtls_pki_t* setup);
  static int on_verify(X509_STORE_CTX* store, void* arg);
  static const coap_bin_const_t* on_psk_identity(coap_bin_const_t* identity,
                                                 coap_session_t* session, void* arg);
  const char* cipher_preference() const;

  DtlsIdentity identity_;
  Admit admit_;
  void* arg_;
  long max_send_fragment_;
  std::atomic<bool> configured_{false};
  PskLookup psk_lookup_ = nullptr;
  void* psk_arg_ = nullptr;
  // libcoap takes PSK sessions only when a server key is set; every identity is
  // looked up instead, so this random one is never used.
  std::array<std::uint8_t, 16> unused_psk_{};
  std::string ciphers_;
};

// Listens for CoAPS on address:port (port 0: any free port), widens the
// socket's receive buffer to receive_buffer bytes (warning through `logger`
// when the kernel grants less) and returns the bound port. Throws StartupError.
std::uint16_t listen(coap_context_t* context, const std::string& address, std::uint16_t port,
                     std::size_t receive_buffer, Logger& logger);

// Half-open DTLS sessions: past the cookie exchange, holding a handshake's
// state (an OpenSSL object, keys), and not yet connected. libcoap refuses
// every new ClientHello once it holds max_handshake_sessions of them, and
// frees only one older than 30 s per new attempt: one source completing the
// cookie exchange a thousand times and going quiet locked Devices out for
// ~25 s. This keeps them bounded per source address and in all, and older
// ones are dropped first, so that new handshakes (real Devices) go on.
// Not thread-safe: call from the CoAP loop's thread.
class HalfOpenSessions {
 public:
  HalfOpenSessions(HalfOpenLimits limits, Logger& logger) : limits_(limits), logger_(logger) {}

  // From the context's event handler (before anything else it does).
  void on_event(coap_session_t* session, coap_event_t event);
  // Outside coap_io_process(): drops what is over the limits (the sessions are
  // freed by libcoap's next walk) and logs one summary line per 10 s.
  void sweep();
  std::size_t size() const { return sessions_.size(); }

 private:
  struct Entry {
    std::string source;
    std::int64_t since_ms;
  };
  HalfOpenLimits limits_;
  Logger& logger_;
  std::unordered_map<coap_session_t*, Entry> sessions_;
  std::uint64_t dropped_old_ = 0, dropped_source_ = 0, dropped_total_ = 0;
  std::string busiest_source_;
  std::int64_t last_report_ms_ = 0;
};

// The IP address (no port) of a session's peer.
std::string remote_ip(const coap_session_t* session);

}  // namespace tte::coaps

#endif  // TTE_PLATFORM_COAPS_SERVER_HPP
