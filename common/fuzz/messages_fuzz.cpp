// JSON messages and claim requests: decoders never throw, and what decodes
// round-trips through its encoder.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tte/host/messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto state = tte::StateObject::from_json(text); state.ok()) {
    auto again = tte::StateObject::from_json(state->to_json());
    FUZZ_CHECK(again.ok() && again->to_json() == state->to_json());
  }
  if (auto notice = tte::DeviceNotice::from_json(text, tte::IdPolicy::allow_example); notice.ok()) {
    auto again = tte::DeviceNotice::from_json(notice->to_json(), tte::IdPolicy::allow_example);
    FUZZ_CHECK(again.ok() && again->to_json() == notice->to_json());
  }
  if (auto answer = tte::enrollment_answer_from_json(text); answer.ok()) {
    auto again = tte::enrollment_answer_from_json(tte::enrollment_answer_to_json(*answer));
    FUZZ_CHECK(again.ok() && *again == *answer);
  }
  if (auto problem = tte::Problem::from_json(text); problem.ok()) {
    auto again = tte::Problem::from_json(problem->to_json());
    FUZZ_CHECK(again.ok() && again->devices.size() == problem->devices.size());
  }
  if (auto answer = tte::BoxClaimAnswer::from_json(text); answer.ok()) {
    FUZZ_CHECK(answer->devices.size() == answer->count);
    auto again = tte::BoxClaimAnswer::from_json(answer->to_json());
    FUZZ_CHECK(again.ok() && again->to_json() == answer->to_json());
  }
  // The first line is the query, the rest the form body.
  std::size_t newline = text.find('\n');
  std::string_view query = text.substr(0, newline);
  std::string_view body =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  if (auto claim = tte::ClaimRequest::parse(query, body); claim.ok()) {
    auto again = tte::ClaimRequest::parse(claim->to_query(), "");
    FUZZ_CHECK(again.ok() && again->to_query() == claim->to_query());
  }
  if (auto box = tte::BoxClaimRequest::parse(query, body); box.ok()) {
    auto again = tte::BoxClaimRequest::parse(box->to_query(), "");
    FUZZ_CHECK(again.ok() && again->to_query() == box->to_query());
  }
  return 0;
}
