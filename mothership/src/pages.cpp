#include "pages.hpp"

#include "mothership_web.hpp"
#include "tte/host/page_template.hpp"
#include "tte/host/rfc3339.hpp"

namespace tte::mothership::pages {
namespace {

// The page around a body: the host's name, the title, the stylesheet inlined
// (the Content-Security-Policy allows inline style and nothing else).
Result<std::string> page(const std::string& host, const std::string& title,
                         Result<std::string> body) {
  if (!body.ok()) return body.error();
  return render_page(web::page_html, PageValues()
                                         .text("host", host)
                                         .text("title", title)
                                         .html("style", std::string(web::tte_css))
                                         .html("body", std::move(body).value()));
}

// The pages are part of the program, so one that fails to render is a bug the
// tests catch; should one slip through, the visitor reads a plain notice.
std::string shown(const Result<std::string>& page) {
  if (page.ok()) return page.value();
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title>"
         "</head><body><p>This page cannot be shown (" +
         html_escape(page.error().message) + ").</p></body></html>\n";
}

std::string time_or_dash(const std::optional<std::int64_t>& time) {
  return time ? format_rfc3339(*time) : "-";
}

Result<std::string> device_details(const StateObject& device) {
  return render_page(
      web::device_html,
      PageValues()
          .text("devid", device.dev_id.to_string().view())
          .text("urn", device.urn.view())
          .text("fingerprint", device.fingerprint ? device.fingerprint->to_string().view()
                                                  : std::string_view("none (a PSK Device)"))
          .text("state", device_state_name(device.state))
          .text("mapped_at", time_or_dash(device.mapped_at))
          .text("registered_at", time_or_dash(device.registered_at)));
}

Result<std::string> with_device(std::string_view page_template, const StateObject& device) {
  auto details = device_details(device);
  if (!details.ok()) return details.error();
  return render_page(page_template, PageValues().html("device", std::move(details).value()));
}

std::string hex_id(DevId dev_id) {
  return std::string(dev_id.to_string().view());
}

std::string last_of(DevId first, std::uint32_t count) {
  return hex_id(DevId(first.value() + (count == 0 ? 0 : count - 1)));
}

Result<std::string> problem_box(const std::string& problem) {
  if (problem.empty()) return std::string();
  return render_page(web::problem_html, PageValues().text("problem", problem));
}

// The attributes that mark the field a problem is about (and give it the focus).
std::string invalid_mark(const std::string& field, const char* name) {
  return field == name ? " aria-invalid=\"true\" autofocus" : "";
}

// The form's fields, filled in, the one with the problem marked.
PageValues form_fields(const FormValues& values, const std::string& field, std::string problem) {
  auto invalid = [&](const char* name) { return invalid_mark(field, name); };
  PageValues page_values;
  page_values.html("problem", std::move(problem))
      .text("cip", values.cip)
      .html("cip_invalid", invalid("cip"))
      .text("cport", values.cport)
      .html("cport_invalid", invalid("cport"))
      .text("cfingerprint", values.cfingerprint)
      .html("cfingerprint_invalid", invalid("cfingerprint"))
      .text("description", values.description)
      .html("description_invalid", invalid("description"));
  return page_values;
}

// A table of Devices: Dev ID, URN, state, when mapped.
Result<std::string> device_table(const std::vector<StateObject>& devices) {
  std::string rows;
  rows.reserve(devices.size() * 120);
  for (const StateObject& device : devices) {
    // data-label: on a phone each row is a card, each cell under its column's name.
    rows += "<tr><td data-label=\"Dev ID\">";
    rows += html_escape(device.dev_id.to_string().view());
    rows += "</td><td data-label=\"URN\">";
    rows += html_escape(device.urn.view());
    rows += "</td><td data-label=\"State\">";
    rows += html_escape(device_state_name(device.state));
    rows += "</td><td data-label=\"Mapped\">";
    rows += html_escape(time_or_dash(device.mapped_at));
    rows += "</td></tr>\n";
  }
  return render_page(web::box_devices_html, PageValues().html("rows", std::move(rows)));
}

}  // namespace

std::string box_form(const std::string& host, DevId first, std::uint32_t count,
                     const FormValues& values, const std::string& problem,
                     const std::string& field) {
  auto box = problem_box(problem);
  if (!box.ok()) return shown(box);
  return shown(
      page(host, "Enroll a box of " + std::to_string(count) + " devices",
           render_page(web::box_form_html, form_fields(values, field, std::move(box).value())
                                               .text("count", std::to_string(count))
                                               .text("first", hex_id(first))
                                               .text("last", last_of(first, count)))));
}

std::string box_mapped(const std::string& host, const BoxClaimAnswer& answer) {
  auto table = device_table(answer.devices);
  if (!table.ok()) return shown(table);
  return shown(
      page(host, "Box mapped",
           render_page(web::box_mapped_html, PageValues()
                                                 .text("count", std::to_string(answer.count))
                                                 .text("first", hex_id(answer.first))
                                                 .text("last", last_of(answer.first, answer.count))
                                                 .html("devices", std::move(table).value()))));
}

std::string box_already_used(const std::string& host, DevId first, std::uint32_t count,
                             const std::vector<StateObject>& used) {
  auto table = device_table(used);
  if (!table.ok()) return shown(table);
  return shown(page(
      host, "Already enrolled",
      render_page(web::box_already_used_html, PageValues()
                                                  .text("used", std::to_string(used.size()))
                                                  .text("count", std::to_string(count))
                                                  .text("first", hex_id(first))
                                                  .text("last", last_of(first, count))
                                                  .html("devices", std::move(table).value()))));
}

std::string home(const std::string& host) {
  return shown(
      page(host, "TTE MotherShip", render_page(web::home_html, PageValues().text("host", host))));
}

std::string form(const std::string& host, const std::string& devid, const FormValues& values,
                 const std::string& problem, const std::string& field) {
  auto box = problem_box(problem);
  if (!box.ok()) return shown(box);
  std::string psk_note;
  if (values.psk_device) {
    psk_note =
        "<div class=\"box warn\" role=\"note\">This device has no public-key crypto: it needs a "
        "link PSK, which the MotherShip hands it and your Controller must be given in its "
        "notice. Type one, or keep the box ticked to have one made.</div>";
  }
  return shown(page(
      host, "Enroll device " + devid,
      render_page(web::form_html, form_fields(values, field, std::move(box).value())
                                      .html("psk_note", psk_note)
                                      .text("cpsk", values.cpsk)
                                      .html("cpsk_invalid", invalid_mark(field, "cpsk"))
                                      .html("cpsk_generate", values.cpsk_generate ? " checked" : "")
                                      .text("devid", devid))));
}

std::string mapped(const std::string& host, const StateObject& device,
                   const std::string& made_psk) {
  auto details = device_details(device);
  if (!details.ok()) return shown(Result<std::string>(details.error()));
  std::string psk;
  if (!made_psk.empty()) {
    psk =
        "<div class=\"box warn\" role=\"note\"><p>The link PSK made for this device, shown "
        "only now:</p><p><code>" +
        html_escape(made_psk) +
        "</code></p><p>Give it to your Controller with the device's notice (message 6: "
        "<code>\"psk\"</code> in the JSON your Controller's intake takes, "
        "<code>POST /.well-known/tte/devices</code>); nothing else keeps it.</p></div>";
  }
  return shown(page(
      host, "Device mapped",
      render_page(web::mapped_html,
                  PageValues()
                      .html("device", std::move(details).value())
                      .html("psk", std::move(psk))
                      .text("keep", device.fingerprint ? "Keep the fingerprint: your Controller "
                                                         "can use it to recognise the device."
                                                       : "This device has no key: your "
                                                         "Controller recognises it by its URN "
                                                         "and its link PSK."))));
}

std::string already_used(const std::string& host, const StateObject& device) {
  return shown(page(host, "Already enrolled", with_device(web::already_used_html, device)));
}

std::string error(const std::string& host, int status, const std::string& title,
                  const std::string& message) {
  return shown(page(
      host, title,
      render_page(web::error_html,
                  PageValues().text("message", message).text("status", std::to_string(status)))));
}

}  // namespace tte::mothership::pages
