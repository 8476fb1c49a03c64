#include "link_format.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte::controller {
namespace {

TEST(LinkFormat, ReadsWhatDevicesRegister) {
  auto links =
      parse_link_format(R"(</light>;rt="tte.light";if=core.a;obs,</temp>;rt=tte.temp;ct=0)");
  ASSERT_TRUE(links.ok()) << testing::describe(links);
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].target, "/light");
  EXPECT_EQ((*links)[0].attribute("rt"), "tte.light");
  EXPECT_EQ((*links)[0].attribute("if"), "core.a");
  EXPECT_TRUE((*links)[0].observable());
  EXPECT_FALSE((*links)[1].observable());
  EXPECT_EQ((*links)[1].attribute("ct"), "0");
  EXPECT_FALSE((*links)[1].attribute("sz"));
}

TEST(LinkFormat, QuotedValuesMayHoldSeparatorsAndEscapes) {
  auto links = parse_link_format(R"(</a>;title="x, y; \"z\"";rt="one two")");
  ASSERT_TRUE(links.ok()) << testing::describe(links);
  EXPECT_EQ((*links)[0].attribute("title"), "x, y; \"z\"");
  EXPECT_EQ(format_link_format(links.value()), R"(</a>;title="x, y; \"z\"";rt="one two")");
}

TEST(LinkFormat, FormatsCanonically) {
  auto links = parse_link_format(R"(</light>;rt="tte.light";obs)");
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(format_link_format(links.value()), "</light>;rt=tte.light;obs");
  auto again = parse_link_format(format_link_format(links.value()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(format_link_format(again.value()), format_link_format(links.value()));
}

TEST(LinkFormat, RefusesMalformedPayloads) {
  for (const char* text : {"/light", "<>", "</light", "</light>;", "</light>;rt=", "</a>,",
                           "</a>;t=\"open", "</a> ,</b>", "</a>;x=\"\x01\"", "</a>;=1"}) {
    auto links = parse_link_format(text);
    EXPECT_FALSE(links.ok()) << text;
    if (!links.ok()) {
      EXPECT_EQ(links.error().code, Errc::syntax) << text;
    }
  }
  EXPECT_EQ(parse_link_format("").error().code, Errc::missing);
  std::string many;
  for (int i = 0; i < 65; ++i)
    many += (i ? "," : "") + std::string("</r") + std::to_string(i) + ">";
  EXPECT_EQ(parse_link_format(many).error().code, Errc::too_long);
  EXPECT_EQ(parse_link_format("</" + std::string(5000, 'a') + ">").error().code, Errc::too_long);
}

}  // namespace
}  // namespace tte::controller
