// What both boards' Transports do with libcoap's PDUs: build requests, read
// answers, serve the Device's resources to its Controller. Header-only: each
// board includes it after its own libcoap (4.3.1 with OpenSSL on POSIX, 4.3.5
// over lwIP with Mbed TLS on the MPS2), whose API these calls share.
#ifndef TTE_DEVICE_COAP_PDU_HPP
#define TTE_DEVICE_COAP_PDU_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tte/device/device.hpp"
#include "tte/platform/coap_options.hpp"

namespace tte::device::coap_pdu {

constexpr std::uint16_t kContentFormatText = 0, kContentFormatLinkFormat = 40;

// The profile's one resource, served to the Controller over the Device's own
// session and listed in /.well-known/core as the Device registers it
// (docs/protocol.md section 9.1; libcoap adds `obs`): GET, and PUT on the light.
inline coap_resource_t* add_profile_resource(coap_context_t* context, Profile profile,
                                             coap_method_handler_t handler) {
  const ProfileResource described = profile_resource(profile);
  coap_resource_t* resource = coap_resource_init(coap_make_str_const(described.name), 0);
  if (!resource) return nullptr;
  coap_add_attr(resource, coap_make_str_const("rt"), coap_make_str_const(described.type), 0);
  coap_add_attr(resource, coap_make_str_const("if"), coap_make_str_const(described.interface), 0);
  coap_register_request_handler(resource, COAP_REQUEST_GET, handler);
  if (described.observable) {
    coap_resource_set_get_observable(resource, 1);
  } else {
    coap_register_request_handler(resource, COAP_REQUEST_PUT, handler);
  }
  coap_add_resource(context, resource);
  return resource;
}

// PKI for a pinned peer, Uri-Path and option building: shared with the host's programs.
using tte::coap::add_path;
using tte::coap::add_text_option;
using tte::coap::add_uint_option;
using tte::coap::pinned_peer_pki;

// The Max-Age option, or RFC 7252's default of 60 s.
inline std::uint32_t max_age_of(const coap_pdu_t* pdu) {
  coap_opt_iterator_t options;
  coap_opt_t* option = coap_check_option(pdu, COAP_OPTION_MAXAGE, &options);
  return option ? coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option)) : 60;
}

// The Location-Path segments joined with '/' into out; false (out empty) when
// they do not fit.
inline bool location_of(const coap_pdu_t* pdu, char* out, std::size_t size) {
  std::size_t at = 0;
  out[0] = '\0';
  coap_opt_iterator_t options;
  coap_opt_filter_t filter;
  coap_option_filter_clear(&filter);
  coap_option_filter_set(&filter, COAP_OPTION_LOCATION_PATH);
  coap_option_iterator_init(pdu, &options, &filter);
  while (coap_opt_t* option = coap_option_next(&options)) {
    const std::size_t length = coap_opt_length(option);
    if (at + length + 2 > size) {
      out[0] = '\0';
      return false;
    }
    if (at) out[at++] = '/';
    std::memcpy(out + at, coap_opt_value(option), length);
    at += length;
  }
  out[at] = '\0';
  return true;
}

// A request from the Controller to one of the Device's resources, answered by the Device.
inline void serve(Device& device, Millis now, coap_resource_t* resource, const coap_pdu_t* request,
                  coap_pdu_t* response) {
  const coap_str_const_t* uri = coap_resource_get_uri_path(resource);
  char path[16] = "/";
  if (uri->length + 2 > sizeof path) {
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
    return;
  }
  std::memcpy(path + 1, uri->s, uri->length);
  path[1 + uri->length] = '\0';
  std::size_t size = 0;
  const std::uint8_t* data = nullptr;
  ByteView payload;
  if (coap_get_data(request, &size, &data) && data) payload = ByteView(data, size);
  const Method method = static_cast<Method>(coap_pdu_get_code(request));
  const Reply reply = device.on_request(now, method, path, payload);
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(reply.code));
  if (reply.text[0] != '\0') {
    add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, kContentFormatText);
    coap_add_data(response, std::strlen(reply.text),
                  reinterpret_cast<const std::uint8_t*>(reply.text));
  }
}

}  // namespace tte::device::coap_pdu

#endif  // TTE_DEVICE_COAP_PDU_HPP
