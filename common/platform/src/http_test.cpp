#include "tte/platform/http.hpp"

#include <gtest/gtest.h>

#include "tte/host/page_template.hpp"

namespace tte::http {
namespace {

Request with_accept(const char* accept) {
  Request request;
  request.method = "GET";
  request.target = "/a/b?x=1&y=2";
  if (accept) request.headers.emplace_back("accept", accept);
  return request;
}

TEST(Http, PathAndQuery) {
  Request request = with_accept(nullptr);
  EXPECT_EQ(request.path(), "/a/b");
  EXPECT_EQ(request.query(), "x=1&y=2");
  request.target = "/only";
  EXPECT_EQ(request.query(), "");
}

TEST(Http, BrowsersGetHtmlAndClientsJson) {
  // Chromium's and Firefox's navigation Accept headers.
  EXPECT_TRUE(prefers_html(with_accept(
      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8")));
  EXPECT_TRUE(
      prefers_html(with_accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")));
  EXPECT_FALSE(prefers_html(with_accept("*/*")));  // curl
  EXPECT_FALSE(prefers_html(with_accept(nullptr)));
  EXPECT_FALSE(prefers_html(with_accept("application/json")));
  EXPECT_FALSE(prefers_html(with_accept("application/json, text/html;q=0.5")));
  EXPECT_TRUE(prefers_html(with_accept("application/json;q=0.4, text/*")));
  EXPECT_FALSE(prefers_html(with_accept("text/html;q=0, */*")));
}

TEST(Http, HeadersAreCaseInsensitive) {
  Response response;
  response.set_header("Content-Type", "a");
  response.set_header("content-type", "b");
  EXPECT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.header("CONTENT-TYPE"), "b");
  EXPECT_EQ(with_accept("x").header("Accept"), "x");
}

// Every status the servers send has its reason phrase (a 431 went out as "Unknown").
TEST(Http, EveryStatusSentHasItsReasonPhrase) {
  for (int status : {200, 201, 204, 303, 400, 401, 403, 404, 405, 409, 410, 413, 415, 429, 431, 500,
                     502, 503, 504})
    EXPECT_STRNE(reason_phrase(status), "Unknown") << status;
  EXPECT_STREQ(reason_phrase(431), "Request Header Fields Too Large");
}

TEST(Http, EscapesHtml) {
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace tte::http
