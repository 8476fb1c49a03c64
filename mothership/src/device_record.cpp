#include "device_record.hpp"

#include <nlohmann/json.hpp>

#include "tte/hex.hpp"
#include "tte/host/json_fields.hpp"

namespace tte::mothership {
using json::for_member;
using json::string_member;

StateObject DeviceRecord::state_object() const {
  return StateObject{dev_id,    urn,          fingerprint, revoked() ? DeviceState::revoked : state,
                     mapped_at, registered_at};
}

// Message 2 (draft §2; docs/protocol.md §7): one device record, one JSON line.
std::string FactoryRecord::to_json() const {
  nlohmann::ordered_json json;
  json["devid"] = std::string(dev_id.to_string().view());
  json["urn"] = std::string(urn.view());
  if (fingerprint) json["fingerprint"] = std::string(fingerprint->to_string().view());
  if (psk) {
    std::string hex(2 * psk->size(), '\0');
    write_hex_lower(*psk, hex.data());
    json["psk"] = hex;
  }
  json["otp"] = std::string(otp.to_string().view());
  return json.dump();
}

// Message 2 (draft §2; docs/protocol.md §7), read: one device record.
Result<FactoryRecord> FactoryRecord::from_json(std::string_view line) {
  TTE_ASSIGN_OR_RETURN(nlohmann::json json, json::parse_object(line));
  TTE_ASSIGN_OR_RETURN(std::string_view devid, string_member(json, "devid"));
  TTE_ASSIGN_OR_RETURN(DevId dev_id, for_member(DevId::parse(devid), "devid"));
  TTE_ASSIGN_OR_RETURN(std::string_view urn_text, string_member(json, "urn"));
  TTE_ASSIGN_OR_RETURN(DevUrn urn, for_member(DevUrn::parse(urn_text), "urn"));
  // A certificate Device's key fingerprint, or a PSK Device's factory PSK (§13.3): one of them.
  std::optional<Fingerprint> fingerprint;
  std::optional<FactoryPsk> psk;
  if (json.contains("psk")) {
    if (json.contains("fingerprint"))
      return make_error(Errc::syntax, "a PSK Device has no key fingerprint", "fingerprint");
    TTE_ASSIGN_OR_RETURN(std::string_view psk_text, string_member(json, "psk"));
    psk.emplace();
    TTE_TRY(parse_hex_bytes(psk_text, *psk, "psk"));
  } else {
    TTE_ASSIGN_OR_RETURN(std::string_view fingerprint_text, string_member(json, "fingerprint"));
    TTE_ASSIGN_OR_RETURN(Fingerprint parsed,
                         for_member(Fingerprint::parse(fingerprint_text), "fingerprint"));
    fingerprint = parsed;
  }
  TTE_ASSIGN_OR_RETURN(std::string_view otp_text, string_member(json, "otp"));
  TTE_ASSIGN_OR_RETURN(Otp otp, for_member(Otp::parse(otp_text), "otp"));
  return FactoryRecord{dev_id, urn, fingerprint, otp, psk};
}

}  // namespace tte::mothership
