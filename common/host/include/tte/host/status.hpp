// What each Errc is on the wire: one HTTP status and one CoAP response code
// per error, used by every request handler of every server (the MotherShip's
// HTTPS and CoAPS, the Controller's API and Resource Directory), and the
// names of CoAP codes ("4.04") for logs and messages.
#ifndef TTE_HOST_STATUS_HPP
#define TTE_HOST_STATUS_HPP

#include <cstdint>
#include <string>

#include "tte/result.hpp"

namespace tte {

// CoAP response codes (RFC 7252 section 12.1.2): class * 32 + detail.
namespace coap_code {
inline constexpr std::uint8_t created = 2 * 32 + 1;              // 2.01
inline constexpr std::uint8_t deleted = 2 * 32 + 2;              // 2.02
inline constexpr std::uint8_t changed = 2 * 32 + 4;              // 2.04
inline constexpr std::uint8_t content = 2 * 32 + 5;              // 2.05
inline constexpr std::uint8_t continue_ = 2 * 32 + 31;           // 2.31 (RFC 7959)
inline constexpr std::uint8_t bad_request = 4 * 32 + 0;          // 4.00
inline constexpr std::uint8_t unauthorized = 4 * 32 + 1;         // 4.01
inline constexpr std::uint8_t forbidden = 4 * 32 + 3;            // 4.03
inline constexpr std::uint8_t not_found = 4 * 32 + 4;            // 4.04
inline constexpr std::uint8_t method_not_allowed = 4 * 32 + 5;   // 4.05
inline constexpr std::uint8_t not_acceptable = 4 * 32 + 6;       // 4.06
inline constexpr std::uint8_t incomplete = 4 * 32 + 8;           // 4.08 (RFC 7959)
inline constexpr std::uint8_t too_large = 4 * 32 + 13;           // 4.13
inline constexpr std::uint8_t unsupported_format = 4 * 32 + 15;  // 4.15
inline constexpr std::uint8_t internal_error = 5 * 32 + 0;       // 5.00
inline constexpr std::uint8_t bad_gateway = 5 * 32 + 2;          // 5.02
inline constexpr std::uint8_t service_unavailable = 5 * 32 + 3;  // 5.03
inline constexpr std::uint8_t gateway_timeout = 5 * 32 + 4;      // 5.04
}  // namespace coap_code

// "2.05", "4.04": how RFC 7252 writes a code.
std::string coap_code_text(int code);

struct WireStatus {
  int http;                // status code
  const char* http_title;  // its reason phrase, the title of a generic problem
  std::uint8_t coap;       // response code
};

// The one table (docs/protocol.md section 5.3 and 9.2 state it for users).
// Syntax errors of every kind are 400 / 4.00; a duplicate is a conflict in
// HTTP (a Dev ID or binding that exists) but a malformed request in CoAP,
// which has no general 4.09 (RFC 8132's is for FETCH/PATCH only).
WireStatus wire_status(Errc code);

}  // namespace tte

#endif  // TTE_HOST_STATUS_HPP
