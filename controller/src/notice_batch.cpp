#include "notice_batch.hpp"

#include <nlohmann/json.hpp>

#include "tte/host/json_fields.hpp"

namespace tte::controller {

// Message 6 in bulk (docs/protocol.md §10.2).
Result<NoticeBatch> parse_notice_batch(std::string_view body) {
  auto json = tte::json::parse_untrusted(body);
  if (json.is_discarded() || !json.is_object()) {
    return make_error(Errc::syntax, "send {\"notices\":[<notice>,...]}", "notices");
  }
  auto list = json.find("notices");
  if (list == json.end() || !list->is_array()) {
    return make_error(Errc::syntax, "send {\"notices\":[<notice>,...]}", "notices");
  }
  if (list->empty() || list->size() > kMaxNoticeBatch) {
    return make_error(Errc::out_of_range, "a batch holds 1 to 10000 notices", "notices");
  }
  NoticeBatch batch;
  batch.size = list->size();
  batch.notices.reserve(batch.size);
  batch.index_of.reserve(batch.size);
  batch.malformed.resize(batch.size);
  for (std::size_t i = 0; i < batch.size; ++i) {
    // dump() of parsed JSON cannot fail: the text was valid UTF-8 to parse.
    auto notice = DeviceNotice::from_json((*list)[i].dump(), IdPolicy::allow_example);
    if (notice.ok()) {
      batch.notices.push_back(std::move(notice).value());
      batch.index_of.push_back(i);
    } else {
      batch.malformed[i] = notice.error();
    }
  }
  return batch;
}

}  // namespace tte::controller
