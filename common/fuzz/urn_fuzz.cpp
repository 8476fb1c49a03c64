// Dev URNs: what parses is stored with a lower-case "urn:dev:" prefix, re-parses
// to itself, and only holds characters of RFC 9039's ABNF.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tte/dev_urn.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto urn = tte::DevUrn::parse(text);
  if (!urn.ok()) return 0;
  FUZZ_CHECK(urn->view().substr(0, 8) == "urn:dev:");
  FUZZ_CHECK(urn->view().size() == text.size());
  for (char c : urn->view()) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == ':' || c == '_';
    FUZZ_CHECK(allowed);
  }
  auto again = tte::DevUrn::parse(urn->view());
  FUZZ_CHECK(again.ok() && *again == *urn && again->kind() == urn->kind());
  (void)urn->suggested_dev_id();
  return 0;
}
