#include "device_query.hpp"

#include "tte/enrollment_answer.hpp"
#include "tte/host/messages.hpp"
#include "tte/query.hpp"

namespace tte::mothership {
namespace {

DeviceQueryAnswer diagnostic(std::uint8_t code, std::string_view text, const char* outcome) {
  DeviceQueryAnswer answer;
  answer.code = code;
  answer.payload.assign(text.begin(), text.end());
  answer.outcome = outcome;
  return answer;
}

}  // namespace

// Messages 9 and 10 (draft §2, §3.1; docs/protocol.md §8): a Device's query, and the answer.
DeviceQueryAnswer answer_device_query(std::string_view query, std::optional<unsigned> accept,
                                      const DevicePeer& peer, const DeviceLookup& lookup,
                                      std::uint32_t retry_after) {
  const unsigned format = accept.value_or(kContentFormatCbor);
  if (format != kContentFormatCbor && format != kContentFormatJson) {
    DeviceQueryAnswer answer;
    answer.code = coap_code::not_acceptable;
    answer.outcome = "not_acceptable";
    return answer;
  }
  std::optional<std::string_view> urn_text;
  QueryReader reader(query, QueryStyle::form);
  QueryParameter parameter;
  while (reader.next(parameter)) {
    if (parameter.name != "urn") continue;
    if (urn_text) return diagnostic(coap_code::bad_request, "urn given twice", "bad_request");
    urn_text = parameter.value;
  }
  if (!urn_text) return diagnostic(coap_code::bad_request, "urn missing", "bad_request");
  auto urn = DevUrn::parse(*urn_text);
  if (!urn.ok()) return diagnostic(coap_code::bad_request, "urn is not a Dev URN", "bad_request");

  auto found = lookup(urn->view());
  if (!found.ok())
    return diagnostic(coap_code::internal_error, "storage unavailable", "storage_failed");
  const std::optional<DeviceRecord>& device = found.value();
  // Unknown URN and wrong key look the same: neither reveals anything. A PSK session
  // speaks for its identity's PSK Device only; a certificate for a certificate Device.
  const bool authenticated =
      device && (peer.psk_identity
                     ? device->psk_device() && *peer.psk_identity == device->urn.view()
                     : peer.key && device->fingerprint && device->fingerprint->matches(*peer.key));
  if (!authenticated) {
    return diagnostic(coap_code::forbidden, "forbidden", "forbidden");
  }
  DeviceQueryAnswer answer;
  answer.dev_id = device->dev_id;
  if (device->revoked()) {
    // Only the device itself (its key matched) learns that it is revoked.
    answer = diagnostic(coap_code::forbidden, "revoked", "revoked");
    answer.dev_id = device->dev_id;
    return answer;
  }
  if (device->state == DeviceState::unmapped || !device->controller) {
    answer.code = coap_code::service_unavailable;
    answer.max_age = retry_after;
    answer.outcome = "unmapped";
    return answer;
  }
  EnrollmentAnswer enrollment;
  enrollment.controller = device->controller->address;
  enrollment.controller_fingerprint = device->controller->fingerprint;
  if (device->controller->psk) {
    enrollment.has_psk = true;
    enrollment.psk = *device->controller->psk;
  }
  answer.code = coap_code::content;
  answer.content_format = static_cast<std::uint16_t>(format);
  if (format == kContentFormatCbor) {
    std::uint8_t buffer[EnrollmentAnswer::kMaxEncodedSize];
    auto encoded = enrollment.encode_cbor(buffer);
    if (!encoded.ok()) return diagnostic(coap_code::internal_error, "encoding failed", "internal");
    answer.payload.assign(encoded->begin(), encoded->end());
  } else {
    std::string json = enrollment_answer_to_json(enrollment);
    answer.payload.assign(json.begin(), json.end());
  }
  answer.record_registered = device->state == DeviceState::mapped;
  answer.outcome = "answered";
  return answer;
}

}  // namespace tte::mothership
