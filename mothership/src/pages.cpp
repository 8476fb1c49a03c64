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

}  // namespace

std::string home(const std::string& host) {
  return shown(
      page(host, "TTE MotherShip", render_page(web::home_html, PageValues().text("host", host))));
}

std::string form(const std::string& host, const std::string& devid, const FormValues& values,
                 const std::string& problem, const std::string& field) {
  std::string problem_box;
  if (!problem.empty()) {
    auto box = render_page(web::problem_html, PageValues().text("problem", problem));
    if (!box.ok()) return shown(box);
    problem_box = std::move(box).value();
  }
  // The field the problem is about is marked and has the focus.
  auto invalid = [&](const char* name) {
    return std::string(field == name ? " aria-invalid=\"true\" autofocus" : "");
  };
  return shown(
      page(host, "Enroll device " + devid,
           render_page(web::form_html, PageValues()
                                           .html("problem", std::move(problem_box))
                                           .text("cip", values.cip)
                                           .html("cip_invalid", invalid("cip"))
                                           .text("cport", values.cport)
                                           .html("cport_invalid", invalid("cport"))
                                           .text("cfingerprint", values.cfingerprint)
                                           .html("cfingerprint_invalid", invalid("cfingerprint"))
                                           .text("description", values.description)
                                           .html("description_invalid", invalid("description"))
                                           .text("devid", devid))));
}

std::string mapped(const std::string& host, const StateObject& device) {
  return shown(page(host, "Device mapped", with_device(web::mapped_html, device)));
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
