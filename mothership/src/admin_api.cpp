#include "admin_api.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "public_api.hpp"
#include "tte/host/rfc3339.hpp"
#include "tte/host/status.hpp"
#include "tte/query.hpp"

namespace tte::mothership {
namespace {

constexpr std::string_view kDevicesPath = "/admin/v1/devices";
constexpr std::string_view kAuditPath = "/admin/v1/audit";

http::Response json_response(int status, const std::string& body) {
  http::Response response = http::make_response(status, "application/json", body);
  add_security_headers(response);
  return response;
}

bool authorized(const http::Request& request, const std::string& token) {
  auto header = request.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() || header->substr(0, kBearer.size()) != kBearer) {
    return false;
  }
  std::string_view presented = header->substr(kBearer.size());
  return equal_constant_time(
      ByteView(reinterpret_cast<const std::uint8_t*>(presented.data()), presented.size()),
      ByteView(reinterpret_cast<const std::uint8_t*>(token.data()), token.size()));
}

Result<std::int64_t> parse_count(std::string_view text, const char* field) {
  if (text.empty() || text.size() > 12) return make_error(Errc::syntax, "not a number", field);
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return make_error(Errc::syntax, "not a number", field);
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string admin_device_json(const DeviceRecord& device, const ThrottleState& throttle,
                              const GuessPolicy& policy, std::int64_t now) {
  auto json = nlohmann::ordered_json::parse(device.state_object().to_json());
  json["revoked_at"] = device.revoked_at
                           ? nlohmann::ordered_json(format_rfc3339(*device.revoked_at))
                           : nlohmann::ordered_json(nullptr);
  if (device.controller) {
    json["controller"] = {
        {"address", std::string(device.controller->address.to_string().view())},
        {"fingerprint", std::string(device.controller->fingerprint.to_string().view())},
        {"psk", device.controller->has_psk()}};
  } else {
    json["controller"] = nullptr;
  }
  json["description"] = device.description;
  // The bucket of OTP checks as last stored (after the last wrong OTP).
  ThrottleState bucket = refilled(throttle, now, policy);
  const int left = checks_left(throttle, now, policy);
  json["throttle"] = {
      {"checks_left", left},
      {"next_check_at", left < policy.burst
                            ? nlohmann::ordered_json(format_rfc3339(bucket.since + policy.interval))
                            : nlohmann::ordered_json(nullptr)},
      {"emptied", throttle.emptied}};
  return json.dump();
}

AdminApi::AdminApi(std::string token, MotherShipIdentity identity, ReadPool& reads, Writer& writer,
                   Clock clock, GuessPolicy guess_policy)
    : token_(std::move(token)),
      identity_(std::move(identity)),
      reads_(reads),
      writer_(writer),
      clock_(std::move(clock)),
      guess_policy_(guess_policy) {}

void AdminApi::identity(http::Respond respond) {
  std::optional<DevId> next;
  {
    auto store = reads_.try_acquire();
    auto free = store ? (*store)->next_free_dev_id()
                      : Result<std::optional<DevId>>(make_error(Errc::io, "no database"));
    if (!free.ok()) {
      return respond(
          problem_response(503, "", "Service Unavailable", "the database is unavailable"));
    }
    next = free.value();
  }
  nlohmann::ordered_json json{
      {"ms_id", identity_.ms_id.value()},
      {"host", std::string(identity_.ms_id.host().view())},
      {"dtls_fingerprint", std::string(identity_.dtls_fingerprint.to_string().view())},
      {"coaps", identity_.coaps_public},
      {"next_devid", next ? nlohmann::ordered_json(std::string(next->to_string().view()))
                          : nlohmann::ordered_json(nullptr)}};
  respond(json_response(200, json.dump()));
}

http::Response AdminApi::unauthorized() const {
  http::Response response =
      problem_response(401, "", "Unauthorized", "send Authorization: Bearer <the admin token>");
  response.set_header("WWW-Authenticate", "Bearer realm=\"tte-mothership admin\"");
  return response;
}

http::Admission AdminApi::admit(const http::Request& head) const {
  if (!authorized(head, token_)) return http::Admission::refuse(unauthorized());
  if (head.method == "POST" && head.path() == kDevicesPath)
    return http::Admission::allow(kRecordsBodyLimit);
  return http::Admission::allow(kOtherBodyLimit);
}

void AdminApi::handle(const http::Request& request, http::Respond respond) {
  if (!authorized(request, token_)) return respond(unauthorized());
  std::string_view path = request.path();
  if (path == kDevicesPath) {
    if (request.method == "POST") return add_devices(request, std::move(respond));
    http::Response response = problem_response(405, "", "Method Not Allowed", "use POST");
    response.set_header("Allow", "POST");
    return respond(std::move(response));
  }
  if (path == "/admin/v1/mothership") {
    if (request.method == "GET") return identity(std::move(respond));
    http::Response response = problem_response(405, "", "Method Not Allowed", "use GET");
    response.set_header("Allow", "GET");
    return respond(std::move(response));
  }
  if (path == kAuditPath) {
    if (request.method == "GET") return audit(request, std::move(respond));
    http::Response response = problem_response(405, "", "Method Not Allowed", "use GET");
    response.set_header("Allow", "GET");
    return respond(std::move(response));
  }
  if (path.size() > kDevicesPath.size() + 1 &&
      path.substr(0, kDevicesPath.size() + 1) == "/admin/v1/devices/") {
    std::string_view rest = path.substr(kDevicesPath.size() + 1);
    std::string_view devid_text = rest.substr(0, rest.find('/'));
    std::string_view action =
        rest.size() > devid_text.size() ? rest.substr(devid_text.size() + 1) : "";
    auto dev_id = DevId::parse(devid_text);
    if (!dev_id.ok()) {
      return respond(problem_response(400, "bad-parameter", "Malformed request",
                                      std::string("devid: ") + dev_id.error().message, "devid"));
    }
    if (action.empty() && request.method == "GET") return show_device(*dev_id, std::move(respond));
    if ((action == "revoke" || action == "unrevoke") && request.method == "POST") {
      return revoke(*dev_id, action == "revoke", std::move(respond));
    }
    if (action.empty() || action == "revoke" || action == "unrevoke") {
      http::Response response =
          problem_response(405, "", "Method Not Allowed", action.empty() ? "use GET" : "use POST");
      response.set_header("Allow", action.empty() ? "GET" : "POST");
      return respond(std::move(response));
    }
  }
  respond(problem_response(404, "", "Not Found", "no such admin resource"));
}

// Message 2 (draft §2; docs/protocol.md §7): POST /admin/v1/devices, the factory's device
// records, stored all or none.
void AdminApi::add_devices(const http::Request& request, http::Respond respond) {
  std::vector<FactoryRecord> records;
  std::set<std::uint32_t> dev_ids;
  std::set<std::string> urns;
  std::istringstream lines(request.body);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    auto record = FactoryRecord::from_json(line);
    if (!record.ok()) {
      const Error& e = record.error();
      return respond(problem_response(400, "bad-parameter", "Malformed device record",
                                      "line " + std::to_string(number) + ": " +
                                          (e.field ? e.field : "record") + ": " + e.message,
                                      e.field ? e.field : ""));
    }
    if (!dev_ids.insert(record->dev_id.value()).second ||
        !urns.insert(std::string(record->urn.view())).second) {
      return respond(problem_response(409, "", "Duplicate device",
                                      "line " + std::to_string(number) + ": Dev ID " +
                                          std::string(record->dev_id.to_string().view()) +
                                          " or URN " + std::string(record->urn.view()) +
                                          " appears twice in the request"));
    }
    records.push_back(std::move(record.value()));
  }
  if (records.empty()) {
    return respond(problem_response(400, "bad-parameter", "Malformed request",
                                    "no device records in the body"));
  }
  std::size_t count = records.size();
  writer_.submit(ImportJob{
      std::move(records), "admin", [respond, count](Status status, std::string which) {
        if (status.ok()) {
          http::Response response = json_response(200, "{\"added\":" + std::to_string(count) + "}");
          response.log_fields.emplace_back("added", static_cast<std::int64_t>(count));
          return respond(std::move(response));
        }
        if (status.error().code == Errc::duplicate) {
          return respond(problem_response(wire_status(Errc::duplicate).http, "", "Duplicate device",
                                          which + " is already stored; nothing was added"));
        }
        http::Response response = problem_response(
            503, "", "Service Unavailable", "the database is unavailable; nothing was added");
        response.set_header("Retry-After", "5");
        respond(std::move(response));
      }});
}

void AdminApi::show_device(DevId dev_id, http::Respond respond) {
  auto store = reads_.try_acquire();
  if (!store) {
    return respond(problem_response(503, "", "Service Unavailable", "the database is unavailable"));
  }
  auto device = (*store)->device(dev_id);
  auto throttle = (*store)->throttle(dev_id);
  if (!device.ok() || !throttle.ok()) {
    return respond(problem_response(503, "", "Service Unavailable", "the database is unavailable"));
  }
  if (!device.value())
    return respond(problem_response(404, "", "Not Found", "no device with that Dev ID"));
  respond(json_response(
      200, admin_device_json(*device.value(), throttle.value(), guess_policy_, clock_())));
}

void AdminApi::revoke(DevId dev_id, bool revoke, http::Respond respond) {
  writer_.submit(RevocationJob{
      dev_id, revoke, "admin", [this, dev_id, respond](Result<std::optional<DeviceRecord>> result) {
        if (!result.ok()) {
          return respond(
              problem_response(503, "", "Service Unavailable", "the database is unavailable"));
        }
        if (!result.value())
          return respond(problem_response(404, "", "Not Found", "no device with that Dev ID"));
        ThrottleState throttle;
        {
          // Give the connection back before answering: once answered, the
          // request's owner may go away.
          if (auto store = reads_.try_acquire())
            throttle = (*store)->throttle(dev_id).value_or(ThrottleState{});
        }
        respond(json_response(
            200, admin_device_json(*result.value(), throttle, guess_policy_, clock_())));
      }});
}

void AdminApi::audit(const http::Request& request, http::Respond respond) {
  std::int64_t after = 0;
  std::int64_t limit = 1000;
  QueryReader reader(request.query(), QueryStyle::url);
  QueryParameter parameter;
  while (reader.next(parameter)) {
    if (parameter.name == "after" || parameter.name == "limit") {
      auto value = parse_count(parameter.value, parameter.name == "after" ? "after" : "limit");
      if (!value.ok()) {
        return respond(problem_response(400, "bad-parameter", "Malformed request",
                                        std::string(value.error().field) + ": not a number",
                                        value.error().field));
      }
      (parameter.name == "after" ? after : limit) = *value;
    }
  }
  limit = std::clamp<std::int64_t>(limit, 1, 10000);
  auto store = reads_.try_acquire();
  if (!store) {
    return respond(problem_response(503, "", "Service Unavailable", "the database is unavailable"));
  }
  auto entries = (*store)->audit_after(after, static_cast<int>(limit));
  if (!entries.ok())
    return respond(problem_response(503, "", "Service Unavailable", "the database is unavailable"));
  std::string body;
  for (const auto& [entry, hash] : entries.value())
    body += entry.to_json(hash) + "\n";
  http::Response response = http::make_response(200, "application/x-ndjson", std::move(body));
  add_security_headers(response);
  respond(std::move(response));
}

}  // namespace tte::mothership
