// A real browser for page tests: Debian's headless Chromium, driven over the
// DevTools protocol (a WebSocket, with Beast). Pages are loaded, filled in and
// submitted the way a person's browser would.
#ifndef TTE_TESTS_BROWSER_HPP
#define TTE_TESTS_BROWSER_HPP

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.hpp"

namespace tte::test {

struct BrowserOptions {
  // "MAP tte-00000A.net 127.0.0.1": names the test's servers without DNS.
  std::string host_resolver_rules;
  // base64(SHA-256(SubjectPublicKeyInfo)) of server keys to accept without a public CA.
  std::vector<std::string> trusted_spki;
  int width = 390;  // a phone's viewport
  int height = 844;
};

// What reaches past the right edge of the screen (a phone's, 390 px): the
// page's scroll width and each element whose box does, as "input#token: 398 px
// wide, right edge at 407".
struct Overflow {
  int viewport_width = 0;
  int scroll_width = 0;
  std::vector<std::string> elements;

  // A viewport `width` wide, and nothing wider: no sideways scrolling.
  bool fits(int width) const {
    return viewport_width == width && scroll_width <= width && elements.empty();
  }
  std::string describe() const {
    std::string text = "viewport " + std::to_string(viewport_width) + " px, page " +
                       std::to_string(scroll_width) + " px wide";
    for (const auto& element : elements)
      text += "\n  " + element;
    return text;
  }
};

class Browser {
 public:
  Browser(const TempDir& dir, BrowserOptions options);
  ~Browser();

  // Opens another tab (with the same viewport) and makes it the current one;
  // returns its index. Tab 0 exists from the start.
  int open_tab();
  void switch_to(int tab);

  // Loads url in the current tab and waits for its load event.
  void navigate(const std::string& url);
  // Evaluates JavaScript in the page; returns the value (by value).
  nlohmann::json evaluate(const std::string& expression);
  // Runs `action` (JavaScript that navigates, e.g. a click on submit) and waits for the next page.
  void act_and_wait_for_load(const std::string& action);
  // What of the current page reaches past the viewport's right edge.
  Overflow overflow();
  std::string screenshot_png();

  static bool available();  // Debian's chromium is installed

 private:
  nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::object());
  nlohmann::json read_message();
  void wait_for_event(const std::string& method);

  struct Connection;
  std::unique_ptr<Process> process_;
  std::unique_ptr<Connection> connection_;
  void attach_new_tab();

  BrowserOptions options_;
  std::vector<std::string> sessions_;
  std::string session_;  // the current tab's
  int next_id_ = 1;
  std::vector<nlohmann::json> pending_events_;
};

// base64 of the SHA-256 of a PEM certificate's SubjectPublicKeyInfo (for
// --ignore-certificate-errors-spki-list).
std::string spki_sha256_base64(const std::string& certificate_pem_file);

}  // namespace tte::test

#endif  // TTE_TESTS_BROWSER_HPP
