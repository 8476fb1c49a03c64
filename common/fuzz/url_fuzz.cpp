// Enrollment and box URLs: whatever parses has a canonical form that parses
// back to the same value, under both ID policies.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tte/enrollment_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto policy : {tte::IdPolicy::operational, tte::IdPolicy::allow_example}) {
    auto url = tte::EnrollmentUrl::parse(text, policy);
    if (url.ok()) {
      auto canonical = url->to_string();
      FUZZ_CHECK(canonical.size() == tte::EnrollmentUrl::kLength);
      auto again = tte::EnrollmentUrl::parse(canonical.view(), policy);
      FUZZ_CHECK(again.ok() && *again == *url);
      FUZZ_CHECK(policy == tte::IdPolicy::allow_example || !url->ms_id().is_example());
    }
    auto box = tte::BoxUrl::parse(text, policy);
    if (box.ok()) {
      auto again = tte::BoxUrl::parse(box->to_string().view(), policy);
      FUZZ_CHECK(again.ok() && again->to_string() == box->to_string());
      FUZZ_CHECK(box->count() >= 1 && box->count() <= tte::BoxUrl::kMaxCount);
    }
  }
  (void)tte::parse_device_credentials(text);
  if (auto box = tte::parse_box_credentials(text); box.ok()) {
    FUZZ_CHECK(box->count >= 1 && box->count <= tte::BoxUrl::kMaxCount);
    FUZZ_CHECK(box->count - 1 <= 0xffffffffu - box->first.value());
  }
  return 0;
}
