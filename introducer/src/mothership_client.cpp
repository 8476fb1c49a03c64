#include "mothership_client.hpp"

#include <nlohmann/json.hpp>

#include "tte/enrollment_url.hpp"
#include "tte/host/json_fields.hpp"

namespace tte::introducer {
namespace {

std::string base_url(const EnrollmentUrl& device) {
  return "https://" + std::string(device.ms_id().host().view());
}

}  // namespace

// Message 5 (draft §2; docs/protocol.md §5.2, §5.3): the MotherShip's answer to a claim (or to
// a status query), and what it means to the installer.
MotherShipAnswer interpret(const http::FetchResult& result) {
  MotherShipAnswer answer;
  switch (result.failure) {
    case http::FetchResult::Failure::none:
      break;
    case http::FetchResult::Failure::tls:
      answer.verdict = Verdict::certificate;
      answer.detail = result.error;
      return answer;
    case http::FetchResult::Failure::url:
    case http::FetchResult::Failure::resolve:
    case http::FetchResult::Failure::connect:
      answer.verdict = Verdict::unreachable;
      answer.detail = result.error;
      return answer;
    case http::FetchResult::Failure::timeout:
      answer.verdict = Verdict::unreachable;
      answer.detail = result.error;
      answer.answer_lost = true;
      return answer;
    case http::FetchResult::Failure::protocol:
      answer.verdict = Verdict::mothership_error;
      answer.detail = result.error;
      answer.answer_lost = true;
      return answer;
  }
  const http::Response& response = result.response;
  answer.status = response.status;
  if (response.status == 200) {
    auto state = StateObject::from_json(response.body);
    if (!state.ok()) {
      answer.verdict = Verdict::mothership_error;
      answer.detail =
          std::string("the MotherShip's answer is not a state object: ") + state.error().message;
      return answer;
    }
    answer.verdict = Verdict::ok;
    answer.device = state.value();
    return answer;
  }
  auto problem = Problem::from_json(response.body);
  if (problem.ok()) {
    answer.detail = problem->detail.empty() ? problem->title : problem->detail;
    answer.field = problem->field;
    answer.device = problem->device;
  } else {
    answer.detail = "HTTP " + std::to_string(response.status);
  }
  switch (response.status) {
    case 400:
      answer.verdict = Verdict::rejected;
      break;
    case 403:
      answer.verdict = Verdict::not_recognised;
      break;
    case 409:
      answer.verdict = Verdict::already_used;
      break;
    case 410:
      answer.verdict = Verdict::revoked;
      break;
    case 429: {
      answer.verdict = Verdict::throttled;
      auto retry = response.header("Retry-After");
      if (retry) answer.retry_after = std::atoll(std::string(*retry).c_str());
      break;
    }
    default:
      answer.verdict = Verdict::mothership_error;
      break;
  }
  return answer;
}

int exit_code_of(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok:
      return exit_code::ok;
    case Verdict::already_used:
      return exit_code::already_used;
    case Verdict::not_recognised:
      return exit_code::not_recognised;
    case Verdict::revoked:
      return exit_code::revoked;
    case Verdict::throttled:
      return exit_code::throttled;
    case Verdict::rejected:
      return exit_code::rejected;
    case Verdict::certificate:
      return exit_code::certificate;
    case Verdict::unreachable:
      return exit_code::unreachable;
    case Verdict::mothership_error:
      return exit_code::mothership_error;
  }
  return exit_code::failure;
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok:
      return "ok";
    case Verdict::already_used:
      return "already_used";
    case Verdict::not_recognised:
      return "not_recognised";
    case Verdict::revoked:
      return "revoked";
    case Verdict::throttled:
      return "throttled";
    case Verdict::rejected:
      return "rejected";
    case Verdict::certificate:
      return "certificate";
    case Verdict::unreachable:
      return "unreachable";
    case Verdict::mothership_error:
      return "mothership_error";
  }
  return "unknown";
}

// Message 4 (draft §2; docs/protocol.md §5.2): the claim, sent to the device's MotherShip;
// message 5 is its answer.
MotherShipAnswer claim(const EnrollmentUrl& device, const ClaimRequest& request,
                       const http::ClientOptions& client) {
  return interpret(http::fetch(
      "POST", base_url(device) + std::string(kEnrollmentPath) + "?" + request.to_query(),
      {{"Accept", "application/json"}}, "", client));
}

MotherShipAnswer query_status(const EnrollmentUrl& device, const http::ClientOptions& client) {
  return interpret(http::fetch("GET",
                               base_url(device) + std::string(kStatusPath) +
                                   "?otp=" + std::string(device.otp().to_string().view()) +
                                   "&devid=" + std::string(device.dev_id().to_string().view()),
                               {{"Accept", "application/json"}}, "", client));
}

namespace {

// The state objects of a JSON array member; nullopt if any is not one.
std::optional<std::vector<StateObject>> states_in(const nlohmann::json& body, const char* name) {
  auto list = body.find(name);
  if (list == body.end() || !list->is_array()) return std::nullopt;
  std::vector<StateObject> states;
  states.reserve(list->size());
  for (const auto& item : *list) {
    auto state = StateObject::from_json(item.dump());
    if (!state.ok()) return std::nullopt;
    states.push_back(state.value());
  }
  return states;
}

}  // namespace

// The MotherShip's answer to a box claim (docs/protocol.md §13.2).
BoxAnswer interpret_box(const http::FetchResult& result, const BoxUrl& box) {
  // Everything but the Devices is read as for a single claim.
  const MotherShipAnswer single = interpret(result);
  BoxAnswer answer;
  answer.verdict = single.verdict;
  answer.retry_after = single.retry_after;
  answer.detail = single.detail;
  answer.field = single.field;
  answer.status = single.status;
  answer.answer_lost = single.answer_lost;
  if (!result.ok()) return answer;
  const int status = result.response.status;
  if (status != 200 && status != 409) return answer;
  auto body = tte::json::parse_untrusted(result.response.body);
  auto fail = [&](const char* why) {
    answer.verdict = Verdict::mothership_error;
    answer.detail = why;
    answer.devices.clear();
    return answer;
  };
  if (body.is_discarded() || !body.is_object()) {
    if (status == 409) return answer;  // a used box without the list: still a 409
    return fail("the MotherShip's answer to the box claim is not JSON");
  }
  auto states = states_in(body, "devices");
  if (status == 409) {
    answer.verdict = Verdict::already_used;
    if (states) answer.devices = std::move(*states);
    for (const auto& state : answer.devices) {
      if (!box.contains(state.dev_id)) return fail("the MotherShip named a Device outside the box");
    }
    return answer;
  }
  // The 200's shape is common/'s (tte::BoxClaimAnswer): every Device, in Dev ID order.
  auto mapped = tte::BoxClaimAnswer::from_json(result.response.body);
  if (!mapped.ok()) return fail("the MotherShip's answer to the box claim is malformed");
  if (mapped->first != box.first() || mapped->count != box.count()) {
    return fail("the MotherShip's answer is not for this box");
  }
  for (const auto& state : mapped->devices) {
    // A 200 maps every Device of the box: one listed otherwise is the MotherShip's error.
    if (state.state != DeviceState::mapped && state.state != DeviceState::registered)
      return fail("the MotherShip's 200 lists a Device that is not mapped");
  }
  answer.verdict = Verdict::ok;
  answer.devices = std::move(mapped->devices);
  return answer;
}

std::string box_claim_query(const BoxUrl& box, const ClaimRequest& claim) {
  const std::string url(box.to_string().view());
  std::string query = url.substr(url.find('?') + 1);
  const std::string fields = claim.to_query();
  // to_query() starts with otp and devid, which a box claim does not carry.
  query += fields.substr(fields.find("&cip="));
  return query;
}

// The box claim (docs/protocol.md §13.2): every Device of the box, all or none.
BoxAnswer claim_box(const BoxUrl& box, const ClaimRequest& claim,
                    const http::ClientOptions& client) {
  return interpret_box(http::fetch("POST",
                                   "https://" + std::string(box.ms_id().host().view()) +
                                       std::string(kBoxPath) + "?" + box_claim_query(box, claim),
                                   {{"Accept", "application/json"}}, "", client),
                       box);
}

}  // namespace tte::introducer
