// Manual codes: what decodes re-encodes to a code that decodes to the same device.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tte/manual_code.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto device = tte::manual_code::decode(text, tte::IdPolicy::allow_example);
  if (!device.ok()) return 0;
  auto code = tte::manual_code::encode(*device);
  FUZZ_CHECK(code.size() == tte::manual_code::kLength);
  auto again = tte::manual_code::decode(code.view(), tte::IdPolicy::allow_example);
  FUZZ_CHECK(again.ok() && *again == *device);
  return 0;
}
