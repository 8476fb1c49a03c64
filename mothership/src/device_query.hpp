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

using DeviceLookup = std::function<Result<std::optional<DeviceRecord>>(std::string_view urn)>;

// query: the request's Uri-Query options joined with '&'; accept: its Accept
// option, if any; peer: the fingerprint of the Device's DTLS key (absent if the
// DTLS layer gave none); retry_after: the Max-Age to send while unmapped.
DeviceQueryAnswer answer_device_query(std::string_view query, std::optional<unsigned> accept,
                                      const std::optional<Fingerprint>& peer,
                                      const DeviceLookup& lookup, std::uint32_t retry_after);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_DEVICE_QUERY_HPP
