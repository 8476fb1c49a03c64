#include "public_api.hpp"

#include "pages.hpp"
#include "tte/ascii.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/hex.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/query.hpp"

namespace tte::mothership {
namespace {

constexpr const char* kProblemBase = "https://iana.org/assignments/http-problem-types#tte-";

// The box a response answers, for its log line.
void name_box_in_log(http::Response& response, const BoxCredentials& box) {
  response.log_fields.emplace_back("first", std::string(box.first.to_string().view()));
  response.log_fields.emplace_back("count", std::to_string(box.count));
}

// The form values a browser sent, to show them again after a mistake.
pages::FormValues form_values_of(std::string_view body) {
  pages::FormValues values;
  values.cport.clear();
  QueryReader reader(body, QueryStyle::form);
  QueryParameter parameter;
  while (reader.next(parameter)) {
    std::string decoded(parameter.value.size(), '\0');
    auto value = percent_decode(parameter.value, decoded, QueryStyle::form, "form");
    if (!value.ok()) continue;
    std::string text(value.value());
    if (parameter.name == "cip") values.cip = text;
    if (parameter.name == "cport") values.cport = text;
    if (parameter.name == "cfingerprint") values.cfingerprint = text;
    if (parameter.name == "description") values.description = text;
    if (parameter.name == "cpsk") values.cpsk = text;
    if (parameter.name == "cpsk_generate") values.cpsk_generate = text == "1";
  }
  return values;
}

bool is_form_body(const http::Request& request) {
  if (request.body.empty()) return true;
  auto type = request.header("Content-Type");
  if (!type) return false;
  std::string_view media = type->substr(0, type->find(';'));
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  return ascii::equals_ignoring_case(media, "application/x-www-form-urlencoded");
}

std::string field_label(const char* field) {
  if (field == nullptr) return "request";
  return field;
}

}  // namespace

void add_security_headers(http::Response& response) {
  response.set_header("Cache-Control", "no-store");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Strict-Transport-Security", "max-age=31536000");
}

http::Response problem_response(int status, const std::string& type, const std::string& title,
                                const std::string& detail, const std::string& field,
                                const std::optional<StateObject>& device,
                                const std::vector<StateObject>& devices) {
  Problem problem;
  problem.status = status;
  problem.type = type.empty() ? "about:blank" : kProblemBase + type;
  problem.title = title;
  problem.detail = detail;
  problem.field = field;
  problem.device = device;
  problem.devices = devices;
  http::Response response =
      http::make_response(status, "application/problem+json", problem.to_json());
  add_security_headers(response);
  return response;
}

PublicApi::PublicApi(PublicApiOptions options, ReadPool& reads, Writer& writer,
                     ClientThrottle& clients, OtpGuard& guard)
    : options_(std::move(options)),
      host_(options_.host.view()),
      reads_(reads),
      writer_(writer),
      clients_(clients),
      guard_(guard) {}

http::Response PublicApi::page(int status, std::string html) const {
  http::Response response =
      http::make_response(status, "text/html; charset=utf-8", std::move(html));
  add_security_headers(response);
  // The pages need nothing but their own inline style; forms post back here only.
  response.set_header("Content-Security-Policy",
                      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                      "base-uri 'none'; frame-ancestors 'none'");
  return response;
}

// One fixed answer for an unknown Dev ID and a wrong OTP: same status, same
// bytes, so that the answers reveal nothing about which Dev IDs exist.
http::Response PublicApi::not_authorized(bool html) const {
  if (html) {
    return page(403,
                pages::error(host_, 403, "Not recognised",
                             "This label's device is unknown here, or its one-time password is "
                             "wrong. Check that you scanned the whole label."));
  }
  return problem_response(403, "not-authorized", "Unknown device or wrong OTP",
                          "The Dev ID is unknown or the OTP is wrong.");
}

http::Response PublicApi::locked(bool html, std::int64_t retry_after) const {
  http::Response response =
      html ? page(429, pages::error(host_, 429, "Too many attempts",
                                    "Too many attempts were made for this device. Try again in " +
                                        std::to_string(retry_after) + " seconds."))
           : problem_response(429, "throttled", "Too many attempts",
                              "Too many attempts; try again after Retry-After seconds.");
  response.set_header("Retry-After", std::to_string(retry_after));
  return response;
}

http::Response PublicApi::unavailable(bool html) const {
  return unavailable(html, "The MotherShip could not store that. Try again.",
                     "The database is unavailable; try again.", 5);
}

http::Response PublicApi::unavailable(bool html, const char* page_text, const char* detail,
                                      int retry_after) const {
  http::Response response = html ? page(503, pages::error(host_, 503, "Try again", page_text))
                                 : problem_response(503, "", "Service Unavailable", detail);
  response.set_header("Retry-After", std::to_string(retry_after));
  return response;
}

http::Response PublicApi::bad_request(bool html, const Error& error) const {
  std::string field = field_label(error.field);
  if (html) {
    return page(400, pages::error(host_, 400, "Check the label", field + ": " + error.message));
  }
  return problem_response(400, "bad-parameter", "Malformed request", field + ": " + error.message,
                          field);
}

void PublicApi::handle(const http::Request& request, http::Respond respond) {
  std::string_view path = request.path();
  auto method_not_allowed = [&](const char* allow) {
    http::Response response =
        problem_response(405, "", "Method Not Allowed", std::string("use ") + allow);
    response.set_header("Allow", allow);
    respond(std::move(response));
  };
  if (path == kEnrollmentPath) {
    if (request.method == "POST") return claim(request, std::move(respond));
    if (request.method == "GET") return form(request, std::move(respond));
    return method_not_allowed("GET, POST");
  }
  if (path == kBoxPath) {
    if (request.method == "POST") return box_claim(request, std::move(respond));
    if (request.method == "GET") return box_form(request, std::move(respond));
    return method_not_allowed("GET, POST");
  }
  if (path == kStatusPath) {
    if (request.method == "GET") return status(request, std::move(respond));
    return method_not_allowed("GET");
  }
  if (path == "/") {
    if (request.method == "GET") return respond(page(200, pages::home(host_)));
    return method_not_allowed("GET");
  }
  if (path == "/health") {
    if (request.method != "GET") return method_not_allowed("GET");
    return respond(health());
  }
  respond(problem_response(404, "", "Not Found", "There is nothing here."));
}

// For health checks (docker-compose, load balancers, monitoring): this worker
// answers, the database reads and takes writes (a standby after a failover does
// not: claims could not be stored). Says nothing about devices.
http::Response PublicApi::health() {
  auto store = reads_.try_acquire();
  const bool readable = store && (*store)->audit_head().ok();
  auto writes = readable ? (*store)->takes_writes() : Result<bool>(false);
  http::Response response =
      readable && writes.ok() && writes.value()
          ? http::make_response(200, "application/json", "{\"status\":\"ok\"}\n")
      : readable && writes.ok()
          ? http::make_response(503, "application/json",
                                "{\"status\":\"the database takes no writes (read only, or a "
                                "standby)\"}\n")
          : http::make_response(503, "application/json",
                                "{\"status\":\"the database is unavailable\"}\n");
  response.set_header("Cache-Control", "no-store");
  return response;
}

std::optional<http::Response> PublicApi::take_slot(const http::Request& request, DevId dev_id,
                                                   bool html, ThrottleState* after) {
  const std::int64_t now = options_.clock();
  if (auto wait = clients_.take(request.client_address, now)) return locked(html, *wait);
  OtpGuard::Result slot = guard_.take(dev_id, now);
  if (slot.verdict == OtpGuard::Verdict::taken) {
    *after = slot.state;
    return std::nullopt;
  }
  clients_.give_back(request.client_address, now);  // no OTP was compared
  http::Response response = slot.verdict == OtpGuard::Verdict::no_slot
                                ? locked(html, slot.retry_after)
                                : unavailable(html);
  response.log_fields.emplace_back("devid", std::string(dev_id.to_string().view()));
  response.log_fields.emplace_back(
      "outcome", slot.verdict == OtpGuard::Verdict::no_slot ? "throttled" : "unavailable");
  return response;
}

void PublicApi::give_back(const std::string& client, DevId dev_id) {
  const std::int64_t now = options_.clock();
  guard_.give_back(dev_id, now);
  clients_.give_back(client, now);
}

void PublicApi::refuse(DevId dev_id, const ThrottleState& after, bool html, http::Respond respond) {
  http::Response refusal = not_authorized(html);
  refusal.log_fields.emplace_back("devid", std::string(dev_id.to_string().view()));
  refusal.log_fields.emplace_back("outcome", "not_authorized");
  writer_.submit(FailureJob{dev_id, after, [this, html, refusal, respond](bool stored) {
                              respond(stored ? refusal : unavailable(html));
                            }});
}

// Messages 4 and 5 (draft §2; docs/protocol.md §5.2): an Introducer's claim, and the answer (the
// state object, or a problem) once the writer has stored it or refused it.
void PublicApi::claim(const http::Request& request, http::Respond respond) {
  const bool html = http::prefers_html(request);
  if (!is_form_body(request)) {
    return respond(
        problem_response(415, "", "Unsupported Media Type",
                         "send the claim in the URL or as application/x-www-form-urlencoded"));
  }
  auto parsed = ClaimRequest::parse(request.query(), request.body);
  if (!parsed.ok()) {
    if (!html) return respond(bad_request(false, parsed.error()));
    // A browser gets the form again, with its values and the problem named.
    auto credentials = parse_device_credentials(request.query());
    if (!credentials.ok()) return respond(bad_request(true, parsed.error()));
    std::string field = field_label(parsed.error().field);
    return respond(
        page(400, pages::form(host_, std::string(credentials->dev_id.to_string().view()),
                              form_values_of(request.body),
                              "Please check " + field + ": " + parsed.error().message, field)));
  }
  ClaimRequest& claim = parsed.value();
  ThrottleState after;
  if (auto refused = take_slot(request, claim.dev_id, html, &after))
    return respond(std::move(*refused));
  // The form's "make a link PSK for me" (docs/protocol.md 13.3): made here,
  // shown once on the answer page.
  std::string made_psk;
  if (html && !claim.psk && form_values_of(request.body).cpsk_generate) {
    Psk fresh{};
    if (!random_bytes(fresh).ok()) {
      give_back(request.client_address, claim.dev_id);
      return respond(unavailable(true));
    }
    claim.psk = fresh;
    made_psk.assign(2 * fresh.size(), '0');
    write_hex_lower(fresh, made_psk.data());
  }
  ClaimJob job;
  job.throttle = after;
  job.dev_id = claim.dev_id;
  job.presented = options_.hasher.digest(claim.dev_id, claim.otp);
  job.controller = ControllerBinding{claim.controller, claim.controller_fingerprint, claim.psk};
  job.description = claim.description;
  job.client = request.client_address;
  std::string devid(claim.dev_id.to_string().view());
  job.done = [this, html, devid, client = request.client_address, dev_id = claim.dev_id, made_psk,
              form_values = html ? form_values_of(request.body) : pages::FormValues{},
              respond](ClaimResult result) mutable {
    http::Response response;
    // The OTP was right, or never compared: the slots go back.
    if (result.storage_failed || result.outcome != ClaimOutcome::not_authorized)
      give_back(client, dev_id);
    if (result.storage_failed) {
      response = unavailable(html);
    } else {
      switch (result.outcome) {
        case ClaimOutcome::mapped:
          response = html ? page(200, pages::mapped(host_, *result.device, made_psk))
                          : http::make_response(200, "application/json", result.device->to_json());
          add_security_headers(response);
          break;
        case ClaimOutcome::already_used:
          response =
              html ? page(409, pages::already_used(host_, *result.device))
                   : problem_response(409, "otp-used", "OTP already used",
                                      "This device's OTP has already been used to map it to a "
                                      "Controller.",
                                      "", result.device);
          break;
        case ClaimOutcome::revoked:
          response = html ? page(410, pages::error(host_, 410, "Device revoked",
                                                   "The manufacturer has revoked this device."))
                          : problem_response(410, "revoked", "Device revoked",
                                             "The manufacturer has revoked this device.");
          break;
        case ClaimOutcome::not_authorized:
          response = not_authorized(html);
          break;
        case ClaimOutcome::locked:
          response = locked(html, 1);  // not reached: decided by take_slot
          break;
        case ClaimOutcome::psk_required: {
          const std::string detail =
              "This is a PSK Device (no key pair, docs/protocol.md 13.3): the claim must carry "
              "cpsk, a PSK for its link to the Controller (tte-introducer enroll --psk). Nothing "
              "was mapped; the OTP is still good.";
          if (html) {
            // The browser gets the form again, its values kept, the PSK field marked.
            form_values.psk_device = true;
            form_values.cpsk_generate = true;
            response = page(400, pages::form(host_, devid, form_values,
                                             "This device has no public-key crypto: it needs a "
                                             "link PSK. Type one, or tick \"Make a link PSK for "
                                             "me\".",
                                             "cpsk"));
          } else {
            response = problem_response(400, "psk-required", "PSK required", detail, "cpsk");
          }
          break;
        }
      }
    }
    response.log_fields.emplace_back("devid", devid);
    response.log_fields.emplace_back(
        "outcome", result.storage_failed ? "storage_failed" : claim_outcome_name(result.outcome));
    respond(std::move(response));
  };
  writer_.submit(std::move(job));
}

PublicApi::Checked PublicApi::check_credentials(const DeviceCredentials& credentials) {
  Checked checked;
  auto digest = options_.hasher.digest(credentials.dev_id, credentials.otp);
  {
    auto store = reads_.try_acquire();
    if (!store) {
      checked.storage_failed = true;
      return checked;
    }
    auto found = (*store)->device(credentials.dev_id);
    if (!found.ok()) {
      checked.storage_failed = true;
      return checked;
    }
    checked.device = found.value();
  }
  bool matches = checked.device && equal_constant_time(checked.device->otp_digest, digest);
  std::optional<DeviceStatus> known;
  if (checked.device) known = checked.device->status();
  checked.access = check_access(known, matches);
  return checked;
}

// Messages 7 and 8 (draft §2, §3.2; docs/protocol.md §5.4): a status query (a Controller's, or
// an Introducer's), answered with the state object.
void PublicApi::status(const http::Request& request, http::Respond respond) {
  const bool html = http::prefers_html(request);
  auto credentials = parse_device_credentials(request.query());
  if (!credentials.ok()) return respond(bad_request(html, credentials.error()));
  ThrottleState after;
  if (auto refused = take_slot(request, credentials->dev_id, html, &after))
    return respond(std::move(*refused));
  Checked checked = check_credentials(*credentials);
  if (checked.storage_failed) {
    give_back(request.client_address, credentials->dev_id);  // nothing was compared
    return respond(unavailable(html));
  }
  if (checked.access == Access::not_authorized)
    return refuse(credentials->dev_id, after, html, std::move(respond));
  give_back(request.client_address, credentials->dev_id);
  http::Response response =
      http::make_response(200, "application/json", checked.device->state_object().to_json());
  add_security_headers(response);
  response.log_fields.emplace_back("devid", std::string(credentials->dev_id.to_string().view()));
  respond(std::move(response));
}

void PublicApi::form(const http::Request& request, http::Respond respond) {
  auto credentials = parse_device_credentials(request.query());
  if (!credentials.ok()) return respond(bad_request(true, credentials.error()));
  ThrottleState after;
  if (auto refused = take_slot(request, credentials->dev_id, true, &after))
    return respond(std::move(*refused));
  Checked checked = check_credentials(*credentials);
  if (checked.storage_failed) {
    give_back(request.client_address, credentials->dev_id);
    return respond(unavailable(true));
  }
  if (checked.access == Access::not_authorized)
    return refuse(credentials->dev_id, after, true, std::move(respond));
  give_back(request.client_address, credentials->dev_id);
  const DeviceRecord& device = *checked.device;
  std::string devid(credentials->dev_id.to_string().view());
  http::Response response;
  if (device.revoked()) {
    response = page(410, pages::error(host_, 410, "Device revoked",
                                      "The manufacturer has revoked this device."));
  } else if (device.state != DeviceState::unmapped) {
    response = page(200, pages::already_used(host_, device.state_object()));
  } else {
    pages::FormValues values;
    values.psk_device = device.psk_device();
    values.cpsk_generate = device.psk_device();
    response = page(200, pages::form(host_, devid, values, "", ""));
  }
  response.log_fields.emplace_back("devid", devid);
  respond(std::move(response));
}

std::optional<http::Response> PublicApi::take_box_slots(const http::Request& request,
                                                        const BoxCredentials& box, bool html,
                                                        std::vector<ThrottleState>* after,
                                                        std::shared_ptr<BoxInFlight>* in_flight) {
  const std::int64_t now = options_.clock();
  if (boxes_in_flight_.fetch_add(1) >= kBoxesInFlight) {
    boxes_in_flight_.fetch_sub(1);
    http::Response response =
        unavailable(html, "The MotherShip is busy with other boxes. Try again.",
                    "Other boxes are being claimed here; try again.", 1);
    name_box_in_log(response, box);
    response.log_fields.emplace_back("outcome", "busy");
    return response;
  }
  *in_flight = std::make_shared<BoxInFlight>(boxes_in_flight_);
  // The client's limit counts the box once: it is one request, one key.
  if (auto wait = clients_.take(request.client_address, now)) return locked(html, *wait);
  OtpGuard::BoxResult slots = guard_.take_box(box.first, box.count, now);
  *after = std::move(slots.states);
  if (slots.verdict != OtpGuard::Verdict::taken) {
    // No OTP was compared: no member's slot stays taken, nor the client's.
    clients_.give_back(request.client_address, now);
    const bool throttled = slots.verdict == OtpGuard::Verdict::no_slot;
    http::Response response = throttled ? locked(html, slots.retry_after) : unavailable(html);
    name_box_in_log(response, box);
    response.log_fields.emplace_back("outcome", throttled ? "throttled" : "unavailable");
    return response;
  }
  return std::nullopt;
}

void PublicApi::give_back_box(const std::string& client, const BoxCredentials& box,
                              const std::vector<bool>& give_back, bool client_too) {
  const std::int64_t now = options_.clock();
  std::vector<bool> which(give_back.begin(), give_back.end());
  which.resize(box.count, false);
  guard_.give_back_box(box.first, which, now);
  if (client_too) clients_.give_back(client, now);
}

std::vector<OtpDigest> PublicApi::box_digests(const BoxCredentials& box) const {
  std::vector<OtpDigest> digests;
  digests.reserve(box.count);
  auto otps = BoxOtps::with_key(box.key);
  for (std::uint32_t i = 0; i < box.count; ++i) {
    const DevId dev_id(box.first.value() + i);
    // A key HMAC cannot take (it always can: 16 bytes) presents nothing that matches.
    digests.push_back(otps.ok() ? options_.hasher.digest(dev_id, otps->otp(dev_id)) : OtpDigest{});
  }
  return digests;
}

// Bulk enrollment (draft §5.2; docs/protocol.md §13.2): a whole box mapped to one Controller,
// all or none, in one writer job; the answer once it is on disk.
void PublicApi::box_claim(const http::Request& request, http::Respond respond) {
  const bool html = http::prefers_html(request);
  if (!is_form_body(request)) {
    return respond(
        problem_response(415, "", "Unsupported Media Type",
                         "send the claim in the URL or as application/x-www-form-urlencoded"));
  }
  auto parsed = BoxClaimRequest::parse(request.query(), request.body);
  if (!parsed.ok()) {
    if (!html) return respond(bad_request(false, parsed.error()));
    auto box = parse_box_credentials(request.query());
    if (!box.ok()) return respond(bad_request(true, parsed.error()));
    std::string field = field_label(parsed.error().field);
    return respond(
        page(400, pages::box_form(host_, box->first, box->count, form_values_of(request.body),
                                  "Please check " + field + ": " + parsed.error().message, field)));
  }
  const BoxClaimRequest& claim = parsed.value();
  BoxClaimJob job;
  std::shared_ptr<BoxInFlight> in_flight;
  if (auto refused = take_box_slots(request, claim.box, html, &job.throttle, &in_flight))
    return respond(std::move(*refused));
  job.first = claim.box.first;
  job.count = claim.box.count;
  job.presented = box_digests(claim.box);
  job.controller = ControllerBinding{claim.controller, claim.controller_fingerprint, claim.psk};
  job.description = claim.description;
  job.client = request.client_address;
  job.done = [this, html, box = claim.box, client = request.client_address, respond,
              in_flight](BoxClaimResult result) {
    http::Response response;
    if (result.storage_failed) {
      give_back_box(client, box, std::vector<bool>(box.count, true), true);
      response = unavailable(html);
    } else {
      give_back_box(client, box, result.give_back, result.outcome != ClaimOutcome::not_authorized);
      switch (result.outcome) {
        case ClaimOutcome::mapped: {
          BoxClaimAnswer answer{box.first, box.count, std::move(result.devices)};
          response = html ? page(200, pages::box_mapped(host_, answer))
                          : http::make_response(200, "application/json", answer.to_json());
          add_security_headers(response);
          break;
        }
        case ClaimOutcome::already_used: {
          const std::string detail =
              std::to_string(result.devices.size()) + " of the box's " + std::to_string(box.count) +
              " Devices have already been used or revoked; nothing was mapped.";
          response =
              html ? page(409, pages::box_already_used(host_, box.first, box.count, result.devices))
                   : problem_response(409, "otp-used", "OTP already used", detail, "", std::nullopt,
                                      result.devices);
          break;
        }
        default:
          response = not_authorized(html);
          break;
      }
    }
    name_box_in_log(response, box);
    response.log_fields.emplace_back(
        "outcome", result.storage_failed ? "storage_failed" : claim_outcome_name(result.outcome));
    in_flight->release();  // its slots are given back: the next box may come
    respond(std::move(response));
  };
  writer_.submit(std::move(job));
}

// The box's form page: the same checks as the claim's, read without writing.
void PublicApi::box_form(const http::Request& request, http::Respond respond) {
  auto parsed = parse_box_credentials(request.query());
  if (!parsed.ok()) return respond(bad_request(true, parsed.error()));
  const BoxCredentials& box = parsed.value();
  std::vector<ThrottleState> after;
  std::shared_ptr<BoxInFlight> in_flight;
  if (auto refused = take_box_slots(request, box, true, &after, &in_flight))
    return respond(std::move(*refused));
  std::vector<DeviceRecord> stored;
  {
    auto store = reads_.try_acquire();
    auto read = store ? (*store)->box_devices(box.first, box.count)
                      : Result<std::vector<DeviceRecord>>(
                            make_error(Errc::unavailable, "no reader", "database"));
    if (!read.ok()) {
      give_back_box(request.client_address, box, std::vector<bool>(box.count, true), true);
      return respond(unavailable(true));
    }
    stored = std::move(read).value();
  }
  std::vector<OtpDigest> digests = box_digests(box);
  std::vector<const DeviceRecord*> records(box.count, nullptr);
  for (const DeviceRecord& record : stored)
    records[record.dev_id.value() - box.first.value()] = &record;
  std::vector<BoxMember> members(box.count);
  for (std::uint32_t i = 0; i < box.count; ++i) {
    members[i].slot_taken = true;
    const OtpDigest none{};
    members[i].otp_matches =
        equal_constant_time(records[i] ? records[i]->otp_digest : none, digests[i]) &&
        records[i] != nullptr;
    if (records[i]) members[i].device = records[i]->status();
  }
  BoxDecision decision = decide_box_claim(members);
  if (decision.outcome == ClaimOutcome::not_authorized) {
    give_back_box(request.client_address, box, decision.give_back, false);
    BoxFailureJob failure;
    for (std::uint32_t i = 0; i < box.count; ++i) {
      if (!decision.give_back[i])
        failure.throttles.emplace_back(DevId(box.first.value() + i), after[i]);
    }
    http::Response refusal = not_authorized(true);
    refusal.log_fields.emplace_back("first", std::string(box.first.to_string().view()));
    refusal.log_fields.emplace_back("outcome", "not_authorized");
    failure.done = [this, refusal, respond](bool ok) { respond(ok ? refusal : unavailable(true)); };
    writer_.submit(std::move(failure));
    return;
  }
  give_back_box(request.client_address, box, decision.give_back, true);
  http::Response response;
  if (decision.outcome == ClaimOutcome::already_used) {
    std::vector<StateObject> used;
    for (std::size_t i : decision.used)
      used.push_back(records[i]->state_object());
    response = page(200, pages::box_already_used(host_, box.first, box.count, used));
  } else {
    response = page(200, pages::box_form(host_, box.first, box.count, pages::FormValues{}, "", ""));
  }
  name_box_in_log(response, box);
  respond(std::move(response));
}

}  // namespace tte::mothership
