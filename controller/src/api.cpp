#include "api.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "controller_web.hpp"
#include "notice_batch.hpp"
#include "tte/hex.hpp"
#include "tte/host/json_fields.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/host/page_template.hpp"
#include "tte/host/rfc3339.hpp"
#include "tte/host/status.hpp"
#include "tte/query.hpp"
#include "tte/span.hpp"

namespace tte::controller {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxBatch = 10000;
constexpr std::string_view kIntakePath = "/.well-known/tte/devices";
constexpr std::string_view kIntakeBatchPath = "/.well-known/tte/devices/batch";
constexpr const char* kSessionCookie = "tte_controller_session";
constexpr std::int64_t kSessionSeconds = 12 * 3600;

// Devices' payloads and links are any bytes: invalid UTF-8 becomes U+FFFD
// instead of a throw from dump().
std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

http::Response json_response(int status, const Json& body) {
  return http::make_response(status, "application/json", dump(body));
}

http::Response problem(int status, const std::string& title, const std::string& detail,
                       const std::string& field = "") {
  Problem p;
  p.status = status;
  p.type = "about:blank";
  p.title = title;
  p.detail = detail;
  p.field = field;
  return http::make_response(status, "application/problem+json", p.to_json());
}

// A page of the web interface (web/*.html) with the stylesheet inlined. The
// pages are part of the program: one that does not render is a bug, a 500.
http::Response html_page(int status, std::string_view page_template, PageValues values) {
  auto html = render_page(page_template, values.html("style", std::string(web::tte_css)));
  if (!html.ok()) return problem(500, "Internal Server Error", html.error().message);
  return http::make_response(status, "text/html; charset=utf-8", std::move(html).value());
}

Json time_or_null(const std::optional<std::int64_t>& time) {
  return time ? Json(format_rfc3339(*time)) : Json(nullptr);
}

std::string hex_of(ByteView bytes) {
  std::string out(bytes.size() * 2, '0');
  write_hex_lower(bytes, out.data());
  return out;
}

bool equal_tokens(std::string_view presented, const std::string& expected) {
  if (expected.empty()) return false;
  return equal_constant_time(
      ByteView(reinterpret_cast<const std::uint8_t*>(presented.data()), presented.size()),
      ByteView(reinterpret_cast<const std::uint8_t*>(expected.data()), expected.size()));
}

std::optional<std::string_view> bearer(const http::Request& request) {
  auto header = request.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() || header->substr(0, kBearer.size()) != kBearer) {
    return std::nullopt;
  }
  return header->substr(kBearer.size());
}

std::optional<std::string> cookie(const http::Request& request, std::string_view name) {
  auto header = request.header("Cookie");
  if (!header) return std::nullopt;
  std::string_view rest = *header;
  while (!rest.empty()) {
    std::size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    while (!pair.empty() && pair.front() == ' ')
      pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

// Percent-decodes one path segment or query value; nullopt if malformed.
std::optional<std::string> decode(std::string_view text, QueryStyle style) {
  std::string buffer(text.size() + 1, '\0');
  auto decoded = percent_decode(text, Span<char>(buffer.data(), buffer.size()), style, "path");
  if (!decoded.ok()) return std::nullopt;
  return std::string(decoded.value());
}

std::optional<std::string> query_value(const http::Request& request, std::string_view name) {
  QueryReader reader(request.query(), QueryStyle::url);
  QueryParameter parameter;
  while (reader.next(parameter)) {
    if (parameter.name == name) return decode(parameter.value, QueryStyle::url);
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Content-Format for an HTTP Content-Type (RFC 7252 section 12.3), or nullopt if unknown.
std::optional<unsigned> content_format_of(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ')
    type.remove_suffix(1);
  if (type == "text/plain") return 0u;
  if (type == "application/link-format") return 40u;
  if (type == "application/octet-stream") return 42u;
  if (type == "application/json") return 50u;
  if (type == "application/cbor") return 60u;
  return std::nullopt;
}

bool is_text(const std::string& payload) {
  // Printable UTF-8 without control characters other than tab and newlines.
  for (std::size_t i = 0; i < payload.size();) {
    auto c = static_cast<unsigned char>(payload[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
      if (c == 0x7f) return false;
      ++i;
      continue;
    }
    int length = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (length == 0 || i + length > payload.size()) return false;
    for (int k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(payload[i + k]) & 0xc0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

Json payload_json(Json out, const std::string& payload) {
  if (is_text(payload)) {
    out["payload"] = payload;
  } else {
    out["payload_hex"] =
        hex_of(ByteView(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  }
  return out;
}

Json notification_json(const Notification& n) {
  Json out{{"seq", n.seq}, {"time", format_rfc3339(n.time)}, {"code", coap_code_text(n.code)}};
  out["content_format"] = n.content_format ? Json(*n.content_format) : Json(nullptr);
  return payload_json(std::move(out), n.payload);
}

Json binding_json(const Binding& b) {
  return Json{{"id", b.id},
              {"source", {{"urn", b.source_urn}, {"path", b.source_path}}},
              {"target", {{"urn", b.target_urn}, {"path", b.target_path}}},
              {"created_at", format_rfc3339(b.created_at)},
              {"last_value", b.last_value},
              {"last_fired_at", time_or_null(b.last_fired_at)},
              {"last_error", b.last_error}};
}

bool valid_resource_path(std::string_view path) {
  if (path.size() < 2 || path.size() > 255 || path[0] != '/') return false;
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '?' || c == '#' || c == 0x7f) return false;
  }
  return path.find("//") == std::string_view::npos;
}

}  // namespace

std::string device_json(const DeviceEntry& d) {
  Json out{{"urn", d.urn},
           // A PSK Device has no key (docs/protocol.md §13.3); psk says whether the
           // Controller holds a PSK for it (never the PSK).
           {"fingerprint",
            d.psk_only ? Json(nullptr) : Json(std::string(d.fingerprint.to_string().view()))},
           {"psk", d.sealed_psk.has_value()},
           {"devid", d.dev_id ? Json(std::string(d.dev_id->to_string().view())) : Json(nullptr)},
           {"description", d.description},
           {"mothership", d.mothership},
           {"state", device_status_name(d.status())},
           {"connected", d.connected},
           {"sessions", d.sessions},
           {"announced_at", time_or_null(d.announced_at)},
           {"joined_at", time_or_null(d.joined_at)},
           {"last_seen", time_or_null(d.last_seen)},
           {"address", d.address}};
  if (d.registered) {
    out["registration"] = Json{{"location", "/" + d.location},
                               {"lifetime", d.lifetime},
                               {"registered_at", time_or_null(d.registered_at)},
                               {"expires_at", time_or_null(d.expires_at)},
                               {"links", d.links}};
  } else {
    out["registration"] = nullptr;
  }
  if (d.announced_at) {
    out["at_mothership"] = Json{{"state", d.ms_state.empty() ? Json(nullptr) : Json(d.ms_state)},
                                {"checked_at", time_or_null(d.ms_checked_at)},
                                {"next_check_at", time_or_null(d.ms_next_poll_at)},
                                {"error", d.ms_error}};
  }
  return dump(out);
}

Api::Api(ApiOptions options, Registry& registry, DeviceGateway& devices, Observations& observations)
    : options_(std::move(options)),
      registry_(registry),
      devices_(devices),
      observations_(observations),
      intake_url_(options_.identity.intake_url) {}

void Api::set_intake_url(std::string url) {
  std::lock_guard lock(intake_url_mutex_);
  intake_url_ = std::move(url);
}

std::string Api::intake_url() const {
  std::lock_guard lock(intake_url_mutex_);
  return intake_url_;
}

bool Api::api_authorised(const http::Request& request, bool allow_cookie) const {
  if (auto token = bearer(request)) return equal_tokens(*token, options_.api_token);
  return allow_cookie && valid_session(request);
}

bool Api::intake_authorised(const http::Request& request) const {
  auto token = bearer(request);
  return token &&
         (equal_tokens(*token, options_.intake_token) || equal_tokens(*token, options_.api_token));
}

std::string Api::new_session() {
  std::uint8_t bytes[32];
  if (!random_bytes(MutableByteView(bytes, sizeof bytes)).ok()) return {};
  std::string id = hex_of(ByteView(bytes, sizeof bytes));
  const std::int64_t now = options_.clock();
  std::lock_guard lock(sessions_mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = it->second <= now ? sessions_.erase(it) : std::next(it);
  sessions_[id] = now + kSessionSeconds;
  return id;
}

bool Api::valid_session(const http::Request& request) const {
  auto id = cookie(request, kSessionCookie);
  if (!id) return false;
  std::lock_guard lock(sessions_mutex_);
  auto it = sessions_.find(*id);
  return it != sessions_.end() && it->second > options_.clock();
}

void Api::end_session(const http::Request& request) {
  if (auto id = cookie(request, kSessionCookie)) {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(*id);
  }
}

http::Admission Api::admit(const http::Request& head) const {
  const std::string_view path = head.path();
  constexpr std::string_view kApi = "/api/v1/";
  if ((path == kIntakePath || path == kIntakeBatchPath) && head.method == "POST") {
    if (!intake_authorised(head)) {
      auto response = problem(401, "Unauthorized", "send Authorization: Bearer <the intake token>");
      response.set_header("WWW-Authenticate", "Bearer realm=\"tte-controller intake\"");
      return http::Admission::refuse(std::move(response));
    }
    return http::Admission::allow(path == kIntakePath ? kNoticeBodyLimit : kNoticeBatchBodyLimit);
  }
  if (path.substr(0, kApi.size()) == kApi) {
    if (!api_authorised(head, head.method == "GET")) {
      auto response = problem(401, "Unauthorized", "send Authorization: Bearer <the API token>");
      response.set_header("WWW-Authenticate", "Bearer realm=\"tte-controller\"");
      return http::Admission::refuse(std::move(response));
    }
    std::string_view rest = path.substr(kApi.size());
    if (rest == "requests") return http::Admission::allow(kBatchBodyLimit);
    if (rest.substr(0, 8) == "devices/") return http::Admission::allow(64 * 1024);
  }
  return http::Admission::allow(8 * 1024);
}

void Api::handle(http::Request request, http::Respond respond, bool over_tls) {
  const std::string_view path = request.path();
  const std::string& method = request.method;

  if (path == kIntakePath || path == kIntakeBatchPath) {
    if (method != "POST") {
      auto response = problem(405, "Method Not Allowed", "use POST");
      response.set_header("Allow", "POST");
      return respond(std::move(response));
    }
    if (path == kIntakeBatchPath) return intake_batch(request, respond);
    return intake(request, respond);
  }
  if (path == "/health") {
    // For health checks (docker-compose, monitoring): the HTTP side answers.
    if (method != "GET") return respond(problem(405, "Method Not Allowed", "use GET"));
    auto response = http::make_response(200, "application/json", "{\"status\":\"ok\"}\n");
    response.set_header("Cache-Control", "no-store");
    return respond(std::move(response));
  }
  if (path == "/" || path == "/index.html") {
    if (method != "GET") return respond(problem(405, "Method Not Allowed", "use GET"));
    if (!valid_session(request)) {
      http::Response response;
      response.status = 303;
      response.set_header("Location", "/login");
      return respond(std::move(response));
    }
    return respond(dashboard());
  }
  if (path == "/login") {
    if (method == "GET") {
      return respond(html_page(200, web::login_html, PageValues()));
    }
    if (method != "POST") return respond(problem(405, "Method Not Allowed", "use GET or POST"));
    std::optional<std::string> token;
    QueryReader reader(request.body, QueryStyle::form);
    QueryParameter parameter;
    while (reader.next(parameter)) {
      if (parameter.name == "token") token = decode(parameter.value, QueryStyle::form);
    }
    if (!token || !equal_tokens(*token, options_.api_token)) {
      auto response = html_page(401, web::wrong_token_html, PageValues());
      response.log_fields.emplace_back("outcome", "login_refused");
      return respond(std::move(response));
    }
    std::string id = new_session();
    http::Response response;
    response.status = 303;
    response.set_header("Location", "/");
    response.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + id +
                                          "; Path=/; HttpOnly; SameSite=Strict" +
                                          (over_tls ? "; Secure" : ""));
    return respond(std::move(response));
  }
  if (path == "/logout") {
    if (method != "POST") return respond(problem(405, "Method Not Allowed", "use POST"));
    end_session(request);
    http::Response response;
    response.status = 303;
    response.set_header("Location", "/login");
    response.set_header("Set-Cookie", std::string(kSessionCookie) +
                                          "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    return respond(std::move(response));
  }

  constexpr std::string_view kApi = "/api/v1/";
  if (path.substr(0, kApi.size()) == kApi) {
    if (!api_authorised(request, method == "GET")) {
      auto response = problem(401, "Unauthorized", "send Authorization: Bearer <the API token>");
      response.set_header("WWW-Authenticate", "Bearer realm=\"tte-controller\"");
      return respond(std::move(response));
    }
    std::string_view rest = path.substr(kApi.size());
    if (rest == "controller") {
      return respond(json_response(
          200, Json{{"fingerprint", std::string(options_.identity.fingerprint.to_string().view())},
                    {"coaps", options_.identity.coaps},
                    {"intake", intake_url()},
                    {"policy", policy_name(registry_.policy())}}));
    }
    if (rest == "devices" || rest.substr(0, 8) == "devices/") {
      return devices_route(request, rest.size() > 8 ? rest.substr(8) : std::string_view(), respond);
    }
    if (rest == "requests") {
      if (method != "POST") return respond(problem(405, "Method Not Allowed", "use POST"));
      return batch(request, respond);
    }
    if (rest == "bindings" || rest.substr(0, 9) == "bindings/") {
      return bindings_route(request, rest.size() > 9 ? rest.substr(9) : std::string_view(),
                            respond);
    }
  }
  respond(problem(404, "Not Found", "There is nothing here."));
}

// Message 6 (draft §2; docs/protocol.md §10): an Introducer announces a
// Device ("expect this one"), stored by Registry::announce.
void Api::intake(const http::Request& request, const http::Respond& respond) {
  if (!intake_authorised(request)) {
    auto response = problem(401, "Unauthorized", "send Authorization: Bearer <the intake token>");
    response.set_header("WWW-Authenticate", "Bearer realm=\"tte-controller intake\"");
    return respond(std::move(response));
  }
  auto type = request.header("Content-Type");
  if (type && content_format_of(*type) != 50u) {
    return respond(problem(415, "Unsupported Media Type", "send the notice as application/json"));
  }
  auto notice = DeviceNotice::from_json(request.body, IdPolicy::allow_example);
  if (!notice.ok()) {
    const Error& e = notice.error();
    return respond(problem(400, "Malformed notice",
                           std::string(e.field ? std::string(e.field) + ": " : "") + e.message,
                           e.field ? e.field : ""));
  }
  auto announced = registry_.announce(notice.value(), options_.clock());
  if (!announced.ok()) {
    const Error& e = announced.error();
    const WireStatus wire = wire_status(e.code);
    if (wire.http < 500)
      return respond(problem(wire.http, wire.http_title, e.message, e.field ? e.field : ""));
    return respond(
        problem(wire.http, wire.http_title, "the notice could not be stored; send it again"));
  }
  auto device = registry_.device(std::string(notice->urn.view()));
  http::Response response =
      http::make_response(announced.value() == Announced::created ? 201 : 200, "application/json",
                          device ? device_json(*device) : "{}");
  response.log_fields.emplace_back("urn", std::string(notice->urn.view()));
  response.log_fields.emplace_back(
      "outcome", announced.value() == Announced::created ? "announced" : "repeated");
  respond(std::move(response));
}

// Message 6 in bulk (docs/protocol.md §10.2): {"notices":[<notice>,...]}, 1 to
// 10,000 of them, stored in one transaction by Registry::announce_all. The
// answer lists each notice's result in order, so that a partly bad batch
// stores the good ones and its sender learns which were refused.
void Api::intake_batch(const http::Request& request, const http::Respond& respond) {
  if (!intake_authorised(request)) {
    auto response = problem(401, "Unauthorized", "send Authorization: Bearer <the intake token>");
    response.set_header("WWW-Authenticate", "Bearer realm=\"tte-controller intake\"");
    return respond(std::move(response));
  }
  auto type = request.header("Content-Type");
  if (type && content_format_of(*type) != 50u) {
    return respond(problem(415, "Unsupported Media Type", "send the notices as application/json"));
  }
  auto parsed = parse_notice_batch(request.body);
  if (!parsed.ok()) {
    return respond(problem(400, "Malformed batch", parsed.error().message, "notices"));
  }
  const NoticeBatch& batch = parsed.value();
  const std::vector<DeviceNotice>& notices = batch.notices;
  const std::vector<std::size_t>& index_of = batch.index_of;
  const std::vector<std::optional<Error>>& malformed = batch.malformed;
  auto stored = registry_.announce_all(notices, options_.clock());
  if (!stored.ok()) {
    const WireStatus wire = wire_status(stored.error().code);
    return respond(
        problem(wire.http, wire.http_title, "the notices could not be stored; send them again"));
  }
  // As the single route words them: a malformed notice's detail names its field.
  auto problem_json = [](int status, const char* title, const Error& e) {
    const bool bad_member = status == 400;
    Json out{{"type", "about:blank"},
             {"title", title},
             {"status", status},
             {"detail",
              std::string(bad_member && e.field ? std::string(e.field) + ": " : "") + e.message}};
    if (e.field) out["field"] = e.field;
    return out;
  };
  std::vector<Json> results(batch.size);
  std::size_t created = 0, repeated = 0, refused = 0;
  for (std::size_t i = 0; i < batch.size; ++i) {
    if (malformed[i]) {
      results[i] =
          Json{{"status", 400}, {"problem", problem_json(400, "Malformed notice", *malformed[i])}};
      ++refused;
    }
  }
  for (std::size_t n = 0; n < notices.size(); ++n) {
    const Result<Announced>& result = stored.value()[n];
    Json& out = results[index_of[n]];
    if (result.ok()) {
      const bool is_new = result.value() == Announced::created;
      out = Json{{"status", is_new ? 201 : 200},
                 {"urn", std::string(notices[n].urn.view())},
                 {"devid", std::string(notices[n].dev_id.to_string().view())}};
      ++(is_new ? created : repeated);
    } else {
      const WireStatus wire = wire_status(result.error().code);
      out = Json{{"status", wire.http},
                 {"urn", std::string(notices[n].urn.view())},
                 {"devid", std::string(notices[n].dev_id.to_string().view())},
                 {"problem", problem_json(wire.http, wire.http_title, result.error())}};
      ++refused;
    }
  }
  http::Response response = json_response(200, Json{{"created", created},
                                                    {"repeated", repeated},
                                                    {"refused", refused},
                                                    {"results", std::move(results)}});
  response.log_fields.emplace_back("notices", static_cast<std::int64_t>(batch.size));
  response.log_fields.emplace_back("created", static_cast<std::int64_t>(created));
  response.log_fields.emplace_back("refused", static_cast<std::int64_t>(refused));
  respond(std::move(response));
}

void Api::devices_route(const http::Request& request, std::string_view rest,
                        const http::Respond& respond) {
  if (rest.empty()) {
    if (request.method != "GET") return respond(problem(405, "Method Not Allowed", "use GET"));
    Json list = Json::array();
    for (const auto& d : registry_.devices())
      list.push_back(Json::parse(device_json(d)));
    return respond(json_response(200, Json{{"devices", list}}));
  }
  // devices/<urn>[/resources/<path> | /observe/<path>]
  std::size_t slash = rest.find('/');
  auto urn = decode(rest.substr(0, slash), QueryStyle::url);
  if (!urn) return respond(problem(400, "Bad Request", "malformed URN in the path"));
  if (slash == std::string_view::npos) {
    if (request.method == "GET") {
      auto device = registry_.device(*urn);
      if (!device) return respond(problem(404, "Not Found", "no device " + *urn));
      return respond(http::make_response(200, "application/json", device_json(*device)));
    }
    if (request.method == "DELETE") {
      Status removed = registry_.remove(*urn);
      if (!removed.ok()) {
        const WireStatus wire = wire_status(removed.error().code);
        return respond(problem(wire.http, wire.http_title,
                               wire.http < 500 ? "no device " + *urn : "try again"));
      }
      devices_.bindings_changed();
      http::Response response;
      response.status = 204;
      return respond(std::move(response));
    }
    return respond(problem(405, "Method Not Allowed", "use GET or DELETE"));
  }
  std::string_view tail = rest.substr(slash + 1);
  for (std::string_view kind : {std::string_view("resources"), std::string_view("observe")}) {
    if (tail.substr(0, kind.size()) == kind && tail.size() > kind.size() + 1 &&
        tail[kind.size()] == '/') {
      auto path = decode(tail.substr(kind.size()), QueryStyle::url);
      if (!path || !valid_resource_path(*path))
        return respond(problem(400, "Bad Request", "malformed resource path"));
      if (kind == "resources") return resource(request, *urn, *path, respond);
      return observe(request, *urn, *path, respond);
    }
  }
  respond(problem(404, "Not Found", "There is nothing here."));
}

void Api::resource(const http::Request& request, const std::string& urn, const std::string& path,
                   const http::Respond& respond) {
  auto method = parse_method(request.method);
  if (!method.ok())
    return respond(problem(405, "Method Not Allowed", "use GET, PUT, POST or DELETE"));
  DeviceRequest device_request;
  device_request.urn = urn;
  device_request.method = method.value();
  device_request.path = path;
  device_request.payload = request.body;
  if (auto type = request.header("Content-Type"); type && !request.body.empty()) {
    device_request.content_format = content_format_of(*type);
    if (!device_request.content_format) {
      return respond(problem(
          415, "Unsupported Media Type",
          "use text/plain, application/json, application/cbor or application/octet-stream"));
    }
  } else if (!request.body.empty()) {
    device_request.content_format = 0;  // text/plain
  }
  devices_.request(std::move(device_request), [respond, urn, path](DeviceReply reply) {
    switch (reply.failure) {
      case DeviceReply::Failure::none:
        break;
      case DeviceReply::Failure::unknown_device:
        return respond(problem(404, "Not Found", reply.error));
      case DeviceReply::Failure::not_connected:
        return respond(problem(409, "Device not connected", reply.error));
      case DeviceReply::Failure::timeout:
        return respond(problem(504, "Gateway Timeout", reply.error));
      case DeviceReply::Failure::refused:
      case DeviceReply::Failure::failed:
        return respond(problem(502, "Bad Gateway", reply.error));
    }
    Json out{{"urn", urn}, {"path", path}, {"code", coap_code_text(reply.code)}};
    out["content_format"] = reply.content_format ? Json(*reply.content_format) : Json(nullptr);
    http::Response response = json_response(200, payload_json(std::move(out), reply.payload));
    response.log_fields.emplace_back("coap_code", coap_code_text(reply.code));
    respond(std::move(response));
  });
}

void Api::observe(const http::Request& request, const std::string& urn, const std::string& path,
                  const http::Respond& respond) {
  if (request.method != "GET") return respond(problem(405, "Method Not Allowed", "use GET"));
  if (!registry_.device(urn)) return respond(problem(404, "Not Found", "no device " + urn));
  std::int64_t wait = 30;
  if (auto text = query_value(request, "wait")) {
    auto value = parse_int(*text);
    if (!value || *value < 0 || *value > 300)
      return respond(problem(400, "Bad Request", "wait is 0-300 seconds"));
    wait = *value;
  }
  const std::string key = Observations::key(urn, path);
  std::uint64_t after = 0;
  if (auto text = query_value(request, "after")) {
    auto value = parse_int(*text);
    if (!value || *value < 0)
      return respond(problem(400, "Bad Request", "after is a sequence number"));
    after = static_cast<std::uint64_t>(*value);
  } else {
    std::uint64_t latest = observations_.latest(key);
    after = latest > 0 ? latest - 1 : 0;  // the current value, then what follows
  }
  devices_.observe(urn, path);
  observations_.wait(
      key, after, options_.steady_ms() + wait * 1000,
      [respond, urn, path](std::vector<Notification> n) {
        Json list = Json::array();
        for (const auto& notification : n)
          list.push_back(notification_json(notification));
        respond(json_response(200, Json{{"urn", urn}, {"path", path}, {"notifications", list}}));
      });
}

// POST /api/v1/requests: many Device requests in one call ("every light off"),
// sent at once; the answer lists the replies in the same order.
void Api::batch(const http::Request& request, const http::Respond& respond) {
  auto body = tte::json::parse_untrusted(request.body);
  if (body.is_discarded() || !body.is_object() || !body.contains("requests") ||
      !body["requests"].is_array()) {
    return respond(problem(400, "Bad Request",
                           "send {\"requests\":[{\"urn\":...,\"method\":...,\"path\":...}]}"));
  }
  const auto& list = body["requests"];
  if (list.empty() || list.size() > kMaxBatch) {
    return respond(problem(400, "Bad Request",
                           "a batch holds 1 to " + std::to_string(kMaxBatch) + " requests"));
  }
  std::vector<DeviceRequest> requests;
  requests.reserve(list.size());
  for (const auto& item : list) {
    auto text = [&](const char* name, const char* fallback) -> std::optional<std::string> {
      if (!item.is_object()) return std::nullopt;
      auto it = item.find(name);
      if (it == item.end()) return fallback ? std::optional<std::string>(fallback) : std::nullopt;
      return it->is_string() ? std::optional<std::string>(it->get<std::string>()) : std::nullopt;
    };
    auto urn = text("urn", nullptr), method = text("method", "GET"), path = text("path", nullptr);
    auto payload = text("payload", ""), type = text("content_type", "text/plain");
    if (!urn || !method || !path || !payload || !type || !valid_resource_path(*path) ||
        !parse_method(*method).ok()) {
      return respond(problem(400, "Bad Request",
                             "request " + std::to_string(requests.size()) +
                                 " needs urn, path (/x), and GET/PUT/POST/DELETE"));
    }
    DeviceRequest device_request{
        *urn, parse_method(*method).value(), *path, *payload, std::nullopt, std::nullopt};
    if (!payload->empty()) {
      device_request.content_format = content_format_of(*type);
      if (!device_request.content_format)
        return respond(problem(415, "Unsupported Media Type", *type));
    }
    requests.push_back(std::move(device_request));
  }
  struct Collected {
    std::mutex mutex;
    std::vector<Json> replies;
    std::size_t left;
    http::Respond respond;
  };
  auto collected = std::make_shared<Collected>();
  collected->replies.resize(requests.size());
  collected->left = requests.size();
  collected->respond = respond;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    std::string urn = requests[i].urn;
    devices_.request(std::move(requests[i]), [collected, i, urn](DeviceReply reply) {
      Json out{{"urn", urn}};
      if (reply.failure == DeviceReply::Failure::none) {
        out["code"] = coap_code_text(reply.code);
        out = payload_json(std::move(out), reply.payload);
      } else {
        out["error"] = reply.error;
      }
      std::lock_guard lock(collected->mutex);
      collected->replies[i] = std::move(out);
      if (--collected->left == 0) {
        collected->respond(json_response(200, Json{{"replies", std::move(collected->replies)}}));
      }
    });
  }
}

void Api::bindings_route(const http::Request& request, std::string_view rest,
                         const http::Respond& respond) {
  if (rest.empty()) {
    if (request.method == "GET") {
      Json list = Json::array();
      for (const auto& b : registry_.bindings())
        list.push_back(binding_json(b));
      return respond(json_response(200, Json{{"bindings", list}}));
    }
    if (request.method != "POST")
      return respond(problem(405, "Method Not Allowed", "use GET or POST"));
    auto body = tte::json::parse_untrusted(request.body);
    auto member = [&](const char* side, const char* name) -> std::string {
      if (!body.is_object() || !body.contains(side) || !body[side].is_object()) return {};
      auto it = body[side].find(name);
      return it != body[side].end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string source_urn = member("source", "urn"), source_path = member("source", "path");
    std::string target_urn = member("target", "urn"), target_path = member("target", "path");
    if (body.is_discarded() || source_urn.empty() || target_urn.empty()) {
      return respond(problem(
          400, "Bad Request",
          "send {\"source\":{\"urn\":...,\"path\":...},\"target\":{\"urn\":...,\"path\":...}}"));
    }
    if (!valid_resource_path(source_path) || !valid_resource_path(target_path)) {
      return respond(problem(400, "Bad Request", "paths look like /switch"));
    }
    auto added =
        registry_.add_binding(source_urn, source_path, target_urn, target_path, options_.clock());
    if (!added.ok()) {
      const Error& e = added.error();
      const WireStatus wire = wire_status(e.code);
      return respond(
          problem(wire.http, wire.http < 500 ? "Cannot bind" : wire.http_title, e.message));
    }
    devices_.bindings_changed();
    return respond(json_response(201, binding_json(added.value())));
  }
  auto id = parse_int(rest);
  if (!id) return respond(problem(404, "Not Found", "no such binding"));
  if (request.method != "DELETE") return respond(problem(405, "Method Not Allowed", "use DELETE"));
  Status removed = registry_.remove_binding(*id);
  if (!removed.ok()) return respond(problem(404, "Not Found", "no such binding"));
  devices_.bindings_changed();
  http::Response response;
  response.status = 204;
  respond(std::move(response));
}

http::Response Api::dashboard() const {
  auto devices = registry_.devices();
  std::sort(devices.begin(), devices.end(), [](const DeviceEntry& a, const DeviceEntry& b) {
    return a.urn != b.urn ? a.urn < b.urn
                          : a.fingerprint.to_string().view() < b.fingerprint.to_string().view();
  });
  auto when = [](const std::optional<std::int64_t>& t) {
    return t ? format_rfc3339(*t) : std::string("-");
  };
  auto or_dash = [](const std::string& text) { return text.empty() ? std::string("-") : text; };
  auto fail = [](const Error& e) { return problem(500, "Internal Server Error", e.message); };
  std::string rows;
  for (const auto& d : devices) {
    const DeviceStatus status = d.status();
    std::string ms =
        d.ms_state.empty() ? (d.announced_at && !d.joined_at ? "asking" : "-") : d.ms_state;
    if (!d.ms_error.empty()) ms += " (" + d.ms_error + ")";
    auto row = render_page(web::device_row_html,
                           PageValues()
                               .text("urn", d.urn.empty() ? "(not registered)" : d.urn)
                               .text("description", d.description)
                               .text("badge", status == DeviceStatus::registered ? "ok"
                                              : status == DeviceStatus::expired  ? "warn"
                                                                                 : "")
                               .text("state", device_status_name(status))
                               .text("connected", d.connected ? "connected" : "")
                               .text("at_mothership", ms)
                               .text("last_seen", when(d.last_seen))
                               .text("address", or_dash(d.address))
                               .text("resources", or_dash(d.links)));
    if (!row.ok()) return fail(row.error());
    rows += row.value();
  }
  std::string binding_rows;
  for (const auto& b : registry_.bindings()) {
    auto row =
        render_page(web::binding_row_html, PageValues()
                                               .text("source", b.source_urn + " " + b.source_path)
                                               .text("target", b.target_urn + " " + b.target_path)
                                               .text("last_value", or_dash(b.last_value))
                                               .text("last_fired_at", when(b.last_fired_at))
                                               .text("last_error", b.last_error));
    if (!row.ok()) return fail(row.error());
    binding_rows += row.value();
  }
  auto empty_row = [](const char* columns, const char* message) {
    return render_page(web::empty_row_html,
                       PageValues().text("columns", columns).text("message", message));
  };
  if (rows.empty()) {
    auto row = empty_row("6", "No devices yet. Installers announce them with tte-introducer.");
    if (!row.ok()) return fail(row.error());
    rows = std::move(row).value();
  }
  if (binding_rows.empty()) {
    auto row = empty_row("3", "No bindings.");
    if (!row.ok()) return fail(row.error());
    binding_rows = std::move(row).value();
  }
  auto response =
      html_page(200, web::dashboard_html,
                PageValues()
                    .text("refresh_seconds", std::to_string(options_.dashboard_refresh_seconds))
                    .text("coaps", options_.identity.coaps)
                    .text("fingerprint", options_.identity.fingerprint.to_string().view())
                    .text("policy", policy_name(registry_.policy()))
                    .text("device_count", std::to_string(devices.size()))
                    .html("device_rows", std::move(rows))
                    .html("binding_rows", std::move(binding_rows)));
  response.set_header("Cache-Control", "no-store");
  return response;
}

}  // namespace tte::controller
