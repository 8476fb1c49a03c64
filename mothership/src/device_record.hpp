// What the MotherShip stores per device, and the factory's device records
// (message 2) that create them.
#ifndef TTE_MOTHERSHIP_DEVICE_RECORD_HPP
#define TTE_MOTHERSHIP_DEVICE_RECORD_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rules.hpp"
#include "tte/dev_urn.hpp"
#include "tte/host/messages.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/host/psk_seal.hpp"
#include "tte/identifiers.hpp"
#include "tte/ip_address.hpp"

namespace tte::mothership {

// The Controller an Introducer mapped the device to.
struct ControllerBinding {
  ControllerAddress address;
  Fingerprint fingerprint;
  std::optional<Psk> psk;  // the link PSK (cpsk), opened; stored sealed (docs/protocol.md §11)
  // A sealed link PSK the Store that read it could not open (it was given no
  // sealer: it serves no message 10).
  bool psk_unopened = false;
  bool has_psk() const { return psk.has_value() || psk_unopened; }
};

struct DeviceRecord {
  DevId dev_id;
  DevUrn urn;
  std::optional<Fingerprint> fingerprint;  // of the device's DTLS key; none for a PSK Device
  OtpDigest otp_digest;                    // HMAC-SHA256(server key, devid || otp): never the OTP
  DeviceState state = DeviceState::unmapped;  // unmapped, mapped or registered
  std::optional<std::int64_t> revoked_at;
  std::optional<ControllerBinding> controller;
  std::string description;
  std::optional<std::int64_t> mapped_at;
  std::optional<std::int64_t> registered_at;
  // A PSK Device's factory PSK, sealed (psk_seal.hpp): never the PSK itself.
  std::optional<SealedPsk> sealed_psk = std::nullopt;

  bool psk_device() const { return sealed_psk.has_value(); }
  bool revoked() const { return revoked_at.has_value(); }
  DeviceStatus status() const { return DeviceStatus{state, revoked(), psk_device()}; }
  // The draft's Section 3.2 object (state "revoked" while revoked).
  StateObject state_object() const;
};

// One line of a device-record file (message 2, docs/protocol.md section 7):
// {"devid":"..","urn":"..","fingerprint":"..","otp":".."}, or for a PSK Device
// {"devid":"..","urn":"..","psk":"<32 hex digits>","otp":".."}
struct FactoryRecord {
  DevId dev_id;
  DevUrn urn;
  std::optional<Fingerprint> fingerprint;  // exactly one of fingerprint and psk
  Otp otp;
  std::optional<FactoryPsk> psk = std::nullopt;  // in clear: sealed before it is stored

  std::string to_json() const;
  // Errors name the member: missing, syntax, too_long, ...
  static Result<FactoryRecord> from_json(std::string_view line);
};

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_DEVICE_RECORD_HPP
