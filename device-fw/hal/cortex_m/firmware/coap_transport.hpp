// The Device's Transport (hal.hpp) on a microcontroller: libcoap 4.3.5 over
// lwIP (NO_SYS=1) with Mbed TLS for DTLS 1.2, polled from the main loop.
//
// One DTLS session at a time, to the MotherShip or to the Controller, with the
// Device's key and certificate from its provisioning image. The peer's key is
// checked against the pinned fingerprint inside the handshake (libcoap's
// certificate callback; a wrong key fails the handshake) and once more when
// the session is up, before anything is sent on it. Or DTLS-PSK (docs/protocol.md
// §13.3): a PSK Device's factory PSK with the MotherShip, a link PSK with the
// Controller, the Dev URN as identity.
//
// libcoap reports through callbacks in the middle of its processing; the
// transport only records what happened there and tells the Device after
// coap_io_process() returns (process()), so that the Device may close or open
// sessions in its reaction. Every step has a deadline of its own: a peer that
// stays silent is a failure the Device retries, never a hang.
#ifndef TTE_DEVICE_MPS2_COAP_TRANSPORT_HPP
#define TTE_DEVICE_MPS2_COAP_TRANSPORT_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include "events.hpp"
#include "tte/device/device.hpp"
#include "tte/device/transport_report.hpp"
#include "tte_coap.h"

namespace tte::device::mps2 {

class CoapTransport final : public Transport {
 public:
  static constexpr Millis kHandshakeDeadline = 30'000;
  static constexpr Millis kRequestDeadline = 60'000;

  struct Keys {
    ByteView private_key;  // DER (SEC1 or PKCS#8)
    ByteView certificate;  // DER, self-signed
  };

  // libcoap's context, its handlers and the profile's resource. The keys must
  // stay valid (they live in flash). False when libcoap could not start.
  bool start(const Keys& keys, Profile profile, Events& events);
  void attach(Device& device) { device_ = &device; }
  // Runs libcoap (and lwIP under it) for at most wait_ms, then tells the Device
  // what came of it: sessions up or failed, answers, deadlines passed.
  void process(unsigned wait_ms);

  void ask_mothership(const ControllerAddress& mothership, const SessionKeys& keys,
                      const char* urn) override;
  void open_controller(const ControllerAddress& controller, const SessionKeys& keys,
                       const char* urn) override;
  void register_endpoint(const char* urn, std::uint32_t lifetime, const char* links) override;
  void renew_registration(const char* location) override;
  void close() override;
  void notify_observers(const char* path) override;

 private:
  using Purpose = SessionPurpose;
  using Pending = PendingRequest;

  // libcoap's callbacks (static trampolines to the one transport).
  static coap_response_t on_response(coap_session_t* session, const coap_pdu_t* sent,
                                     const coap_pdu_t* received, coap_mid_t id);
  static void on_nack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                      coap_mid_t id);
  static int on_event(coap_session_t* session, coap_event_t event);
  static int on_certificate(const char* cn, const std::uint8_t* der, std::size_t der_length,
                            coap_session_t* session, unsigned depth, int validated, void* arg);
  static void on_request(coap_resource_t* resource, coap_session_t* session,
                         const coap_pdu_t* request, const coap_string_t* query,
                         coap_pdu_t* response);
  static int wait_for_input(void* arg, std::uint32_t timeout_ms);
  static void on_log(coap_log_t level, const char* message);

  bool open(const ControllerAddress& peer, const SessionKeys& keys, const char* urn,
            Purpose purpose);
  bool send(coap_pdu_t* pdu, Pending pending);
  coap_pdu_t* request(coap_pdu_code_t code, const char* path);
  bool peer_matches_pin();
  void session_up();
  void fail();

  coap_context_t* context_ = nullptr;
  coap_resource_t* resource_ = nullptr;
  Keys keys_{};
  Events* events_ = nullptr;
  Device* device_ = nullptr;

  coap_session_t* session_ = nullptr;
  Purpose purpose_ = Purpose::none;
  Fingerprint pin_;
  bool psk_session_ = false;  // DTLS-PSK (docs/protocol.md §13.3): no pin to check
  char psk_identity_[64] = {};
  std::array<std::uint8_t, SessionKeys::kPskSize> psk_{};
  bool pin_refused_ = false;
  bool peer_alerted_ = false;  // the peer sent a fatal alert (libcoap logs it)
  bool connected_ = false;
  bool failed_ = false;
  Millis deadline_ = 0;
  std::uint64_t opened_micros_ = 0, opened_idle_micros_ = 0;

  Pending pending_ = Pending::none;
  char query_[80] = {};  // urn=<Dev URN>, sent once the MotherShip's key is checked

  // The answer to the pending request, copied out of libcoap's callback.
  bool answered_ = false;
  std::uint8_t code_ = 0;
  std::uint32_t max_age_ = 60;
  std::uint8_t payload_[128] = {};
  std::size_t payload_size_ = 0;
  char location_[64] = {};
};

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_COAP_TRANSPORT_HPP
