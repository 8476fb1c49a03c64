// IP and Controller addresses: the canonical text re-parses to the same address.
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "tte/ip_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ip = tte::IpAddress::parse(text);
  if (ip.ok()) {
    auto again = tte::IpAddress::parse(ip->to_string().view());
    FUZZ_CHECK(again.ok() && *again == *ip);
  }
  auto address = tte::ControllerAddress::parse(text);
  if (address.ok()) {
    FUZZ_CHECK(address->port != 0);
    auto again = tte::ControllerAddress::parse(address->to_string().view());
    FUZZ_CHECK(again.ok() && *again == *address);
  }
  return 0;
}
