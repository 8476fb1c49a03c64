// Manual codes, a Device's and a box's: what decodes re-encodes to a code that
// decodes to the same device or box.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tte/manual_code.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto box = tte::manual_code::decode_box(text, tte::IdPolicy::allow_example);
  if (box.ok()) {
    auto code = tte::manual_code::encode_box(*box);
    FUZZ_CHECK(code.size() == tte::manual_code::kBoxLength);
    auto again = tte::manual_code::decode_box(code.view(), tte::IdPolicy::allow_example);
    FUZZ_CHECK(again.ok() && again->to_string() == box->to_string());
    FUZZ_CHECK(tte::manual_code::looks_like_box_code(text));
  }
  auto device = tte::manual_code::decode(text, tte::IdPolicy::allow_example);
  if (!device.ok()) return 0;
  FUZZ_CHECK(!box.ok());
  auto code = tte::manual_code::encode(*device);
  FUZZ_CHECK(code.size() == tte::manual_code::kLength);
  auto again = tte::manual_code::decode(code.view(), tte::IdPolicy::allow_example);
  FUZZ_CHECK(again.ok() && *again == *device);
  return 0;
}
