#include "tte/query.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tte/fixed_string.hpp"

namespace tte {
namespace {

std::vector<std::string> parameters(std::string_view query, QueryStyle style) {
  std::vector<std::string> out;
  QueryReader reader(query, style);
  QueryParameter p;
  while (reader.next(p)) {
    out.push_back(std::string(p.name) + (p.has_value ? "=" : "") + std::string(p.value));
  }
  return out;
}

TEST(Query, SeparatorsByStyle) {
  EXPECT_EQ(parameters("a=1&b=2;c=3,d=4", QueryStyle::url),
            (std::vector<std::string>{"a=1", "b=2", "c=3", "d=4"}));
  EXPECT_EQ(parameters("a=1&b=2;c=3,d=4", QueryStyle::form),
            (std::vector<std::string>{"a=1", "b=2;c=3,d=4"}));
  EXPECT_EQ(parameters("&&a&=x&b=", QueryStyle::url), (std::vector<std::string>{"a", "=x", "b="}));
  EXPECT_TRUE(parameters("", QueryStyle::url).empty());
}

TEST(Query, PercentDecoding) {
  char buffer[16];
  EXPECT_EQ(*percent_decode("a%20b+c", buffer, QueryStyle::url, "f"), "a b+c");
  EXPECT_EQ(*percent_decode("a%20b+c", buffer, QueryStyle::form, "f"), "a b c");
  EXPECT_EQ(*percent_decode("%3a%3A", buffer, QueryStyle::url, "f"), "::");
  EXPECT_EQ(percent_decode("%", buffer, QueryStyle::url, "f").error().code, Errc::syntax);
  EXPECT_EQ(percent_decode("%4", buffer, QueryStyle::url, "f").error().code, Errc::syntax);
  EXPECT_EQ(percent_decode("%g0", buffer, QueryStyle::url, "f").error().code, Errc::syntax);
  EXPECT_EQ(percent_decode(std::string(17, 'a'), buffer, QueryStyle::url, "f").error().code,
            Errc::too_long);
  EXPECT_EQ(*percent_decode(std::string(16, 'a'), buffer, QueryStyle::url, "f"),
            std::string(16, 'a'));
}

TEST(Query, PercentEncodingRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c)
    all += static_cast<char>(c);
  std::string encoded;
  ASSERT_TRUE(append_percent_encoded(encoded, all));
  std::string decoded(all.size(), '\0');
  EXPECT_EQ(*percent_decode(encoded, decoded, QueryStyle::form, "f"), all);
  FixedString<4> small;
  EXPECT_TRUE(append_percent_encoded(small, "ab"));
  EXPECT_FALSE(append_percent_encoded(small, "/"));
}

TEST(Query, PathSegmentsKeepColonsAndAts) {
  std::string segment;
  ASSERT_TRUE(
      append_percent_encoded(segment, "urn:dev:ops:32473-a b/c@d?", PercentSet::path_segment));
  EXPECT_EQ(segment, "urn:dev:ops:32473-a%20b%2Fc@d%3F");
  std::string value;
  ASSERT_TRUE(append_percent_encoded(value, "a:b@c"));
  EXPECT_EQ(value, "a%3Ab%40c");
}

TEST(Query, SplitsHttpsUrls) {
  auto parts = split_https_url("HTTPS://Tte-00000A.net:443/p/q?x=1");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->host, "Tte-00000A.net");
  EXPECT_EQ(parts->path, "/p/q");
  EXPECT_EQ(parts->query, "x=1");
  EXPECT_EQ(split_https_url("https://h")->path, "/");
  EXPECT_EQ(split_https_url("https://h?x")->query, "x");
  EXPECT_EQ(split_https_url("https://h:80/").error().code, Errc::unsupported);
  EXPECT_EQ(split_https_url("https:///x").error().code, Errc::syntax);
  EXPECT_EQ(split_https_url("https://h_x/").error().code, Errc::syntax);
}

}  // namespace
}  // namespace tte
