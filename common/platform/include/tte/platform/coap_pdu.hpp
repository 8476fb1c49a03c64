// Reading and writing libcoap PDUs the way both CoAPS servers need: options
// as numbers and strings, the payload, and answers with a body that may go
// block-wise (RFC 7959, through tte/host/coap_blocks.hpp).
#ifndef TTE_PLATFORM_COAP_PDU_HPP
#define TTE_PLATFORM_COAP_PDU_HPP

#include <coap3/coap.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tte/host/coap_blocks.hpp"
#include "tte/platform/coap_options.hpp"

namespace tte::coaps {

std::optional<unsigned> uint_option(const coap_pdu_t* pdu, coap_option_num_t number);
// Every Uri-Query option's value, in order ("ep=urn:dev:...").
std::vector<std::string> query_options(const coap_pdu_t* pdu);
std::string payload_of(const coap_pdu_t* pdu);
std::string uri_path_of(const coap_pdu_t* pdu);  // "rd/7", without a leading '/'
using coap::add_uint_option;

// The request's Block1 or Block2 option. `valid` false: the option is there
// but malformed (answer 4.00).
struct BlockOption {
  std::optional<coap_blocks::Block> block;
  bool valid = true;
};
BlockOption block_option(const coap_pdu_t* pdu, coap_option_num_t number);

// Sets the answer's code and a diagnostic payload (text/plain), if any.
void answer_error(coap_pdu_t* response, int code, std::string_view diagnostic);

// Answers `code` with `body` (Content-Format `content_format`), the whole body
// or the block the request's Block2 asks for, with ETag and Size2 when
// block-wise; 4.02 when the asked block is past the end.
// `etag`: the body's coap_blocks::etag_of, when the caller keeps it (a long
// body fetched block by block is not hashed again for every block).
void answer_body(coap_pdu_t* response, const coap_pdu_t* request, int code, std::string_view body,
                 std::optional<unsigned> content_format, std::string_view etag = {});

}  // namespace tte::coaps

#endif  // TTE_PLATFORM_COAP_PDU_HPP
