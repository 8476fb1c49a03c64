#include "tte/platform/listen_address.hpp"

#include <gtest/gtest.h>

#include "tte/platform/command_line.hpp"

namespace tte {
namespace {

TEST(ListenAddress, ReadsAnAddressAndAPort) {
  ListenAddress any = ListenAddress::parse("0.0.0.0:443", "https");
  EXPECT_EQ(any.address, "0.0.0.0");
  EXPECT_EQ(any.port, 443);
  ListenAddress v6 = ListenAddress::parse("[::]:5684", "coaps");
  EXPECT_EQ(v6.address, "::");
  EXPECT_EQ(v6.port, 5684);
  EXPECT_EQ(v6.to_string(), "[::]:5684");
  EXPECT_EQ(ListenAddress::parse("127.0.0.1:0", "https").port, 0);  // any free port
  EXPECT_EQ(ListenAddress::parse("127.0.0.1:65535", "https").port, 65535);
}

// Every malformed value is a usage error naming the option, never an
// exception from a number conversion ("stoul") or a port that wrapped.
TEST(ListenAddress, RefusesWhatIsNotOneNamingTheOption) {
  for (const char* bad : {"127.0.0.1:99999999999999999999", "127.0.0.1:65536", "127.0.0.1:100000",
                          "127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1: 1", "127.0.0.1:https",
                          "127.0.0.1:", "127.0.0.1", "host:443", "[::1]5684", "[::1:5684", ""}) {
    try {
      ListenAddress::parse(bad, "https");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string("--https ") + bad + ": ", 0), 0u)
          << e.what();
    }
  }
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
