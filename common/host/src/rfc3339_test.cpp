#include "tte/host/rfc3339.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte {
namespace {

TEST(Rfc3339, Vectors) {
  for (const auto& c : testing::load_vectors("messages.json")["rfc3339"]) {
    SCOPED_TRACE(c.dump());
    auto seconds = parse_rfc3339(c["input"].get<std::string>());
    ASSERT_TRUE(testing::matches_case(seconds, c));
    if (!seconds.ok()) continue;
    EXPECT_EQ(*seconds, c["seconds"].get<std::int64_t>());
    EXPECT_EQ(format_rfc3339(*seconds), c["canonical"].get<std::string>());
  }
}

TEST(Rfc3339, RoundTripsAcrossCenturiesAndLeapDays) {
  for (std::int64_t t = -2208988800; t < 7258118400; t += 86399 * 37) {
    EXPECT_EQ(*parse_rfc3339(format_rfc3339(t)), t) << format_rfc3339(t);
  }
  EXPECT_EQ(format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z").ok());
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z").ok());
}

}  // namespace
}  // namespace tte
