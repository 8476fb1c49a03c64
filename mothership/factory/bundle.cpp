#include "bundle.hpp"

#include <nlohmann/json.hpp>

#include "tte/hex.hpp"
#include "tte/host/json_fields.hpp"
#include "tte/led_frame.hpp"
#include "tte/manual_code.hpp"
#include "tte/provisioning_image.hpp"

namespace tte::factory {

// Message 1 (draft §2; docs/protocol.md §7), for the simulator: the Device's bundle
// (tte-bundle/1 JSON, docs/factory.md).
std::string bundle_json(const MintedDevice& device, const MotherShipInfo& mothership) {
  EnrollmentUrl url = device.enrollment_url(mothership);
  // led_frame: the 19-byte version 1 frame, or the 18-byte version 2 body (before stuffing).
  std::string frame_hex;
  if (device.led_frame == led::FrameVersion::v2) {
    const auto body = led::build_v2_body(url);
    frame_hex.assign(2 * body.size(), '\0');
    write_hex_lower(body, frame_hex.data());
  } else {
    const led::Frame frame = led::build_frame(url);
    frame_hex.assign(2 * frame.size(), '\0');
    write_hex_lower(frame, frame_hex.data());
  }
  nlohmann::ordered_json json;
  json["format"] = "tte-bundle/1";
  json["devid"] = std::string(device.dev_id.to_string().view());
  json["urn"] = std::string(device.urn.view());
  json["otp"] = std::string(device.otp.to_string().view());
  json["enrollment_url"] = std::string(url.to_string().view());
  json["manual_code"] = std::string(manual_code::encode(url).view());
  json["led_frame"] = frame_hex;
  json["led_frame_version"] = static_cast<int>(device.led_frame);
  json["mothership"] = {
      {"host", std::string(mothership.ms_id.host().view())},
      {"ms_id", mothership.ms_id.value()},
      {"coaps", std::string(mothership.coaps.to_string().view())},
      {"fingerprint", std::string(mothership.dtls_fingerprint.to_string().view())}};
  nlohmann::ordered_json key = nlohmann::ordered_json::object();
  if (device.fingerprint) key["fingerprint"] = std::string(device.fingerprint->to_string().view());
  if (device.factory_psk) {
    std::string psk_hex(2 * device.factory_psk->size(), '\0');
    write_hex_lower(*device.factory_psk, psk_hex.data());
    key["psk"] = psk_hex;
  }
  if (device.credentials) {
    key["private_key_pem"] = device.credentials->private_key_pem();
    key["certificate_pem"] = device.credentials->certificate_pem();
  }
  json["device"] = key;
  return json.dump(2) + "\n";
}

// Message 1 (draft §2; docs/protocol.md §7): what the factory flashes into a Device, as a
// provisioning image (docs/device-provisioning.md).
std::vector<std::uint8_t> provisioning_image(const MintedDevice& device,
                                             const MotherShipInfo& mothership) {
  ProvisioningImage image{
      mothership.ms_id,
      device.dev_id,
      device.otp,
      device.urn,
      mothership.coaps,
      mothership.dtls_fingerprint,
      device.credentials ? ByteView(device.credentials->private_key_der) : ByteView(),
      device.credentials ? ByteView(device.credentials->certificate_der) : ByteView(),
      ByteView(device.entropy_seed),
      device.factory_psk ? ByteView(*device.factory_psk) : ByteView(),
      device.led_frame};
  std::vector<std::uint8_t> buffer(ProvisioningImage::kMaxSize);
  auto encoded = image.encode(buffer);
  buffer.resize(encoded.ok() ? encoded->size() : 0);
  return buffer;
}

Result<Bundle> Bundle::from_json(std::string_view text, IdPolicy policy) {
  using json::for_member;
  using json::string_member;
  TTE_ASSIGN_OR_RETURN(nlohmann::json root, json::parse_object(text));
  auto format = root.find("format");
  if (format == root.end() || *format != "tte-bundle/1") {
    return make_error(Errc::unsupported, "not a tte-bundle/1 file", "format");
  }
  TTE_ASSIGN_OR_RETURN(std::string_view devid, string_member(root, "devid"));
  TTE_ASSIGN_OR_RETURN(DevId dev_id, for_member(DevId::parse(devid), "devid"));
  TTE_ASSIGN_OR_RETURN(std::string_view urn_text, string_member(root, "urn"));
  TTE_ASSIGN_OR_RETURN(DevUrn urn, for_member(DevUrn::parse(urn_text), "urn"));
  TTE_ASSIGN_OR_RETURN(std::string_view otp_text, string_member(root, "otp"));
  TTE_ASSIGN_OR_RETURN(Otp otp, for_member(Otp::parse(otp_text), "otp"));
  auto ms = root.find("mothership");
  auto device = root.find("device");
  if (ms == root.end() || !ms->is_object())
    return make_error(Errc::missing, "member missing", "mothership");
  if (device == root.end() || !device->is_object())
    return make_error(Errc::missing, "member missing", "device");
  TTE_ASSIGN_OR_RETURN(std::string_view host, string_member(*ms, "host"));
  TTE_ASSIGN_OR_RETURN(MsId ms_id, for_member(MsId::from_host(host, policy), "mothership.host"));
  TTE_ASSIGN_OR_RETURN(std::string_view coaps, string_member(*ms, "coaps"));
  TTE_ASSIGN_OR_RETURN(ControllerAddress address,
                       for_member(ControllerAddress::parse(coaps), "mothership.coaps"));
  TTE_ASSIGN_OR_RETURN(std::string_view ms_fingerprint, string_member(*ms, "fingerprint"));
  TTE_ASSIGN_OR_RETURN(Fingerprint mothership_fingerprint,
                       for_member(Fingerprint::parse(ms_fingerprint), "mothership.fingerprint"));
  Bundle bundle{dev_id,       urn, otp, ms_id,       address, mothership_fingerprint,
                std::nullopt, "",  "",  std::nullopt};
  // A certificate Device's key fingerprint, or a PSK Device's factory PSK: exactly one.
  if (device->contains("psk")) {
    if (device->contains("fingerprint"))
      return make_error(Errc::syntax, "a PSK Device has no key fingerprint", "device.fingerprint");
    TTE_ASSIGN_OR_RETURN(std::string_view psk_text, string_member(*device, "psk"));
    FactoryPsk psk{};
    TTE_TRY(parse_hex_bytes(psk_text, psk, "device.psk"));
    bundle.factory_psk = psk;
    return bundle;
  }
  TTE_ASSIGN_OR_RETURN(std::string_view fingerprint_text, string_member(*device, "fingerprint"));
  TTE_ASSIGN_OR_RETURN(Fingerprint fingerprint,
                       for_member(Fingerprint::parse(fingerprint_text), "device.fingerprint"));
  bundle.fingerprint = fingerprint;
  if (device->contains("private_key_pem")) {
    TTE_ASSIGN_OR_RETURN(std::string_view key, string_member(*device, "private_key_pem"));
    TTE_ASSIGN_OR_RETURN(std::string_view certificate, string_member(*device, "certificate_pem"));
    bundle.private_key_pem = std::string(key);
    bundle.certificate_pem = std::string(certificate);
  }
  return bundle;
}

}  // namespace tte::factory
