// What the factory writes for each device (docs/factory.md): the provisioning
// bundle (JSON, for people and for the simulator) and the provisioning image
// (binary, what the firmware reads; docs/device-provisioning.md).
#ifndef TTE_FACTORY_BUNDLE_HPP
#define TTE_FACTORY_BUNDLE_HPP

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "device_keys.hpp"
#include "tte/dev_urn.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/host/psk_seal.hpp"
#include "tte/ip_address.hpp"
#include "tte/provisioning_image.hpp"

namespace tte::factory {

// The MotherShip a batch is minted for.
struct MotherShipInfo {
  MsId ms_id;
  Fingerprint dtls_fingerprint;
  ControllerAddress coaps;  // where devices reach its CoAPS listener
};

struct MintedDevice {
  DevId dev_id;
  DevUrn urn;
  Otp otp;
  std::optional<Fingerprint> fingerprint;        // of the device's key; absent for a PSK Device
  std::optional<DeviceCredentials> credentials;  // absent when the key was made on the device
  std::optional<FactoryPsk> factory_psk;         // a PSK Device's (docs/protocol.md §13.3)
  led::FrameVersion led_frame = led::FrameVersion::v1;  // what its LED blinks (§13.1)
  // Seeds the random numbers of a device without a hardware random number generator
  // (the provisioning image carries it; docs/device-provisioning.md). From the CSPRNG.
  std::array<std::uint8_t, ProvisioningImage::kEntropySeedSize> entropy_seed{};

  EnrollmentUrl enrollment_url(const MotherShipInfo& mothership) const {
    return EnrollmentUrl(mothership.ms_id, dev_id, otp);
  }
};

std::string bundle_json(const MintedDevice& device, const MotherShipInfo& mothership);
std::vector<std::uint8_t> provisioning_image(const MintedDevice& device,
                                             const MotherShipInfo& mothership);

// A bundle read back (by the device simulator, and by tests).
struct Bundle {
  DevId dev_id;
  DevUrn urn;
  Otp otp;
  MsId ms_id;
  ControllerAddress mothership;
  Fingerprint mothership_fingerprint;
  std::optional<Fingerprint> fingerprint;  // absent for a PSK Device
  std::string private_key_pem;             // empty when the key was made on the device
  std::string certificate_pem;
  std::optional<FactoryPsk> factory_psk;  // a PSK Device's: device.psk

  // Errors name the member. IdPolicy applies to the MS ID.
  static Result<Bundle> from_json(std::string_view text, IdPolicy policy);
};

}  // namespace tte::factory

#endif  // TTE_FACTORY_BUNDLE_HPP
