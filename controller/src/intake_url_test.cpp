#include "intake_url.hpp"

#include <gtest/gtest.h>

namespace tte::controller {
namespace {

TEST(DefaultIntakeUrl, ASpecificListenerIsReachedAtItsAddress) {
  EXPECT_EQ(default_intake_url("192.0.2.2", 8080, false, "198.51.100.7:5684", "203.0.113.1"),
            "http://192.0.2.2:8080");
  EXPECT_EQ(default_intake_url("127.0.0.1", 18080, false, "", "203.0.113.1"),
            "http://127.0.0.1:18080");
  EXPECT_EQ(default_intake_url("[2001:db8::2]", 8443, true, "", "203.0.113.1"),
            "https://[2001:db8::2]:8443");
}

// A container's listener is 0.0.0.0; `info` run beside it (in the installer's
// container) must not name its own address but the Controller's public one.
TEST(DefaultIntakeUrl, AWildcardListenerIsReachedWhereDevicesReachTheController) {
  EXPECT_EQ(default_intake_url("0.0.0.0", 18080, false, "172.28.0.11:15685", "172.28.0.5"),
            "http://172.28.0.11:18080");
  EXPECT_EQ(default_intake_url("::", 8443, true, "[2001:db8::11]:5684", "172.28.0.5"),
            "https://[2001:db8::11]:8443");
}

TEST(DefaultIntakeUrl, WithoutAPublicAddressTheFallbackHostIsUsed) {
  EXPECT_EQ(default_intake_url("0.0.0.0", 8080, false, "", "192.0.2.9"), "http://192.0.2.9:8080");
  EXPECT_EQ(default_intake_url("::", 8080, false, "", "2001:db8::9"), "http://[2001:db8::9]:8080");
  // A public address that is itself a wildcard says nothing.
  EXPECT_EQ(default_intake_url("0.0.0.0", 8080, false, "0.0.0.0:5684", "192.0.2.9"),
            "http://192.0.2.9:8080");
}

}  // namespace
}  // namespace tte::controller
