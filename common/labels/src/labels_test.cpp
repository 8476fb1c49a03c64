#include <gtest/gtest.h>

#include "tte/labels/label.hpp"
#include "vectors.hpp"

namespace tte::labels {
namespace {

EnrollmentUrl draft_device() {
  return *EnrollmentUrl::parse(
      testing::load_vectors("draft_example.json")["enrollment_url"].get<std::string>(),
      IdPolicy::allow_example);
}

TEST(Qr, VersionsForTheDraftExample) {
  std::string url(draft_device().to_string().view());
  auto high = encode_qr(url, QrLevel::H);
  ASSERT_TRUE(high.ok());
  // Byte mode, 74 bytes: version 8 (49 modules, 57 with the quiet zone) at H,
  // version 4 (33 modules, 41 with the quiet zone) at L.
  EXPECT_EQ(high->version, 8);
  EXPECT_EQ(high->size, 49);
  EXPECT_EQ(encode_qr(url, QrLevel::L)->version, 4);
  EXPECT_EQ(encode_qr(url, QrLevel::L)->size, 33);
  EXPECT_EQ(encode_qr(std::string(3000, 'x'), QrLevel::H).error().code, Errc::too_long);
  EXPECT_EQ(*parse_qr_level("q"), QrLevel::Q);
  EXPECT_FALSE(parse_qr_level("X").ok());
}

TEST(Label, PngHasQuietZoneFinderAndText) {
  auto label = make_label(draft_device(), QrLevel::H);
  ASSERT_TRUE(label.ok());
  EXPECT_EQ(label->lines[0], "DEV ID ABCDEF01");
  EXPECT_EQ(label->lines[1] + "-" + label->lines[2],
            testing::load_vectors("draft_example.json")["manual_code"]);
  Image image = render_png(*label, 6);
  const int qr_px = (49 + 8) * 6;
  EXPECT_EQ(image.width, qr_px);
  EXPECT_GT(image.height, qr_px);
  const int left = (image.width - qr_px) / 2;
  for (int y = 0; y < 4 * 6; ++y)
    EXPECT_EQ(image.at(left + 30, y), 255);             // quiet zone
  EXPECT_EQ(image.at(left + 4 * 6 + 1, 4 * 6 + 1), 0);  // finder pattern corner
  int dark_below = 0;
  for (int y = qr_px; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x)
      dark_below += image.at(x, y) == 0;
  }
  EXPECT_GT(dark_below, 500);  // the printed lines
  Image again = decode_png(encode_png(image));
  EXPECT_EQ(again.width, image.width);
  EXPECT_EQ(again.pixels, image.pixels);
  EXPECT_THROW(decode_png("not a png"), std::runtime_error);
}

TEST(Label, AQrCodeAloneKeepsItsQuietZone) {
  auto qr = encode_qr("tte:ctl?x=1", QrLevel::M);
  ASSERT_TRUE(qr.ok());
  Image image = render_qr(*qr, 3);
  const int side = (qr->size + 2 * kQuietZone) * 3;
  EXPECT_EQ(image.width, side);
  EXPECT_EQ(image.height, side);
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      const int mx = x / 3 - kQuietZone, my = y / 3 - kQuietZone;
      const bool dark = mx >= 0 && my >= 0 && mx < qr->size && my < qr->size && qr->is_dark(mx, my);
      ASSERT_EQ(image.at(x, y), dark ? 0 : 255) << x << "," << y;
    }
  }
}

TEST(Label, SvgAndPdf) {
  auto label = make_label(draft_device(), QrLevel::H);
  std::string svg = render_svg(*label);
  // The URL's '&' is escaped: the SVG is well-formed XML.
  EXPECT_NE(svg.find("<title>https://tte-000000.net/.well-known/tte?otp="), std::string::npos);
  EXPECT_EQ(svg.find(label->url), std::string::npos);
  EXPECT_NE(svg.find("&amp;devid=abcdef01</title>"), std::string::npos) << svg.substr(0, 400);
  EXPECT_NE(svg.find("DEV ID ABCDEF01"), std::string::npos);
  PdfSheet sheet;
  for (int i = 0; i < 20; ++i)
    sheet.add(*label);
  std::string pdf = sheet.finish();
  EXPECT_EQ(pdf.substr(0, 8), "%PDF-1.4");
  EXPECT_NE(pdf.find("/Count 2"), std::string::npos);  // 18 labels per page
  EXPECT_EQ(pdf.substr(pdf.size() - 6), "%%EOF\n");
}

// docs/protocol.md §13.2's example box.
BoxUrl example_box() {
  BoxUrl::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<std::uint8_t>(i);
  return *BoxUrl::make(*MsId::from_value(10, IdPolicy::operational), DevId(0x1000), 24, key);
}

TEST(BoxLabel, CarriesTheBoxUrlTheRangeTheCodeAndTheHost) {
  auto label = make_box_label(example_box(), QrLevel::Q);
  ASSERT_TRUE(label.ok());
  EXPECT_EQ(label->url,
            "https://tte-00000A.net/.well-known/tte/box?first=00001000&count=24"
            "&key=000102030405060708090a0b0c0d0e0f");
  ASSERT_EQ(label->lines.size(), 4u);
  EXPECT_EQ(label->lines[0], "Dev IDs 00001000-00001017 (24)");
  EXPECT_EQ(label->lines[1] + "-" + label->lines[2],
            "TTB-0000-M000-2000-0600-0410-6105-0R3G-G28A-1C60-T3GF-A");
  EXPECT_EQ(label->lines[3], "tte-00000A.net");
  // A box of one names one Dev ID twice; the range may end at ffffffff.
  auto last = make_box_label(
      *BoxUrl::make(*MsId::from_value(10, IdPolicy::operational), DevId(0xffffffff), 1, {}),
      QrLevel::Q);
  EXPECT_EQ(last->lines[0], "Dev IDs ffffffff-ffffffff (1)");

  // Every printed line is drawn: the parentheses have glyphs.
  Image image = render_png(*label, 6);
  const int qr_px = (label->qr.size + 8) * 6;
  int dark_below = 0;
  for (int y = qr_px; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x)
      dark_below += image.at(x, y) == 0;
  }
  Image without_parentheses = render_png(
      Label{label->url,
            label->qr,
            {"Dev IDs 00001000-00001017  24 ", label->lines[1], label->lines[2], label->lines[3]}},
      6);
  int dark_without = 0;
  for (int y = qr_px; y < without_parentheses.height; ++y) {
    for (int x = 0; x < without_parentheses.width; ++x)
      dark_without += without_parentheses.at(x, y) == 0;
  }
  EXPECT_GT(dark_below, dark_without);

  std::string svg = render_svg(*label);
  EXPECT_NE(svg.find("first=00001000&amp;count=24&amp;key="), std::string::npos);
  EXPECT_NE(svg.find(">Dev IDs 00001000-00001017 (24)</text>"), std::string::npos);
  // The PDF sheet's text (parentheses escaped) is checked with pdftotext in
  // tests/factory_test.cpp.
}

}  // namespace
}  // namespace tte::labels
