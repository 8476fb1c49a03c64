// The provisioning image: what the factory flashes into a Device (message 1)
// and the firmware reads at boot. A fixed layout, big-endian, protected by a
// CRC-32; docs/device-provisioning.md describes it byte by byte.
//
// Decoding needs no heap: the keys and certificate are views into the image.
#ifndef TTE_PROVISIONING_IMAGE_HPP
#define TTE_PROVISIONING_IMAGE_HPP

#include <cstdint>

#include "tte/dev_urn.hpp"
#include "tte/identifiers.hpp"
#include "tte/ip_address.hpp"
#include "tte/led_frame.hpp"
#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte {

struct ProvisioningImage {
  static constexpr std::uint8_t kMagic[4] = {'T', 'T', 'E', 'P'};
  // Version 2 adds the entropy seed; version 1 images (no seed) still decode.
  static constexpr std::uint8_t kVersion = 2;
  static constexpr std::size_t kHeaderSizeV1 = 143;
  static constexpr std::size_t kEntropySeedSize = 32;
  static constexpr std::size_t kHeaderSize = kHeaderSizeV1 + kEntropySeedSize;
  static constexpr std::size_t kMaxPrivateKey = 256;
  static constexpr std::size_t kMaxCertificate = 1024;
  static constexpr std::size_t kFactoryPskSize = 16;
  static constexpr std::size_t kMaxSize = kHeaderSize + kMaxPrivateKey + kMaxCertificate + 4;

  MsId ms_id;
  DevId dev_id;
  Otp otp;
  DevUrn urn;
  ControllerAddress mothership;  // where the Device reaches the MotherShip's CoAPS
  Fingerprint mothership_fingerprint;
  ByteView private_key;  // DER (SEC1 or PKCS#8); empty when the key never left the Device
  ByteView certificate;  // DER; empty when the key never left the Device
  // kEntropySeedSize random bytes from the factory, which seed the random numbers of a Device
  // without a hardware random number generator; empty in a version 1 image.
  ByteView entropy_seed;
  // A PSK Device's factory PSK (docs/protocol.md §13.3): kFactoryPskSize bytes,
  // flag bit 1, right after the entropy seed; such an image has no key or certificate.
  ByteView factory_psk = {};
  // Which LED frame the Device blinks while unenrolled (docs/protocol.md §13.1):
  // version 2 sets flag bit 2.
  led::FrameVersion led_frame = led::FrameVersion::v1;

  // A version 2 image when entropy_seed is set, version 1 when it is empty.
  // Errors: too_long (key or certificate over the limits, or out too small),
  // syntax (an entropy seed of another size; a factory PSK of another size, or
  // beside a key or certificate, or without an entropy seed).
  Result<ByteView> encode(MutableByteView out) const;
  // Errors: syntax (magic, lengths), unsupported (version), checksum (CRC),
  // reserved (MS ID under the policy), and the identifiers' own errors.
  static Result<ProvisioningImage> decode(ByteView image, IdPolicy policy);
};

}  // namespace tte

#endif  // TTE_PROVISIONING_IMAGE_HPP
