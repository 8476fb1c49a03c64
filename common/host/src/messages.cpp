#include "tte/host/messages.hpp"

#include <nlohmann/json.hpp>

#include "tte/ascii.hpp"
#include "tte/hex.hpp"
#include "tte/host/json_fields.hpp"
#include "tte/host/rfc3339.hpp"
#include "tte/query.hpp"

namespace tte {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
using json::for_member;
using json::parse_object;
using json::string_member;

Result<std::optional<std::int64_t>> optional_time_member(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::optional<std::int64_t>();
  if (!it->is_string()) return make_error(Errc::syntax, "member must be a date-time or null", name);
  TTE_ASSIGN_OR_RETURN(std::int64_t seconds,
                       for_member(parse_rfc3339(it->get_ref<const std::string&>()), name));
  return std::optional<std::int64_t>(seconds);
}

OrderedJson time_or_null(const std::optional<std::int64_t>& seconds) {
  return seconds ? OrderedJson(format_rfc3339(*seconds)) : OrderedJson(nullptr);
}

std::string hex_of(ByteView bytes) {
  std::string text(2 * bytes.size(), '\0');
  write_hex_lower(bytes, text.data());
  return text;
}

Result<Psk> parse_psk(std::string_view text, const char* field) {
  Psk psk{};
  TTE_TRY(parse_hex_bytes(text, psk, field));
  // All zeros is a placeholder, not a secret.
  bool zero = true;
  for (std::uint8_t b : psk)
    zero = zero && b == 0;
  if (zero) return make_error(Errc::out_of_range, "a PSK of all zeros is no secret", field);
  return psk;
}

OrderedJson state_to_json(const StateObject& state) {
  OrderedJson json;
  json["devid"] = std::string(state.dev_id.to_string().view());
  json["urn"] = std::string(state.urn.view());
  if (state.fingerprint) {
    json["fingerprint"] = std::string(state.fingerprint->to_string().view());
  } else {
    json["fingerprint"] = nullptr;
  }
  json["state"] = device_state_name(state.state);
  json["mapped_at"] = time_or_null(state.mapped_at);
  json["registered_at"] = time_or_null(state.registered_at);
  return json;
}

Result<StateObject> state_from_json(const Json& json) {
  if (!json.is_object()) return make_error(Errc::syntax, "a JSON object was expected", "device");
  TTE_ASSIGN_OR_RETURN(std::string_view devid, string_member(json, "devid"));
  TTE_ASSIGN_OR_RETURN(DevId dev_id, for_member(DevId::parse(devid), "devid"));
  TTE_ASSIGN_OR_RETURN(std::string_view urn_text, string_member(json, "urn"));
  TTE_ASSIGN_OR_RETURN(DevUrn urn, for_member(DevUrn::parse(urn_text), "urn"));
  // null for a PSK Device, which has no key pair (§13.3); the member itself is required.
  std::optional<Fingerprint> fingerprint;
  if (auto member = json.find("fingerprint"); member == json.end() || !member->is_null()) {
    TTE_ASSIGN_OR_RETURN(std::string_view fingerprint_text, string_member(json, "fingerprint"));
    TTE_ASSIGN_OR_RETURN(Fingerprint parsed,
                         for_member(Fingerprint::parse(fingerprint_text), "fingerprint"));
    fingerprint = parsed;
  }
  TTE_ASSIGN_OR_RETURN(std::string_view state_text, string_member(json, "state"));
  TTE_ASSIGN_OR_RETURN(DeviceState state, parse_device_state(state_text));
  TTE_ASSIGN_OR_RETURN(auto mapped_at, optional_time_member(json, "mapped_at"));
  TTE_ASSIGN_OR_RETURN(auto registered_at, optional_time_member(json, "registered_at"));
  return StateObject{dev_id, urn, fingerprint, state, mapped_at, registered_at};
}

// A claim field, found once in the query or the body.
struct Field {
  std::string value;
  bool seen = false;
};

Status collect_fields(std::string_view text, QueryStyle style,
                      std::initializer_list<std::pair<const char*, Field*>> fields) {
  QueryReader reader(text, style);
  QueryParameter parameter;
  while (reader.next(parameter)) {
    std::string name(parameter.name.size(), '\0');
    TTE_ASSIGN_OR_RETURN(std::string_view decoded_name,
                         percent_decode(parameter.name, name, style, "query"));
    for (auto& [wanted, field] : fields) {
      if (!ascii::equals_ignoring_case(decoded_name, wanted)) continue;
      if (field->seen) return make_error(Errc::duplicate, "parameter given twice", wanted);
      if (!parameter.has_value)
        return make_error(Errc::syntax, "parameter without a value", wanted);
      field->seen = true;
      field->value.assign(parameter.value.size(), '\0');
      TTE_ASSIGN_OR_RETURN(std::string_view value,
                           percent_decode(parameter.value, field->value, style, wanted));
      field->value.resize(value.size());
    }
  }
  return ok_status();
}

}  // namespace

const char* device_state_name(DeviceState state) {
  switch (state) {
    case DeviceState::unmapped:
      return "unmapped";
    case DeviceState::mapped:
      return "mapped";
    case DeviceState::registered:
      return "registered";
    case DeviceState::revoked:
      return "revoked";
  }
  return "unmapped";
}

Result<DeviceState> parse_device_state(std::string_view name) {
  if (name == "unmapped") return DeviceState::unmapped;
  if (name == "mapped") return DeviceState::mapped;
  if (name == "registered") return DeviceState::registered;
  if (name == "revoked") return DeviceState::revoked;
  return make_error(Errc::syntax, "state must be unmapped, mapped, registered or revoked", "state");
}

// Messages 5 and 8 (draft §2, §3.2; docs/protocol.md §6): the state object.
std::string StateObject::to_json() const {
  return state_to_json(*this).dump();
}

Result<StateObject> StateObject::from_json(std::string_view text) {
  TTE_ASSIGN_OR_RETURN(Json json, parse_object(text));
  return state_from_json(json);
}

std::string enrollment_answer_to_json(const EnrollmentAnswer& answer) {
  OrderedJson json;
  json["cip"] = std::string(answer.controller.ip.to_string().view());
  json["cport"] = answer.controller.port;
  json["cfingerprint"] = std::string(answer.controller_fingerprint.to_string().view());
  if (answer.has_psk) json["cpsk"] = hex_of(answer.psk);
  return json.dump();
}

Result<EnrollmentAnswer> enrollment_answer_from_json(std::string_view text) {
  TTE_ASSIGN_OR_RETURN(Json json, parse_object(text));
  EnrollmentAnswer answer;
  TTE_ASSIGN_OR_RETURN(std::string_view cip, string_member(json, "cip"));
  TTE_ASSIGN_OR_RETURN(answer.controller.ip, for_member(IpAddress::parse(cip), "cip"));
  auto port = json.find("cport");
  if (port == json.end()) return make_error(Errc::missing, "member missing", "cport");
  if (!port->is_number_unsigned())
    return make_error(Errc::syntax, "cport must be a number", "cport");
  std::uint64_t port_value = port->get<std::uint64_t>();
  if (port_value == 0 || port_value > 65535) {
    return make_error(Errc::out_of_range, "cport must be 1-65535", "cport");
  }
  answer.controller.port = static_cast<std::uint16_t>(port_value);
  TTE_ASSIGN_OR_RETURN(std::string_view fingerprint, string_member(json, "cfingerprint"));
  TTE_ASSIGN_OR_RETURN(answer.controller_fingerprint,
                       for_member(Fingerprint::parse(fingerprint), "cfingerprint"));
  if (json.contains("cpsk")) {
    TTE_ASSIGN_OR_RETURN(std::string_view psk, string_member(json, "cpsk"));
    TTE_ASSIGN_OR_RETURN(answer.psk, parse_psk(psk, "cpsk"));
    answer.has_psk = true;
  }
  return answer;
}

// Message 6 (draft §2, §3.3; docs/protocol.md §10): the notice to the Controller.
std::string DeviceNotice::to_json() const {
  OrderedJson json;
  json["urn"] = std::string(urn.view());
  if (fingerprint) {
    json["fingerprint"] = std::string(fingerprint->to_string().view());
  } else {
    json["fingerprint"] = nullptr;
  }
  json["devid"] = std::string(dev_id.to_string().view());
  json["otp"] = std::string(otp.to_string().view());
  json["mothership"] = std::string(mothership.view());
  json["description"] = description;
  if (psk) json["psk"] = hex_of(*psk);
  return json.dump();
}

Result<DeviceNotice> DeviceNotice::from_json(std::string_view text, IdPolicy policy) {
  TTE_ASSIGN_OR_RETURN(Json json, parse_object(text));
  TTE_ASSIGN_OR_RETURN(std::string_view urn_text, string_member(json, "urn"));
  TTE_ASSIGN_OR_RETURN(DevUrn urn, for_member(DevUrn::parse(urn_text), "urn"));
  // Required; null for a PSK Device, whose notice must then carry psk (below).
  std::optional<Fingerprint> fingerprint;
  if (!json.contains("fingerprint") || !json["fingerprint"].is_null()) {
    TTE_ASSIGN_OR_RETURN(std::string_view fingerprint_text, string_member(json, "fingerprint"));
    TTE_ASSIGN_OR_RETURN(fingerprint,
                         for_member(Fingerprint::parse(fingerprint_text), "fingerprint"));
  }
  TTE_ASSIGN_OR_RETURN(std::string_view devid, string_member(json, "devid"));
  TTE_ASSIGN_OR_RETURN(DevId dev_id, for_member(DevId::parse(devid), "devid"));
  TTE_ASSIGN_OR_RETURN(std::string_view otp_text, string_member(json, "otp"));
  TTE_ASSIGN_OR_RETURN(Otp otp, for_member(Otp::parse(otp_text), "otp"));
  TTE_ASSIGN_OR_RETURN(std::string_view host, string_member(json, "mothership"));
  TTE_ASSIGN_OR_RETURN(MsId ms_id, for_member(MsId::from_host(host, policy), "mothership"));
  DeviceNotice notice{urn, fingerprint, dev_id, otp, ms_id.host(), {}, {}};
  if (json.contains("description")) {
    TTE_ASSIGN_OR_RETURN(std::string_view description, string_member(json, "description"));
    TTE_TRY(validate_description(description));
    notice.description = std::string(description);
  }
  if (json.contains("psk")) {
    TTE_ASSIGN_OR_RETURN(std::string_view psk, string_member(json, "psk"));
    TTE_ASSIGN_OR_RETURN(Psk value, parse_psk(psk, "psk"));
    notice.psk = value;
  }
  // A PSK Device has no key: its notice must give the Controller the PSK instead.
  if (!notice.fingerprint && !notice.psk) {
    return make_error(Errc::missing, "a notice without a fingerprint must carry psk", "psk");
  }
  return notice;
}

Status validate_description(std::string_view text) {
  if (text.size() > kMaxDescriptionBytes) {
    return make_error(Errc::too_long, "description longer than 256 bytes", "description");
  }
  // UTF-8 per RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t length;
    std::uint32_t code_point;
    if (c < 0x80) {
      length = 1;
      code_point = c;
    } else if ((c & 0xe0) == 0xc0) {
      length = 2;
      code_point = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      code_point = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return make_error(Errc::syntax, "description is not UTF-8", "description");
    }
    if (i + length > text.size()) {
      return make_error(Errc::syntax, "description is not UTF-8", "description");
    }
    for (std::size_t k = 1; k < length; ++k) {
      unsigned char continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xc0) != 0x80) {
        return make_error(Errc::syntax, "description is not UTF-8", "description");
      }
      code_point = (code_point << 6) | (continuation & 0x3f);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return make_error(Errc::syntax, "description is not UTF-8", "description");
    }
    if (code_point < 0x20 || code_point == 0x7f || (code_point >= 0x80 && code_point < 0xa0)) {
      return make_error(Errc::syntax, "description must not contain control characters",
                        "description");
    }
    i += length;
  }
  return ok_status();
}

Result<ClaimRequest> ClaimRequest::parse(std::string_view query, std::string_view form_body) {
  Field otp, devid, cip, cport, cfingerprint, description, cpsk;
  auto fields = {std::pair<const char*, Field*>{"otp", &otp},
                 {"devid", &devid},
                 {"cip", &cip},
                 {"cport", &cport},
                 {"cfingerprint", &cfingerprint},
                 {"description", &description},
                 {"cpsk", &cpsk}};
  TTE_TRY(collect_fields(query, QueryStyle::url, fields));
  TTE_TRY(collect_fields(form_body, QueryStyle::form, fields));
  // Fields are checked in order, so the first problem reported is the first
  // field with one, whether it is missing or malformed.
  auto present = [](const Field& field, const char* name) -> Status {
    if (!field.seen) return make_error(Errc::missing, "parameter missing", name);
    return ok_status();
  };
  TTE_TRY(present(otp, "otp"));
  TTE_ASSIGN_OR_RETURN(Otp otp_value, Otp::parse(otp.value));
  TTE_TRY(present(devid, "devid"));
  TTE_ASSIGN_OR_RETURN(DevId dev_id, DevId::parse(devid.value));
  TTE_TRY(present(cip, "cip"));
  // "[2001:db8::7]" is how an IPv6 address is written beside a port (RFC
  // 3986): the brackets are taken off an IPv6 address, and only off one.
  std::string_view cip_text = cip.value;
  if (cip_text.size() > 2 && cip_text.front() == '[' && cip_text.back() == ']' &&
      cip_text.find(':') != std::string_view::npos) {
    cip_text = cip_text.substr(1, cip_text.size() - 2);
  }
  TTE_ASSIGN_OR_RETURN(IpAddress ip, for_member(IpAddress::parse(cip_text), "cip"));
  TTE_TRY(present(cport, "cport"));
  TTE_ASSIGN_OR_RETURN(std::uint16_t port, parse_port(cport.value, "cport"));
  TTE_TRY(present(cfingerprint, "cfingerprint"));
  TTE_ASSIGN_OR_RETURN(Fingerprint fingerprint,
                       for_member(Fingerprint::parse(cfingerprint.value), "cfingerprint"));
  TTE_TRY(validate_description(description.value));
  ClaimRequest request{dev_id,      otp_value,         ControllerAddress{ip, port},
                       fingerprint, description.value, std::nullopt};
  // An empty cpsk (a form's field left blank) is none.
  if (cpsk.seen && !cpsk.value.empty()) {
    TTE_ASSIGN_OR_RETURN(Psk psk, parse_psk(cpsk.value, "cpsk"));
    request.psk = psk;
  }
  return request;
}

// Message 4 (draft §2; docs/protocol.md §5.2): the claim's query.
std::string ClaimRequest::to_query() const {
  std::string query = "otp=";
  query += otp.to_string().view();
  query += "&devid=";
  query += dev_id.to_string().view();
  query += "&cip=";
  append_percent_encoded(query, controller.ip.to_string().view());
  query += "&cport=";
  query += std::to_string(controller.port);
  query += "&cfingerprint=";
  query += controller_fingerprint.to_string().view();
  if (!description.empty()) {
    query += "&description=";
    append_percent_encoded(query, description);
  }
  if (psk) {
    query += "&cpsk=";
    query += hex_of(*psk);
  }
  return query;
}

std::string Problem::to_json() const {
  OrderedJson json;
  json["type"] = type;
  json["title"] = title;
  json["status"] = status;
  if (!detail.empty()) json["detail"] = detail;
  if (!field.empty()) json["field"] = field;
  if (device) json["device"] = state_to_json(*device);
  if (!devices.empty()) {
    OrderedJson list = OrderedJson::array();
    for (const StateObject& state : devices)
      list.push_back(state_to_json(state));
    json["devices"] = std::move(list);
  }
  // A detail may quote what a client sent: invalid UTF-8 becomes U+FFFD instead of a throw.
  return json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

Result<Problem> Problem::from_json(std::string_view text) {
  TTE_ASSIGN_OR_RETURN(Json json, parse_object(text));
  Problem problem;
  auto status = json.find("status");
  if (status == json.end() || !status->is_number_integer()) {
    return make_error(Errc::missing, "problem status missing", "status");
  }
  problem.status = status->get<int>();
  auto text_member = [&](const char* name, std::string& out) {
    auto it = json.find(name);
    if (it != json.end() && it->is_string()) out = it->get<std::string>();
  };
  text_member("type", problem.type);
  if (problem.type.empty()) problem.type = "about:blank";
  text_member("title", problem.title);
  text_member("detail", problem.detail);
  text_member("field", problem.field);
  auto device = json.find("device");
  if (device != json.end()) {
    TTE_ASSIGN_OR_RETURN(StateObject state, state_from_json(*device));
    problem.device = state;
  }
  auto devices = json.find("devices");
  if (devices != json.end()) {
    if (!devices->is_array())
      return make_error(Errc::syntax, "devices must be an array", "devices");
    for (const Json& item : *devices) {
      TTE_ASSIGN_OR_RETURN(StateObject state, state_from_json(item));
      problem.devices.push_back(state);
    }
  }
  return problem;
}

}  // namespace tte

namespace tte {
namespace {

Result<IpAddress> parse_cip(std::string_view text) {
  // "[2001:db8::7]" is how an IPv6 address is written beside a port (RFC
  // 3986): the brackets are taken off an IPv6 address, and only off one.
  if (text.size() > 2 && text.front() == '[' && text.back() == ']' &&
      text.find(':') != std::string_view::npos) {
    text = text.substr(1, text.size() - 2);
  }
  return for_member(IpAddress::parse(text), "cip");
}

}  // namespace

// Bulk enrollment (docs/protocol.md §13.2): the box claim's fields.
Result<BoxClaimRequest> BoxClaimRequest::parse(std::string_view query, std::string_view form_body) {
  Field first, count, key, cip, cport, cfingerprint, description, cpsk;
  auto fields = {std::pair<const char*, Field*>{"first", &first},
                 {"count", &count},
                 {"key", &key},
                 {"cip", &cip},
                 {"cport", &cport},
                 {"cfingerprint", &cfingerprint},
                 {"description", &description},
                 {"cpsk", &cpsk}};
  TTE_TRY(collect_fields(query, QueryStyle::url, fields));
  TTE_TRY(collect_fields(form_body, QueryStyle::form, fields));
  auto present = [](const Field& field, const char* name) -> Status {
    if (!field.seen) return make_error(Errc::missing, "parameter missing", name);
    return ok_status();
  };
  TTE_TRY(present(first, "first"));
  TTE_TRY(present(count, "count"));
  TTE_TRY(present(key, "key"));
  // The box's three fields, re-encoded, through the one parser of them.
  std::string box_query = "first=";
  append_percent_encoded(box_query, first.value);
  box_query += "&count=";
  append_percent_encoded(box_query, count.value);
  box_query += "&key=";
  append_percent_encoded(box_query, key.value);
  TTE_ASSIGN_OR_RETURN(BoxCredentials box, parse_box_credentials(box_query));
  TTE_TRY(present(cip, "cip"));
  TTE_ASSIGN_OR_RETURN(IpAddress ip, parse_cip(cip.value));
  TTE_TRY(present(cport, "cport"));
  TTE_ASSIGN_OR_RETURN(std::uint16_t port, parse_port(cport.value, "cport"));
  TTE_TRY(present(cfingerprint, "cfingerprint"));
  TTE_ASSIGN_OR_RETURN(Fingerprint fingerprint,
                       for_member(Fingerprint::parse(cfingerprint.value), "cfingerprint"));
  TTE_TRY(validate_description(description.value));
  BoxClaimRequest request{box, ControllerAddress{ip, port}, fingerprint, description.value,
                          std::nullopt};
  if (cpsk.seen) {
    TTE_ASSIGN_OR_RETURN(Psk psk, parse_psk(cpsk.value, "cpsk"));
    request.psk = psk;
  }
  return request;
}

std::string BoxClaimRequest::to_query() const {
  std::string query = "first=";
  query += box.first.to_string().view();
  query += "&count=";
  query += std::to_string(box.count);
  query += "&key=";
  query += hex_of(box.key);
  query += "&cip=";
  append_percent_encoded(query, controller.ip.to_string().view());
  query += "&cport=";
  query += std::to_string(controller.port);
  query += "&cfingerprint=";
  query += controller_fingerprint.to_string().view();
  if (!description.empty()) {
    query += "&description=";
    append_percent_encoded(query, description);
  }
  if (psk) {
    query += "&cpsk=";
    query += hex_of(*psk);
  }
  return query;
}

std::string BoxClaimAnswer::to_json() const {
  OrderedJson json;
  json["first"] = std::string(first.to_string().view());
  json["count"] = count;
  OrderedJson list = OrderedJson::array();
  for (const StateObject& state : devices)
    list.push_back(state_to_json(state));
  json["devices"] = std::move(list);
  return json.dump();
}

Result<BoxClaimAnswer> BoxClaimAnswer::from_json(std::string_view text) {
  TTE_ASSIGN_OR_RETURN(Json json, parse_object(text));
  BoxClaimAnswer answer;
  TTE_ASSIGN_OR_RETURN(std::string_view first, string_member(json, "first"));
  TTE_ASSIGN_OR_RETURN(answer.first, for_member(DevId::parse(first), "first"));
  auto count = json.find("count");
  if (count == json.end()) return make_error(Errc::missing, "member missing", "count");
  if (!count->is_number_unsigned())
    return make_error(Errc::syntax, "count must be a number", "count");
  std::uint64_t count_value = count->get<std::uint64_t>();
  if (count_value == 0 || count_value > BoxUrl::kMaxCount ||
      count_value - 1 > 0xffffffffu - answer.first.value()) {
    return make_error(Errc::out_of_range, "a box holds 1 to 10000 devices", "count");
  }
  answer.count = static_cast<std::uint32_t>(count_value);
  auto devices = json.find("devices");
  if (devices == json.end()) return make_error(Errc::missing, "member missing", "devices");
  if (!devices->is_array()) return make_error(Errc::syntax, "devices must be an array", "devices");
  if (devices->size() != answer.count)
    return make_error(Errc::out_of_range, "devices must hold count state objects", "devices");
  answer.devices.reserve(answer.count);
  for (const Json& item : *devices) {
    TTE_ASSIGN_OR_RETURN(StateObject state, state_from_json(item));
    if (state.dev_id.value() != answer.first.value() + answer.devices.size())
      return make_error(Errc::syntax, "devices must be the box's, in Dev ID order", "devices");
    answer.devices.push_back(state);
  }
  return answer;
}

}  // namespace tte
