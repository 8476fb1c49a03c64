#include "tte/platform/listen_address.hpp"

#include <gtest/gtest.h>

#include "tte/platform/command_line.hpp"

namespace tte {
namespace {

TEST(ListenAddress, ParsesAndPrintsBothFamilies) {
  ListenAddress v4 = ListenAddress::parse("0.0.0.0:443", "https");
  EXPECT_EQ(v4.address, "0.0.0.0");
  EXPECT_EQ(v4.port, 443);
  EXPECT_EQ(v4.to_string(), "0.0.0.0:443");
  ListenAddress v6 = ListenAddress::parse("[::1]:0", "coaps");
  EXPECT_EQ(v6.address, "::1");
  EXPECT_EQ(v6.to_string(), "[::1]:0");
  EXPECT_THROW(ListenAddress::parse("localhost:80", "http"), UsageError);
  EXPECT_THROW(ListenAddress::parse("127.0.0.1:65536", "http"), UsageError);
  EXPECT_THROW(ListenAddress::parse("127.0.0.1", "http"), UsageError);
}

TEST(ListenAddress, AListenerOnEveryAddressIsReachedElsewhere) {
  ListenAddress any4{"0.0.0.0", 8080}, any6{"::", 5684}, one{"192.0.2.7", 5684};
  EXPECT_TRUE(any4.on_every_address());
  EXPECT_TRUE(any6.on_every_address());
  EXPECT_FALSE(one.on_every_address());
  EXPECT_EQ(any4.on_this_machine().to_string(), "127.0.0.1:8080");
  EXPECT_EQ(any6.on_this_machine().to_string(), "[::1]:5684");
  EXPECT_EQ(one.on_this_machine().to_string(), "192.0.2.7:5684");
  EXPECT_EQ(any4.reached_at("2001:db8::7").to_string(), "[2001:db8::7]:8080");
  EXPECT_EQ(one.reached_at("198.51.100.1").to_string(), "192.0.2.7:5684");
}

}  // namespace
}  // namespace tte
