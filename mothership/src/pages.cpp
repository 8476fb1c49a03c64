#include "pages.hpp"

#include "tte/host/rfc3339.hpp"
#include "tte/platform/http.hpp"

namespace tte::mothership::pages {
namespace {

using http::html_escape;

constexpr const char* kStyle = R"css(
:root { color-scheme: light dark; --accent: #0b63c5; --warn: #b3261e; --ok: #1e7a34; }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 34rem; margin: 0 auto; padding: 1.25rem 1rem 3rem; }
h1 { font-size: 1.45rem; margin: 0.2rem 0 0.8rem; }
.host { font-size: 0.85rem; opacity: 0.7; margin: 0; }
label { display: block; font-weight: 600; margin-top: 1rem; }
.hint { display: block; font-weight: 400; font-size: 0.85rem; opacity: 0.75; }
input { width: 100%; font: inherit; padding: 0.7rem; margin-top: 0.3rem; border: 1px solid #8a8f98;
        border-radius: 0.5rem; }
input[aria-invalid="true"] { border: 2px solid var(--warn); }
button { width: 100%; margin-top: 1.5rem; padding: 0.85rem; font: inherit; font-weight: 600;
         color: #fff; background: var(--accent); border: 0; border-radius: 0.5rem; }
.box { padding: 0.9rem 1rem; border-radius: 0.5rem; margin: 1rem 0; border-left: 0.35rem solid; }
.box.warn { border-color: var(--warn); background: rgba(179, 38, 30, 0.08); }
.box.ok { border-color: var(--ok); background: rgba(30, 122, 52, 0.08); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 0.8rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: 0.9rem; }
@media (max-width: 30rem) { dl { grid-template-columns: 1fr; gap: 0; } dd { margin-bottom: 0.5rem; } }
)css";

std::string page(const std::string& host, const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         html_escape(title) + " - " + html_escape(host) + "</title><style>" + kStyle +
         "</style></head><body><main><p class=\"host\">" + html_escape(host) + "</p><h1>" +
         html_escape(title) + "</h1>\n" + body + "\n</main></body></html>\n";
}

std::string time_or_dash(const std::optional<std::int64_t>& time) {
  return time ? format_rfc3339(*time) : "-";
}

std::string device_details(const StateObject& device) {
  return "<dl><dt>Dev ID</dt><dd>" + html_escape(device.dev_id.to_string().view()) +
         "</dd><dt>URN</dt><dd>" + html_escape(device.urn.view()) +
         "</dd><dt>Fingerprint</dt><dd>" + html_escape(device.fingerprint.to_string().view()) +
         "</dd><dt>State</dt><dd>" + device_state_name(device.state) + "</dd><dt>Mapped</dt><dd>" +
         time_or_dash(device.mapped_at) + "</dd><dt>Fetched by device</dt><dd>" +
         time_or_dash(device.registered_at) + "</dd></dl>";
}

std::string input(const char* name, const char* label, const char* hint, const std::string& value,
                  const std::string& invalid_field, const char* attributes) {
  bool invalid = invalid_field == name;
  return std::string("<label for=\"") + name + "\">" + label + "<span class=\"hint\">" + hint +
         "</span></label><input id=\"" + name + "\" name=\"" + name + "\" value=\"" +
         html_escape(value) + "\" " + attributes +
         (invalid ? " aria-invalid=\"true\" autofocus" : "") + ">";
}

}  // namespace

std::string home(const std::string& host) {
  return page(
      host, "TTE MotherShip",
      "<p>This is the MotherShip of the devices whose labels name " + html_escape(host) +
          ". To enroll a device, scan the QR code on its label: it opens this site with the "
          "device's one-time password.</p>");
}

std::string form(const std::string& host, const std::string& devid, const FormValues& values,
                 const std::string& problem, const std::string& field) {
  std::string body =
      "<p>Tell this device which Controller it belongs to. The device will ask for it "
      "the first time it is powered on.</p>";
  if (!problem.empty()) {
    body += "<div class=\"box warn\" role=\"alert\">" + html_escape(problem) + "</div>";
  }
  body += "<form method=\"post\" action=\"\" autocomplete=\"off\">";
  body += input("cip", "Controller IP address", "IPv4 or IPv6, e.g. 192.0.2.7", values.cip, field,
                "required autocapitalize=\"off\" spellcheck=\"false\" inputmode=\"url\"");
  body += input("cport", "Controller port", "UDP port for CoAPS, usually 5684", values.cport, field,
                "required inputmode=\"numeric\" pattern=\"[0-9]{1,5}\"");
  body += input("cfingerprint", "Controller fingerprint",
                "SHA-256 of the Controller's key: 64 hex digits (shown by tte-controller info)",
                values.cfingerprint, field,
                "required autocapitalize=\"off\" spellcheck=\"false\" "
                "pattern=\"([0-9A-Fa-f]{64})|([0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31})\"");
  body +=
      input("description", "Description (optional)", "Where it is, e.g. BLD30/2/361 - Thermostat",
            values.description, field, "maxlength=\"256\"");
  body += "<button type=\"submit\">Map device " + html_escape(devid) + "</button></form>";
  return page(host, "Enroll device " + devid, body);
}

std::string mapped(const std::string& host, const StateObject& device) {
  return page(
      host, "Device mapped",
      "<div class=\"box ok\" role=\"status\">The MotherShip has stored your Controller for this "
      "device. Power the device on: it will fetch the address and then join your "
      "Controller.</div>" +
          device_details(device) +
          "<p>Keep the fingerprint: your Controller can use it to recognise the device.</p>");
}

std::string already_used(const std::string& host, const StateObject& device) {
  return page(
      host, "Already enrolled",
      "<div class=\"box warn\" role=\"alert\"><strong>This device's one-time password has already "
      "been used.</strong> Someone has mapped it to a Controller before you. If that was not you "
      "or your organisation, the device may belong to someone else: do not install it, and "
      "return it to the manufacturer.</div>" +
          device_details(device));
}

std::string error(const std::string& host, int status, const std::string& title,
                  const std::string& message) {
  return page(host, title,
              "<div class=\"box warn\" role=\"alert\">" + html_escape(message) + "</div><p>(HTTP " +
                  std::to_string(status) + ")</p>");
}

}  // namespace tte::mothership::pages
