// The batch intake's body (docs/protocol.md §10.2): {"notices":[<message 6>,...]},
// 1 to 10,000 notices, each judged on its own. Pure: no I/O.
#ifndef TTE_CONTROLLER_NOTICE_BATCH_HPP
#define TTE_CONTROLLER_NOTICE_BATCH_HPP

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "tte/host/messages.hpp"

namespace tte::controller {

inline constexpr std::size_t kMaxNoticeBatch = 10000;

struct NoticeBatch {
  std::size_t size = 0;                         // the notices the batch holds, good or bad
  std::vector<DeviceNotice> notices;            // the well-formed ones, in order
  std::vector<std::size_t> index_of;            // notices[i] is the batch's notice index_of[i]
  std::vector<std::optional<Error>> malformed;  // per batch index: why it is malformed
};

// Errors (of the whole batch): syntax (not JSON, or not {"notices":[...]}),
// out_of_range (no notice, or more than kMaxNoticeBatch).
Result<NoticeBatch> parse_notice_batch(std::string_view body);

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_NOTICE_BATCH_HPP
