// The MotherShip's form page in a real browser (Debian's headless Chromium):
// an installer who scanned the label with a phone fills in the Controller,
// submits, sees the success page; submitting again shows the warning.
#include <gtest/gtest.h>

#include "support/browser.hpp"
#include "support/mothership.hpp"
#include "tte/host/otp_crypto.hpp"

namespace tte::test {
namespace {

// A browser that reaches the MotherShip's host on loopback and trusts its certificate.
BrowserOptions reaching(const MotherShipProcess& ms) {
  BrowserOptions options;
  options.host_resolver_rules = std::string("MAP ") + MotherShipProcess::kHost + " 127.0.0.1";
  options.trusted_spki = {spki_sha256_base64(ms.data_dir() + "/https.crt")};
  return options;
}

TEST(MotherShipBrowser, FormOnAPhoneMapsTheDeviceAndWarnsOnTheSecondSubmit) {
  ASSERT_TRUE(Browser::available()) << "Debian's chromium is needed (./tte test installs it)";
  TempDir dir;
  MotherShipProcess ms(dir);
  ms.import(device_record(1));
  ms.start();
  Browser browser(dir, reaching(ms));
  const std::string form_url =
      ms.url("/.well-known/tte?otp=" + otp_of(1) + "&devid=" + devid_of(1));

  // Two tabs hold the form: the installer submits one, then the other.
  browser.navigate(form_url);
  int second = browser.open_tab();
  browser.navigate(form_url);
  browser.switch_to(0);

  EXPECT_EQ(browser.evaluate("document.title"), "Enroll device 00000001 - tte-00000A.net");
  // cip, cport, cfingerprint, description, and the link PSK with its "make one" box.
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('input').length"), 6);
  EXPECT_EQ(browser.evaluate("document.getElementById('cpsk_generate').checked"), false);
  // Usable on a phone: nothing wider than the 390-pixel screen, nothing loaded from elsewhere.
  EXPECT_EQ(browser.evaluate("document.documentElement.scrollWidth <= 390"), true);
  Overflow form = browser.overflow();
  EXPECT_TRUE(form.fits(390)) << "the form: " << form.describe();
  EXPECT_EQ(browser.evaluate("performance.getEntriesByType('resource').length"), 0);
  write_text(TTE_ARTIFACT_DIR "/mothership-form.png", browser.screenshot_png());

  // An invalid fingerprint is caught by the browser itself (the pattern attribute).
  EXPECT_EQ(browser.evaluate("document.getElementById('cfingerprint').value = 'abc';"
                             "document.querySelector('form').checkValidity()"),
            false);

  const std::string fill = std::string(
                               "document.getElementById('cip').value = '127.0.0.1';"
                               "document.getElementById('cport').value = '5684';"
                               "document.getElementById('cfingerprint').value = '") +
                           kControllerFingerprint +
                           "';"
                           "document.getElementById('description').value = 'Hall light';";
  // A mistake the browser cannot see comes back as the form, with the field named.
  browser.act_and_wait_for_load(fill +
                                "document.getElementById('cip').value = 'controller.local';"
                                "document.querySelector('button[type=submit]').click();");
  std::string page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("Please check cip"), std::string::npos) << page;
  Overflow mistake = browser.overflow();
  EXPECT_TRUE(mistake.fits(390)) << "the form with a mistake: " << mistake.describe();

  browser.act_and_wait_for_load(fill + "document.querySelector('button[type=submit]').click();");
  page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("Device mapped"), std::string::npos) << page;
  EXPECT_NE(page.find("urn:dev:ops:32473-Test-1"), std::string::npos) << page;
  Overflow mapped = browser.overflow();
  EXPECT_TRUE(mapped.fits(390)) << "the mapped page: " << mapped.describe();
  write_text(TTE_ARTIFACT_DIR "/mothership-mapped.png", browser.screenshot_png());

  browser.switch_to(second);
  browser.act_and_wait_for_load(fill + "document.querySelector('button[type=submit]').click();");
  page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("already been used"), std::string::npos) << page;
  EXPECT_NE(page.find("may belong to someone else"), std::string::npos) << page;
  Overflow warning = browser.overflow();
  EXPECT_TRUE(warning.fits(390)) << "the warning page: " << warning.describe();
  write_text(TTE_ARTIFACT_DIR "/mothership-already-used.png", browser.screenshot_png());

  // The MotherShip agrees: one mapping, stored with the description.
  RunResult shown = ms.cli({"device", "show", "1", "--json"});
  EXPECT_NE(shown.out.find("\"description\":\"Hall light\""), std::string::npos) << shown.out;
  EXPECT_EQ(ms.stop(), 0);
}

// A PSK Device (docs/protocol.md 13.3) in the browser: the form says it needs a
// link PSK and has "make one for me" ticked; the answer shows the PSK made, once.
TEST(MotherShipBrowser, APskDevicesFormMakesALinkPskAndShowsItOnce) {
  ASSERT_TRUE(Browser::available()) << "Debian's chromium is needed (./tte test installs it)";
  TempDir dir;
  MotherShipProcess ms(dir);
  ms.import("{\"devid\":\"" + devid_of(2) +
            "\",\"urn\":\"urn:dev:ops:32473-Psk-2\",\"psk\":\"000102030405060708090a0b0c0d0e0f\","
            "\"otp\":\"" +
            otp_of(2) + "\"}\n");
  ms.start();
  Browser browser(dir, reaching(ms));
  browser.navigate(ms.url("/.well-known/tte?otp=" + otp_of(2) + "&devid=" + devid_of(2)));
  std::string page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("no public-key crypto"), std::string::npos) << page;
  EXPECT_EQ(browser.evaluate("document.getElementById('cpsk_generate').checked"), true);
  Overflow form = browser.overflow();
  EXPECT_TRUE(form.fits(390)) << "the PSK Device's form: " << form.describe();
  // A link PSK typed wrong is caught by the browser (the pattern attribute).
  EXPECT_EQ(browser.evaluate("document.getElementById('cpsk').value = 'abc';"
                             "document.querySelector('form').checkValidity()"),
            false);
  browser.act_and_wait_for_load(std::string("document.getElementById('cpsk').value = '';"
                                            "document.getElementById('cip').value = '127.0.0.1';"
                                            "document.getElementById('cfingerprint').value = '") +
                                kControllerFingerprint +
                                "';"
                                "document.querySelector('button[type=submit]').click();");
  page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("Device mapped"), std::string::npos) << page;
  EXPECT_NE(page.find("shown only now"), std::string::npos) << page;
  const std::string shown =
      browser.evaluate("document.querySelector('code').innerText").get<std::string>();
  EXPECT_EQ(shown.size(), 32u) << shown;
  EXPECT_EQ(shown.find_first_not_of("0123456789abcdef"), std::string::npos) << shown;
  Overflow mapped = browser.overflow();
  EXPECT_TRUE(mapped.fits(390)) << "the mapped page with its PSK: " << mapped.describe();
  write_text(TTE_ARTIFACT_DIR "/mothership-psk-mapped.png", browser.screenshot_png());
  RunResult status = ms.cli({"device", "show", "2", "--json"});
  EXPECT_NE(status.out.find("\"psk\":true"), std::string::npos) << status.out;
  EXPECT_EQ(ms.stop(), 0);
}

// The box's pages (docs/protocol.md 13.2) on a phone's width: the form for the
// whole range, the list of every mapped Device, and, on a second submit from
// another tab, the page naming the Devices already used.
TEST(MotherShipBrowser, TheBoxPagesWorkOnAPhone) {
  ASSERT_TRUE(Browser::available()) << "Debian's chromium is needed (./tte test installs it)";
  const BoxUrl::Key key{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  std::string records;
  for (std::uint32_t n = 0x1000; n < 0x1000 + 24; ++n) {
    records += "{\"devid\":\"" + devid_of(n) + "\",\"urn\":\"urn:dev:ops:32473-Box-" +
               std::to_string(n) + "\",\"fingerprint\":\"" + kDeviceFingerprint + "\",\"otp\":\"" +
               std::string(box_device_otp(key, DevId(n)).value().to_string().view()) + "\"}\n";
  }
  TempDir dir;
  MotherShipProcess ms(dir);
  ms.import(records);
  ms.start();
  Browser browser(dir, reaching(ms));
  const std::string form_url = ms.url("/.well-known/tte/box?first=" + devid_of(0x1000) +
                                      "&count=24&key=000102030405060708090a0b0c0d0e0f");
  browser.navigate(form_url);
  int second = browser.open_tab();
  browser.navigate(form_url);
  browser.switch_to(0);
  std::string page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("24 devices"), std::string::npos) << page;
  EXPECT_NE(page.find("00001017"), std::string::npos) << page;  // the range's last Dev ID
  Overflow form = browser.overflow();
  EXPECT_TRUE(form.fits(390)) << "the box form: " << form.describe();
  EXPECT_EQ(browser.evaluate("performance.getEntriesByType('resource').length"), 0);
  write_text(TTE_ARTIFACT_DIR "/mothership-box-form.png", browser.screenshot_png());

  const std::string fill = std::string(
                               "document.getElementById('cip').value = '127.0.0.1';"
                               "document.getElementById('cfingerprint').value = '") +
                           kControllerFingerprint + "';";
  browser.act_and_wait_for_load(fill + "document.querySelector('button[type=submit]').click();");
  page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("urn:dev:ops:32473-Box-4119"), std::string::npos) << page;  // 0x1017
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('tbody tr').length"), 24);
  Overflow mapped = browser.overflow();
  EXPECT_TRUE(mapped.fits(390)) << "the mapped box: " << mapped.describe();
  write_text(TTE_ARTIFACT_DIR "/mothership-box-mapped.png", browser.screenshot_png());

  browser.switch_to(second);
  browser.act_and_wait_for_load(fill + "document.querySelector('button[type=submit]').click();");
  page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find("urn:dev:ops:32473-Box-4096"), std::string::npos) << page;
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('tbody tr').length"), 24);
  Overflow used = browser.overflow();
  EXPECT_TRUE(used.fits(390)) << "the used box: " << used.describe();
  write_text(TTE_ARTIFACT_DIR "/mothership-box-already-used.png", browser.screenshot_png());
  RunResult shown = ms.cli({"device", "show", devid_of(0x1017), "--json"});
  EXPECT_NE(shown.out.find("\"state\":\"mapped\""), std::string::npos) << shown.out;
  EXPECT_EQ(ms.stop(), 0);
}

}  // namespace
}  // namespace tte::test
