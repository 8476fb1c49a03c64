// Messages 4, 5 and the status query, from the Introducer's side: what to send
// and what each answer means to an installer (docs/introducer.md).
#ifndef TTE_INTRODUCER_MOTHERSHIP_CLIENT_HPP
#define TTE_INTRODUCER_MOTHERSHIP_CLIENT_HPP

#include <optional>
#include <string>
#include <vector>

#include "tte/enrollment_url.hpp"
#include "tte/host/messages.hpp"
#include "tte/platform/http_client.hpp"

namespace tte::introducer {

// The Introducer's exit statuses, one per outcome (listed in --help and docs).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;
inline constexpr int usage = 2;
inline constexpr int already_used = 3;       // 409: someone used the OTP first
inline constexpr int not_recognised = 4;     // 403: unknown device or wrong OTP
inline constexpr int revoked = 5;            // 410
inline constexpr int throttled = 6;          // 429
inline constexpr int rejected = 7;           // 400: the MotherShip named a bad field
inline constexpr int certificate = 8;        // the MotherShip's certificate is not to be trusted
inline constexpr int unreachable = 9;        // no answer from the MotherShip
inline constexpr int mothership_error = 10;  // 5xx or an answer that makes no sense
inline constexpr int notice_refused = 11;    // mapped, but the Controller refused the notice
inline constexpr int no_label = 12;          // no TTE label in the image
inline constexpr int some_notices_refused = 13;  // a box mapped, some of its notices refused
}  // namespace exit_code

enum class Verdict {
  ok,  // 200: mapped (claim) or the state (status)
  already_used,
  not_recognised,
  revoked,
  throttled,
  rejected,
  certificate,
  unreachable,
  mothership_error,
};

struct MotherShipAnswer {
  Verdict verdict = Verdict::mothership_error;
  std::optional<StateObject>
      device;                    // with ok, and with already_used (the state someone else made)
  std::int64_t retry_after = 0;  // with throttled
  std::string detail;            // the MotherShip's problem detail, or the transport error
  std::string field;             // with rejected: which field
  int status = 0;                // the HTTP status, if there was one
  // The connection broke or timed out after the request may have gone out: a
  // claim may have been stored without its answer reaching us.
  bool answer_lost = false;
};

// What a fetch's outcome means. Pure: tested without a network.
MotherShipAnswer interpret(const http::FetchResult& result);
int exit_code_of(Verdict verdict);
const char* verdict_name(Verdict verdict);

// POST /.well-known/tte?<claim> at the device's MotherShip.
MotherShipAnswer claim(const EnrollmentUrl& device, const ClaimRequest& request,
                       const http::ClientOptions& client);
// GET /.well-known/tte/status?otp=..&devid=..
MotherShipAnswer query_status(const EnrollmentUrl& device, const http::ClientOptions& client);

// The MotherShip's answer to a box claim (docs/protocol.md §13.2): 200 with
// every Device of the box in Dev ID order, 409 naming exactly the Devices
// already used or revoked (nothing was mapped), else as a single claim.
struct BoxClaimAnswer {
  Verdict verdict = Verdict::mothership_error;
  // ok: every Device of the box, in Dev ID order; already_used: those already
  // used or revoked.
  std::vector<StateObject> devices;
  std::int64_t retry_after = 0;
  std::string detail;
  std::string field;
  int status = 0;
  bool answer_lost = false;
};

// What a box claim's outcome means for `box` (pure). A 200 that does not list
// exactly the box's Devices, in order, is the MotherShip's error.
BoxClaimAnswer interpret_box(const http::FetchResult& result, const BoxUrl& box);
// The box claim's query (after '?'): the box URL's first, count and key, then
// the claim's cip, cport, cfingerprint and description.
std::string box_claim_query(const BoxUrl& box, const ClaimRequest& claim);
// POST /.well-known/tte/box?<box claim> at the box's MotherShip. The claim's
// dev_id and otp are not sent.
BoxClaimAnswer claim_box(const BoxUrl& box, const ClaimRequest& claim,
                         const http::ClientOptions& client);

}  // namespace tte::introducer

#endif  // TTE_INTRODUCER_MOTHERSHIP_CLIENT_HPP
