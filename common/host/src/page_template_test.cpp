#include "tte/host/page_template.hpp"

#include <gtest/gtest.h>

namespace tte {
namespace {

Errc error_of(std::string_view page, const PageValues& values) {
  auto rendered = render_page(page, values);
  EXPECT_FALSE(rendered.ok()) << rendered.value();
  return rendered.ok() ? Errc::internal : rendered.error().code;
}

TEST(HtmlEscape, EscapesEverySpecialCharacterAndNothingElse) {
  EXPECT_EQ(html_escape("&"), "&amp;");
  EXPECT_EQ(html_escape("<"), "&lt;");
  EXPECT_EQ(html_escape(">"), "&gt;");
  EXPECT_EQ(html_escape("\""), "&quot;");
  EXPECT_EQ(html_escape("'"), "&#39;");
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("BLD30/2/361 - Thermostat {{x}} \xc3\xa9"),
            "BLD30/2/361 - Thermostat {{x}} \xc3\xa9");
  EXPECT_EQ(html_escape(""), "");
}

TEST(PageTemplate, FillsTextPlaceholdersEscaped) {
  auto page =
      render_page("<p title=\"{{title}}\">{{who}} &amp; {{title}}</p>",
                  PageValues().text("who", "<script>alert('x')</script>").text("title", "\"A&B\""));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page.value(),
            "<p title=\"&quot;A&amp;B&quot;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
            "&amp; &quot;A&amp;B&quot;</p>");
}

TEST(PageTemplate, InsertsFragmentsAsTheyAre) {
  auto row = render_page("<tr><td>{{urn}}</td></tr>", PageValues().text("urn", "urn:dev:<x>"));
  ASSERT_TRUE(row.ok());
  auto page = render_page("<style>{{{style}}}</style><table>{{{rows}}}</table>",
                          PageValues().html("style", "p > a { color: red }").html("rows", *row));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(
      page.value(),
      "<style>p > a { color: red }</style><table><tr><td>urn:dev:&lt;x&gt;</td></tr></table>");
}

TEST(PageTemplate, LeavesTextWithoutPlaceholdersAlone) {
  const std::string css = "@media (max-width: 30rem) { dl { gap: 0 } } a { b: c }}";
  EXPECT_EQ(render_page(css, PageValues()).value(), css);
  EXPECT_EQ(render_page("", PageValues()).value(), "");
  EXPECT_EQ(render_page("{ {x} }", PageValues()).value(), "{ {x} }");
  // A brace after a placeholder is text.
  EXPECT_EQ(render_page("{{a}}}", PageValues().text("a", "1")).value(), "1}");
}

TEST(PageTemplate, ValuesMayBeEmptyAndNamesRepeated) {
  auto page = render_page("{{a}}|{{a}}|{{{b}}}|{{{b}}}|{{a}}",
                          PageValues().text("a", "").html("b", "<br>"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value(), "||<br>|<br>|");
}

TEST(PageTemplate, ValuesAreNotTemplates) {
  // A value that looks like a placeholder is shown, not filled in.
  auto page = render_page("{{a}} {{{b}}}", PageValues().text("a", "{{b}}").html("b", "{{a}}"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value(), "{{b}} {{a}}");
}

TEST(PageTemplate, RefusesAPlaceholderWithoutAValue) {
  EXPECT_EQ(error_of("<p>{{who}}</p>", PageValues()), Errc::missing);
  EXPECT_EQ(error_of("{{who}} {{whom}}", PageValues().text("who", "x")), Errc::missing);
  EXPECT_EQ(error_of("{{{rows}}}", PageValues().text("row", "x")), Errc::missing);
  EXPECT_EQ(error_of("{{Who}}", PageValues().text("who", "x")), Errc::missing);  // case matters
}

TEST(PageTemplate, RefusesAValueTheTemplateDoesNotUse) {
  EXPECT_EQ(error_of("<p>hello</p>", PageValues().text("who", "x")), Errc::unsupported);
  EXPECT_EQ(error_of("{{a}}", PageValues().text("a", "x").html("b", "<br>")), Errc::unsupported);
}

TEST(PageTemplate, RefusesAValueGivenTwice) {
  EXPECT_EQ(error_of("{{a}}", PageValues().text("a", "x").text("a", "y")), Errc::duplicate);
  EXPECT_EQ(error_of("{{a}}", PageValues().text("a", "x").html("a", "y")), Errc::duplicate);
}

TEST(PageTemplate, RefusesTextAsAFragmentAndAFragmentAsText) {
  // Text in a {{{fragment}}} would not be escaped: never.
  EXPECT_EQ(error_of("{{{a}}}", PageValues().text("a", "<b>")), Errc::unsupported);
  EXPECT_EQ(error_of("{{a}}", PageValues().html("a", "<b>")), Errc::unsupported);
}

TEST(PageTemplate, RefusesUnterminatedAndMalformedPlaceholders) {
  const PageValues a = PageValues().text("a", "x");
  for (const char* page : {"{{a", "{{a}", "<p>{{a</p>", "{{", "x{{", "{{a} }", "{{a}}{{a"}) {
    EXPECT_EQ(error_of(page, a), Errc::syntax) << page;
  }
  const PageValues b = PageValues().html("b", "x");
  for (const char* page : {"{{{b", "{{{b}}", "{{{b}} }", "{{{b}}}{{{"}) {
    EXPECT_EQ(error_of(page, b), Errc::syntax) << page;
  }
  for (const char* page : {"{{}}", "{{{}}}", "{{ a }}", "{{a-b}}", "{{a.b}}", "{{{{a}}}}",
                           "{{a\n}}", "{{<p>}}", "{{x {{a}}"}) {
    EXPECT_EQ(error_of(page, PageValues()), Errc::syntax) << page;
  }
}

}  // namespace
}  // namespace tte
