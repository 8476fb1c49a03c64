// The Controller's dashboard in a real browser (Debian's headless Chromium) on
// a phone-sized screen: sign in with the API token, see the registered Devices
// and the binding between them.
#include <gtest/gtest.h>

#include "support/browser.hpp"
#include "support/controller.hpp"

namespace tte::test {
namespace {

TEST(ControllerBrowser, TheDashboardListsRegisteredDevicesOnAPhone) {
  ASSERT_TRUE(Browser::available()) << "Debian's chromium is needed (./tte test installs it)";
  TempDir dir;
  const std::string batch = manufacture_batch(dir, 2);
  ControllerProcess controller(dir);
  controller.start();
  const std::string light_urn = read_bundle(batch, 1)["urn"],
                    switch_urn = read_bundle(batch, 2)["urn"];
  controller.announce(notice_for(read_bundle(batch, 1), "Hall light"));
  controller.announce(notice_for(read_bundle(batch, 2), "Hall switch"));
  TestDevice light(dir, bundle_path(batch, 1), controller, "light", 60, "light");
  TestDevice button(dir, bundle_path(batch, 2), controller, "switch", 60, "switch");
  light.send("register");
  button.send("register");
  light.wait_for("registered");
  button.wait_for("registered");
  ASSERT_EQ(
      controller.cli({"binding", "add", switch_urn, "/switch", light_urn, "/light"}).exit_code, 0);
  light.wait_for("light");

  Browser browser(dir, BrowserOptions{});
  browser.navigate(controller.http_origin() + "/");
  EXPECT_EQ(browser.evaluate("location.pathname"), "/login");  // signed out: the login page
  // Issue 15: the token field was 398 px wide on a 390 px phone.
  EXPECT_EQ(browser.evaluate("document.documentElement.scrollWidth <= 390"), true);
  Overflow sign_in = browser.overflow();
  EXPECT_TRUE(sign_in.fits(390)) << "the sign-in page: " << sign_in.describe();
  write_text(TTE_ARTIFACT_DIR "/controller-sign-in.png", browser.screenshot_png());
  browser.act_and_wait_for_load(
      "document.getElementById('token').value = 'wrong'; document.querySelector('form').submit();");
  EXPECT_NE(browser.evaluate("document.body.innerText").get<std::string>().find("Wrong token"),
            std::string::npos);
  Overflow wrong_token = browser.overflow();
  EXPECT_TRUE(wrong_token.fits(390)) << "the wrong-token page: " << wrong_token.describe();
  browser.navigate(controller.http_origin() + "/login");
  browser.act_and_wait_for_load("document.getElementById('token').value = '" +
                                controller.api_token() +
                                "'; document.querySelector('form').submit();");
  EXPECT_EQ(browser.evaluate("location.pathname"), "/");
  std::string page = browser.evaluate("document.body.innerText");
  EXPECT_NE(page.find(light_urn), std::string::npos) << page;
  EXPECT_NE(page.find("Hall switch"), std::string::npos) << page;
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#devices tbody tr').length"), 2);
  EXPECT_EQ(
      browser.evaluate("[...document.querySelectorAll('#devices .badge')].map(b => b.innerText)"),
      nlohmann::json::array({"registered", "registered"}));
  EXPECT_EQ(browser.evaluate("document.querySelectorAll('#bindings tbody tr').length"), 1);
  std::string bindings = browser.evaluate("document.getElementById('bindings').innerText");
  EXPECT_NE(bindings.find(switch_urn + " /switch"), std::string::npos) << bindings;
  // Usable on a phone: nothing wider than the screen, nothing loaded from elsewhere.
  EXPECT_EQ(browser.evaluate("document.documentElement.scrollWidth <= 390"), true);
  Overflow dashboard = browser.overflow();
  EXPECT_TRUE(dashboard.fits(390)) << "the dashboard: " << dashboard.describe();
  EXPECT_EQ(browser.evaluate("performance.getEntriesByType('resource').length"), 0);
  write_text(TTE_ARTIFACT_DIR "/controller-dashboard.png", browser.screenshot_png());

  // Signing out ends the session.
  browser.act_and_wait_for_load("document.querySelector('form[action=\"/logout\"]').submit();");
  EXPECT_EQ(browser.evaluate("location.pathname"), "/login");
}

}  // namespace
}  // namespace tte::test
