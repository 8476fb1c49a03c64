// How a board's Transport (hal.hpp) tells the Device what came of its work:
// which Device::on_* a failure or an answer means depends only on what the
// session was for, whether it was up and what request was out, the same on
// every board. Pure: no I/O.
#ifndef TTE_DEVICE_TRANSPORT_REPORT_HPP
#define TTE_DEVICE_TRANSPORT_REPORT_HPP

#include <cstdint>

#include "tte/device/device.hpp"

namespace tte::device {

enum class SessionPurpose : std::uint8_t { none, mothership, controller };
enum class PendingRequest : std::uint8_t { none, query, registration, renewal };

// Why a session failed: no answer (silence, a deadline, a DTLS error on this
// side), the peer's alert, or the peer's wrong key.
enum class Failure : std::uint8_t { no_answer, refused, wrong_key };

// The session failed; `up` says whether the handshake had completed.
void report_failure(Device& device, Millis now, SessionPurpose purpose, bool up,
                    PendingRequest pending, Failure failure);

// The CoAP answer to the request that was out.
struct CoapAnswer {
  std::uint8_t code = 0;           // class << 5 | detail
  std::uint32_t max_age = 60;      // the Max-Age option (RFC 7252 default 60)
  ByteView payload;                // valid during the call only
  const char* location = nullptr;  // Location-Path segments joined with '/', or null
};
void report_answer(Device& device, Millis now, PendingRequest pending, const CoapAnswer& answer);

}  // namespace tte::device

#endif  // TTE_DEVICE_TRANSPORT_REPORT_HPP
