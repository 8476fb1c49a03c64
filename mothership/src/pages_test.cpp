#include "pages.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte::mothership::pages {
namespace {

bool contains(const std::string& page, const std::string& part) {
  return page.find(part) != std::string::npos;
}

// The page without its head (whose stylesheet names classes and attributes too).
std::string body_of(const std::string& page) {
  return page.substr(page.find("<body>"));
}

// Every page renders from its template (web/*.html), around the page template
// with the stylesheet inlined.
void expect_a_whole_page(const std::string& page, const std::string& title) {
  EXPECT_EQ(page.rfind("<!doctype html>\n", 0), 0u) << page;
  EXPECT_FALSE(contains(page, "cannot be shown")) << page;
  EXPECT_FALSE(contains(page, "{{")) << page;
  EXPECT_TRUE(contains(page, "<title>" + title + " - tte-00000A.net</title>")) << page;
  EXPECT_TRUE(contains(page, "<p class=\"host\">tte-00000A.net</p>")) << page;
  EXPECT_TRUE(contains(page, "--accent: #0b63c5")) << page;  // the stylesheet
  EXPECT_TRUE(contains(page, "</main></body></html>\n")) << page;
}

StateObject device() {
  auto json = testing::load_vectors("messages.json")["state_object"][0]["json"];
  json["state"] = "mapped";
  json["mapped_at"] = "2026-11-28T05:28:40Z";
  return StateObject::from_json(json.dump()).value();
}

TEST(Pages, Home) {
  const std::string page = home("tte-00000A.net");
  expect_a_whole_page(page, "TTE MotherShip");
  EXPECT_TRUE(contains(page, "whose labels name tte-00000A.net."));
}

TEST(Pages, TheFormShowsTheValuesBackEscaped) {
  FormValues values;
  values.cip = "192.0.2.7\"><script>";
  values.description = "Hall & <b>stairs</b>";
  const std::string whole = form("tte-00000A.net", "00000001", values, "", "");
  expect_a_whole_page(whole, "Enroll device 00000001");
  const std::string page = body_of(whole);
  EXPECT_TRUE(contains(page, "value=\"192.0.2.7&quot;&gt;&lt;script&gt;\""));
  EXPECT_TRUE(contains(page, "value=\"Hall &amp; &lt;b&gt;stairs&lt;/b&gt;\""));
  EXPECT_TRUE(contains(page, "value=\"5684\""));
  EXPECT_TRUE(contains(page, "<button type=\"submit\">Map device 00000001</button>"));
  EXPECT_FALSE(contains(page, "role=\"alert\""));
  EXPECT_FALSE(contains(page, "aria-invalid"));
  EXPECT_FALSE(contains(page, "<script>"));
}

TEST(Pages, TheFormNamesAProblemAndMarksItsField) {
  const std::string whole =
      form("tte-00000A.net", "00000001", FormValues{}, "Please check cport: <too big>", "cport");
  expect_a_whole_page(whole, "Enroll device 00000001");
  const std::string page = body_of(whole);
  EXPECT_TRUE(contains(
      page, "<div class=\"box warn\" role=\"alert\">Please check cport: &lt;too big&gt;</div>"));
  EXPECT_TRUE(contains(page, "pattern=\"[0-9]{1,5}\" aria-invalid=\"true\" autofocus>"));
  EXPECT_EQ(page.find("aria-invalid"), page.rfind("aria-invalid"));  // that field only
}

TEST(Pages, MappedAndAlreadyUsedShowTheDevice) {
  for (const std::string& page :
       {mapped("tte-00000A.net", device()), already_used("tte-00000A.net", device())}) {
    EXPECT_TRUE(contains(page, "<dt>Dev ID</dt><dd>abcdef01</dd>")) << page;
    EXPECT_TRUE(contains(page, "<dt>URN</dt><dd>urn:dev:mac:0024beffabcdef01</dd>")) << page;
    EXPECT_TRUE(contains(page, "<dt>State</dt><dd>mapped</dd>")) << page;
    EXPECT_TRUE(contains(page, "<dt>Mapped</dt><dd>2026-11-28T05:28:40Z</dd>")) << page;
    EXPECT_TRUE(contains(page, "<dt>Fetched by device</dt><dd>-</dd>")) << page;
  }
  expect_a_whole_page(mapped("tte-00000A.net", device()), "Device mapped");
  const std::string used = already_used("tte-00000A.net", device());
  expect_a_whole_page(used, "Already enrolled");
  EXPECT_TRUE(contains(used, "already been used"));
  EXPECT_TRUE(contains(used, "may belong to someone else"));
}

TEST(Pages, TheBoxPagesShowTheRangeAndTheDevices) {
  const std::string form =
      box_form("tte-00000A.net", DevId(0x1000), 24, FormValues{}, "the port is <wrong>", "cport");
  expect_a_whole_page(form, "Enroll a box of 24 devices");
  EXPECT_TRUE(contains(form, "Dev IDs 00001000 to 00001017")) << form;
  EXPECT_TRUE(contains(form, "Map the 24 devices")) << form;
  EXPECT_TRUE(contains(form, "the port is &lt;wrong&gt;")) << form;
  EXPECT_TRUE(contains(form, "pattern=\"[0-9]{1,5}\" aria-invalid=\"true\" autofocus")) << form;

  StateObject second = device();
  second.dev_id = DevId(0xabcdef02);
  const std::string mapped_box =
      box_mapped("tte-00000A.net", BoxClaimAnswer{DevId(0xabcdef01), 2, {device(), second}});
  expect_a_whole_page(mapped_box, "Box mapped");
  EXPECT_TRUE(contains(mapped_box,
                       "<tr><td data-label=\"Dev ID\">abcdef01</td><td "
                       "data-label=\"URN\">urn:dev:mac:0024beffabcdef01</td>"
                       "<td data-label=\"State\">mapped</td><td "
                       "data-label=\"Mapped\">2026-11-28T05:28:40Z</td></tr>"))
      << mapped_box;
  EXPECT_TRUE(contains(mapped_box, "<td data-label=\"Dev ID\">abcdef02</td>")) << mapped_box;

  const std::string used = box_already_used("tte-00000A.net", DevId(0xabcdef00), 3, {second});
  expect_a_whole_page(used, "Already enrolled");
  EXPECT_TRUE(contains(used, "1 of the 3 devices of this box (Dev IDs abcdef00 to abcdef02)"))
      << used;
  EXPECT_TRUE(contains(used, "may belong to someone else"));
  EXPECT_FALSE(contains(body_of(used), "<form"));
}

TEST(Pages, ErrorEscapesItsMessage) {
  const std::string page = error("tte-00000A.net", 400, "Check the label", "otp: 'x' & <y>");
  expect_a_whole_page(page, "Check the label");
  EXPECT_TRUE(contains(page, "role=\"alert\">otp: &#39;x&#39; &amp; &lt;y&gt;</div>"));
  EXPECT_TRUE(contains(page, "<p>(HTTP 400)</p>"));
}

}  // namespace
}  // namespace tte::mothership::pages
