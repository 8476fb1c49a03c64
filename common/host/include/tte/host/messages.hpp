// The JSON messages of TTE (docs/protocol.md): the state object (draft 3.2),
// the JSON form of the enrollment answer (message 10 with Accept 50), the
// Introducer's notice to the Controller (message 6), the MotherShip's claim
// request (message 4) and problem details for errors (RFC 9457).
//
// Decoders never throw: malformed JSON, wrong types and bad values come back
// as an Error naming the field.
#ifndef TTE_HOST_MESSAGES_HPP
#define TTE_HOST_MESSAGES_HPP

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tte/dev_urn.hpp"
#include "tte/enrollment_answer.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/identifiers.hpp"
#include "tte/ip_address.hpp"
#include "tte/result.hpp"

namespace tte {

enum class DeviceState : std::uint8_t { unmapped, mapped, registered, revoked };
const char* device_state_name(DeviceState state);
// Errors: syntax (not one of the four names).
Result<DeviceState> parse_device_state(std::string_view name);

// The draft's Section 3.2 object: what the MotherShip says about a device.
struct StateObject {
  DevId dev_id;
  DevUrn urn;
  std::optional<Fingerprint> fingerprint;  // null for a PSK Device (§13.3): it has no key pair
  DeviceState state;
  std::optional<std::int64_t> mapped_at;      // seconds since the epoch
  std::optional<std::int64_t> registered_at;  // seconds since the epoch

  std::string to_json() const;
  // Errors: syntax, missing, out_of_range (and the identifiers' own errors).
  static Result<StateObject> from_json(std::string_view text);
};

// {"cip":"192.0.2.7","cport":5684,"cfingerprint":"<hex>"[,"cpsk":"<hex>"]}
std::string enrollment_answer_to_json(const EnrollmentAnswer& answer);
Result<EnrollmentAnswer> enrollment_answer_from_json(std::string_view text);

using Psk = std::array<std::uint8_t, EnrollmentAnswer::kPskSize>;

// Message 6, POST /.well-known/tte/devices on the Controller.
struct DeviceNotice {
  DevUrn urn;
  // The Device's DTLS key; none for a PSK Device (docs/protocol.md §13.3), whose
  // notice then carries psk: a notice has a fingerprint, a psk, or both.
  std::optional<Fingerprint> fingerprint;
  DevId dev_id;
  Otp otp;
  MsId::Host mothership;    // the MotherShip's host name, tte-XXXXXX.net
  std::string description;  // may be empty
  std::optional<Psk> psk;   // PSK variant only

  std::string to_json() const;
  static Result<DeviceNotice> from_json(std::string_view text, IdPolicy policy);
};

// The longest Dev Descp we accept, in bytes of UTF-8.
inline constexpr std::size_t kMaxDescriptionBytes = 256;
// A Dev Descp is UTF-8 text without control characters, at most 256 bytes.
// Errors: too_long, syntax.
Status validate_description(std::string_view text);

// Message 4: an Introducer maps a device to a Controller. The draft appends
// cip, cport and cfingerprint to the Enrollment URL; the same fields may come
// in an application/x-www-form-urlencoded body (what the HTML form sends).
struct ClaimRequest {
  DevId dev_id;
  Otp otp;
  ControllerAddress controller;
  Fingerprint controller_fingerprint;
  std::string description;
  std::optional<Psk> psk;

  // query: the request target's query (after '?'); form_body: the body, or empty.
  // A field given in both is a duplicate. Errors: missing, duplicate, syntax,
  // out_of_range, too_long, unsupported.
  static Result<ClaimRequest> parse(std::string_view query, std::string_view form_body);
  // The query string (without '?') that carries this request's fields.
  std::string to_query() const;
};

// Bulk enrollment (docs/protocol.md section 13.2): an Introducer maps a whole
// box to one Controller with the box URL's first, count and key and the claim
// fields of ClaimRequest, in the query or a form body.
struct BoxClaimRequest {
  BoxCredentials box;
  ControllerAddress controller;
  Fingerprint controller_fingerprint;
  std::string description;
  std::optional<Psk> psk;

  // Errors: as ClaimRequest::parse, and out_of_range for count.
  static Result<BoxClaimRequest> parse(std::string_view query, std::string_view form_body);
  // The query string (without '?') that carries this request's fields.
  std::string to_query() const;
};

// The answer to a box claim that mapped the box:
// {"first":"00001000","count":24,"devices":[<state object>, ...]} in Dev ID order.
struct BoxClaimAnswer {
  DevId first{0};
  std::uint32_t count = 0;
  std::vector<StateObject> devices;

  std::string to_json() const;
  // Errors: syntax, missing, out_of_range (count, or devices not count long).
  static Result<BoxClaimAnswer> from_json(std::string_view text);
};

// RFC 9457 problem details, as every TTE HTTP error is sent.
struct Problem {
  int status = 500;
  std::string type;                   // a URI; TTE's own are listed in docs/protocol.md
  std::string title;                  // short, fixed per type
  std::string detail;                 // this occurrence
  std::string field;                  // the offending request field, if any
  std::optional<StateObject> device;  // 409: the device's state
  std::vector<StateObject> devices;   // a box's 409: the Devices already used or revoked

  std::string to_json() const;
  static Result<Problem> from_json(std::string_view text);
};

}  // namespace tte

#endif  // TTE_HOST_MESSAGES_HPP
