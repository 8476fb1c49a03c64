// Messages 9 and 10 (docs/protocol.md section 8): a Device asks where its
// Controller is. The answer is a pure function of the request, the fingerprint
// of the key the Device presented in DTLS, and the stored device.
#ifndef TTE_MOTHERSHIP_DEVICE_QUERY_HPP
#define TTE_MOTHERSHIP_DEVICE_QUERY_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "device_record.hpp"
#include "tte/host/status.hpp"

namespace tte::mothership {

struct DeviceQueryAnswer {
  std::uint8_t code = coap_code::internal_error;
  std::optional<std::uint16_t> content_format;
  std::optional<std::uint32_t> max_age;
  std::vector<std::uint8_t> payload;  // the answer, or a diagnostic text
  std::optional<DevId> dev_id;        // the device, once the key matched (for logs)
  bool record_registered = false;     // the MotherShip must now record "registered"
  const char* outcome = "";           // for the log line
};

// Who the DTLS session authenticated: a certificate Device by its key's
// fingerprint, or a PSK Device by its PSK identity (its Dev URN, §13.3), whose
// PSK the handshake has already proved.
struct DevicePeer {
  std::optional<Fingerprint> key;
  std::optional<std::string> psk_identity;

  DevicePeer() = default;
  DevicePeer(std::nullopt_t) {}
  DevicePeer(const Fingerprint& k) : key(k) {}
  DevicePeer(const std::optional<Fingerprint>& k) : key(k) {}
  static DevicePeer psk(std::string identity) {
    DevicePeer peer;
    peer.psk_identity = std::move(identity);
    return peer;
  }
};

using DeviceLookup = std::function<Result<std::optional<DeviceRecord>>(std::string_view urn)>;

// query: the request's Uri-Query options joined with '&'; accept: its Accept
// option, if any; peer: the fingerprint of the Device's DTLS key or its PSK
// identity (neither if the DTLS layer gave none); retry_after: the Max-Age to
// send while unmapped.
DeviceQueryAnswer answer_device_query(std::string_view query, std::optional<unsigned> accept,
                                      const DevicePeer& peer, const DeviceLookup& lookup,
                                      std::uint32_t retry_after);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_DEVICE_QUERY_HPP
