#include "tte/platform/coap_pdu.hpp"

namespace tte::coaps {

std::optional<unsigned> uint_option(const coap_pdu_t* pdu, coap_option_num_t number) {
  coap_opt_iterator_t iterator;
  coap_opt_t* option = coap_check_option(pdu, number, &iterator);
  if (!option) return std::nullopt;
  return coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
}

std::vector<std::string> query_options(const coap_pdu_t* pdu) {
  std::vector<std::string> options;
  coap_opt_iterator_t iterator;
  coap_opt_filter_t filter;
  coap_option_filter_clear(&filter);
  coap_option_filter_set(&filter, COAP_OPTION_URI_QUERY);
  coap_option_iterator_init(pdu, &iterator, &filter);
  while (coap_opt_t* option = coap_option_next(&iterator)) {
    options.emplace_back(reinterpret_cast<const char*>(coap_opt_value(option)),
                         coap_opt_length(option));
  }
  return options;
}

std::string payload_of(const coap_pdu_t* pdu) {
  size_t length = 0;
  const uint8_t* data = nullptr;
  if (!coap_get_data(pdu, &length, &data) || data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), length);
}

std::string uri_path_of(const coap_pdu_t* pdu) {
  coap_string_t* path = coap_get_uri_path(pdu);
  if (!path) return {};
  std::string text(reinterpret_cast<const char*>(path->s), path->length);
  coap_delete_string(path);
  return text;
}

BlockOption block_option(const coap_pdu_t* pdu, coap_option_num_t number) {
  BlockOption result;
  coap_opt_iterator_t iterator;
  coap_opt_t* option = coap_check_option(pdu, number, &iterator);
  if (!option) return result;
  if (coap_opt_length(option) > 3) {
    result.valid = false;
    return result;
  }
  result.block = coap_blocks::decode_block(
      coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option)));
  result.valid = result.block.has_value();
  return result;
}

void answer_error(coap_pdu_t* response, int code, std::string_view diagnostic) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
  if (diagnostic.empty()) return;
  add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, COAP_MEDIATYPE_TEXT_PLAIN);
  coap_add_data(response, diagnostic.size(), reinterpret_cast<const uint8_t*>(diagnostic.data()));
}

void answer_body(coap_pdu_t* response, const coap_pdu_t* request, int code, std::string_view body,
                 std::optional<unsigned> content_format, std::string_view etag) {
  const BlockOption asked = block_option(request, COAP_OPTION_BLOCK2);
  if (!asked.valid) return answer_error(response, COAP_RESPONSE_CODE(400), "malformed Block2");
  auto part = coap_blocks::body_part(body, asked.block);
  if (!part) return answer_error(response, COAP_RESPONSE_CODE(402), "Block2 past the end");
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
  // Options in number order: ETag 4, Content-Format 12, Block2 23, Size2 28.
  if (part->block) {
    const std::string tag = etag.empty() ? coap_blocks::etag_of(body) : std::string(etag);
    coap_add_option(response, COAP_OPTION_ETAG, tag.size(),
                    reinterpret_cast<const uint8_t*>(tag.data()));
  }
  if (content_format) add_uint_option(response, COAP_OPTION_CONTENT_FORMAT, *content_format);
  if (part->block) {
    add_uint_option(response, COAP_OPTION_BLOCK2, coap_blocks::encode_block(*part->block));
    add_uint_option(response, COAP_OPTION_SIZE2, static_cast<unsigned>(part->total));
  }
  if (!part->data.empty()) {
    coap_add_data(response, part->data.size(), reinterpret_cast<const uint8_t*>(part->data.data()));
  }
}

}  // namespace tte::coaps
