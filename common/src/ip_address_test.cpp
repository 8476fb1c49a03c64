#include "tte/ip_address.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

TEST(IpAddress, Vectors) {
  for (const auto& c : testing::load_vectors("identifiers.json")["ip_address"]) {
    SCOPED_TRACE(c.dump());
    auto ip = IpAddress::parse(c["input"].get<std::string>());
    ASSERT_TRUE(testing::matches_case(ip, c));
    if (!ip.ok()) continue;
    EXPECT_EQ(ip->to_string(), c["canonical"].get<std::string>());
    EXPECT_EQ(ip->family() == IpAddress::Family::v4 ? 4 : 6, c["family"].get<int>());
    EXPECT_EQ(testing::to_hex(ip->bytes().data(), ip->bytes().size()),
              c["bytes"].get<std::string>());
    // The canonical form parses back to the same address.
    EXPECT_EQ(*IpAddress::parse(ip->to_string().view()), *ip);
  }
}

TEST(IpAddress, RoundTripsEveryZeroRunPlacement) {
  // Each of the 256 patterns of zero and non-zero groups prints canonically and parses back.
  for (unsigned mask = 0; mask < 256; ++mask) {
    std::array<std::uint8_t, 16> bytes{};
    for (unsigned g = 0; g < 8; ++g) {
      if (mask & (1u << g)) bytes[2 * g + 1] = static_cast<std::uint8_t>(g + 1);
    }
    IpAddress ip = IpAddress::v6(bytes);
    auto text = ip.to_string();
    auto back = IpAddress::parse(text.view());
    ASSERT_TRUE(back.ok()) << text.view();
    EXPECT_EQ(*back, ip) << text.view();
    // RFC 5952 4.2.2: "::" never stands for a single zero group.
    auto view = text.view();
    std::size_t gap = view.find("::");
    if (gap != std::string_view::npos) {
      std::size_t groups = 1;
      for (char ch : view)
        groups += ch == ':';
      EXPECT_LE(groups, 8u) << view;
    }
  }
}

TEST(IpAddress, FromBytes) {
  std::uint8_t four[4] = {192, 0, 2, 7};
  EXPECT_EQ(IpAddress::from_bytes(four)->to_string(), "192.0.2.7");
  std::uint8_t five[5] = {};
  EXPECT_EQ(IpAddress::from_bytes(five).error().code, Errc::syntax);
}

TEST(ControllerAddress, Vectors) {
  for (const auto& c : testing::load_vectors("identifiers.json")["controller_address"]) {
    SCOPED_TRACE(c.dump());
    auto address = ControllerAddress::parse(c["input"].get<std::string>());
    ASSERT_TRUE(testing::matches_case(address, c));
    if (!address.ok()) continue;
    EXPECT_EQ(address->to_string(), c["canonical"].get<std::string>());
    EXPECT_EQ(address->ip.to_string(), c["ip"].get<std::string>());
    EXPECT_EQ(address->port, c["port"].get<int>());
  }
}

TEST(Port, Boundaries) {
  EXPECT_EQ(*parse_port("1", "p"), 1);
  EXPECT_EQ(*parse_port("65535", "p"), 65535);
  EXPECT_EQ(*parse_port("05684", "p"), 5684);
  EXPECT_EQ(parse_port("0", "p").error().code, Errc::out_of_range);
  EXPECT_EQ(parse_port("65536", "p").error().code, Errc::out_of_range);
  EXPECT_EQ(parse_port("", "p").error().code, Errc::missing);
  EXPECT_EQ(parse_port("+1", "p").error().code, Errc::syntax);
}

}  // namespace
}  // namespace tte
