// The controller code: everything an installer needs to know about a
// Controller, as one line of text (and as a QR code of it) that
// `tte-controller info` prints and `tte-introducer site add --code` reads:
//
//   tte:controller?c=192.0.2.7:5684&fp=<64 hex>[&notify=<URL>][&token=<T>]
//
// c and fp are the Controller's CoAPS address and DTLS key fingerprint
// (message 4's cip/cport/cfingerprint); notify and token, if present, its
// intake for message 6. Values are percent-encoded (docs/protocol.md section 10.1).
#ifndef TTE_HOST_CONTROLLER_CODE_HPP
#define TTE_HOST_CONTROLLER_CODE_HPP

#include <string>
#include <string_view>

#include "tte/identifiers.hpp"
#include "tte/ip_address.hpp"
#include "tte/result.hpp"

namespace tte {

struct ControllerCode {
  static constexpr std::string_view kPrefix = "tte:controller?";

  ControllerAddress address;
  Fingerprint fingerprint;
  std::string notify_url;  // empty: none
  std::string token;       // empty: none (a secret when present)

  std::string to_string() const;
  // Errors: syntax (not a controller code; a malformed parameter), missing (c
  // or fp), duplicate, and those of the address and fingerprint parsers.
  static Result<ControllerCode> parse(std::string_view text);
};

}  // namespace tte

#endif  // TTE_HOST_CONTROLLER_CODE_HPP
