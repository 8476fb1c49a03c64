#include "tte/provisioning_image.hpp"

#include "tte/crc32.hpp"

namespace tte {
namespace {

// Offsets of the fixed header (docs/device-provisioning.md).
constexpr std::size_t kVersionAt = 4, kFlagsAt = 5, kLengthAt = 6, kMsIdAt = 8, kDevIdAt = 12,
                      kOtpAt = 16, kUrnLengthAt = 24, kUrnAt = 25, kFamilyAt = 88, kAddressAt = 89,
                      kPortAt = 105, kFingerprintAt = 107, kKeyLengthAt = 139,
                      kCertificateLengthAt = 141, kEntropySeedAt = 143;
constexpr std::uint8_t kFlagHasKey = 0x01, kFlagHasPsk = 0x02, kFlagLedFrameV2 = 0x04;

void put(std::uint8_t* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (8 * (bytes - 1 - i)));
}

std::uint64_t get(const std::uint8_t* in, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i)
    value = (value << 8) | in[i];
  return value;
}

Error image_error(Errc code, const char* message) {
  return make_error(code, message, "image");
}

}  // namespace

Result<ByteView> ProvisioningImage::encode(MutableByteView out) const {
  if (private_key.size() > kMaxPrivateKey || certificate.size() > kMaxCertificate) {
    return image_error(Errc::too_long, "private key or certificate too long for the image");
  }
  if (!entropy_seed.empty() && entropy_seed.size() != kEntropySeedSize)
    return image_error(Errc::syntax, "the entropy seed is not 32 bytes");
  const bool v2 = !entropy_seed.empty();
  if (!factory_psk.empty() && (factory_psk.size() != kFactoryPskSize || !v2 ||
                               !private_key.empty() || !certificate.empty())) {
    return image_error(Errc::syntax,
                       "a factory PSK is 16 bytes, needs an entropy seed and excludes a key");
  }
  const std::size_t header = (v2 ? kHeaderSize : kHeaderSizeV1) + factory_psk.size();
  const std::size_t size = header + private_key.size() + certificate.size() + 4;
  if (out.size() < size)
    return image_error(Errc::too_long, "output buffer too small for the image");
  std::uint8_t* p = out.data();
  for (std::size_t i = 0; i < size; ++i)
    p[i] = 0;
  for (std::size_t i = 0; i < 4; ++i)
    p[i] = kMagic[i];
  p[kVersionAt] = v2 ? 2 : 1;
  p[kFlagsAt] = static_cast<std::uint8_t>(
      (private_key.empty() ? 0 : kFlagHasKey) | (factory_psk.empty() ? 0 : kFlagHasPsk) |
      (led_frame == led::FrameVersion::v2 ? kFlagLedFrameV2 : 0));
  put(p + kLengthAt, size, 2);
  put(p + kMsIdAt, ms_id.value(), 4);
  put(p + kDevIdAt, dev_id.value(), 4);
  put(p + kOtpAt, otp.value(), 8);
  std::string_view urn_text = urn.view();
  p[kUrnLengthAt] = static_cast<std::uint8_t>(urn_text.size());
  for (std::size_t i = 0; i < urn_text.size(); ++i)
    p[kUrnAt + i] = static_cast<std::uint8_t>(urn_text[i]);
  ByteView address = mothership.ip.bytes();
  p[kFamilyAt] = mothership.ip.family() == IpAddress::Family::v4 ? 4 : 6;
  for (std::size_t i = 0; i < address.size(); ++i)
    p[kAddressAt + i] = address[i];
  put(p + kPortAt, mothership.port, 2);
  for (std::size_t i = 0; i < Fingerprint::kSize; ++i)
    p[kFingerprintAt + i] = mothership_fingerprint.bytes()[i];
  put(p + kKeyLengthAt, private_key.size(), 2);
  put(p + kCertificateLengthAt, certificate.size(), 2);
  for (std::size_t i = 0; i < entropy_seed.size(); ++i)
    p[kEntropySeedAt + i] = entropy_seed[i];
  for (std::size_t i = 0; i < factory_psk.size(); ++i)
    p[kHeaderSize + i] = factory_psk[i];
  std::size_t at = header;
  for (std::uint8_t b : private_key)
    p[at++] = b;
  for (std::uint8_t b : certificate)
    p[at++] = b;
  put(p + at, crc32(ByteView(p, at)), 4);
  return ByteView(p, size);
}

// Message 1 (draft §2; docs/protocol.md §7), on the Device: who it is, from the factory's image.
Result<ProvisioningImage> ProvisioningImage::decode(ByteView image, IdPolicy policy) {
  if (image.size() < kHeaderSizeV1 + 4) return image_error(Errc::syntax, "image too short");
  const std::uint8_t* p = image.data();
  for (std::size_t i = 0; i < 4; ++i) {
    if (p[i] != kMagic[i]) return image_error(Errc::syntax, "not a TTE provisioning image");
  }
  if (p[kVersionAt] != 1 && p[kVersionAt] != 2)
    return image_error(Errc::unsupported, "unknown provisioning image version");
  const std::uint8_t flags = p[kFlagsAt];
  if ((flags & ~(kFlagHasKey | kFlagHasPsk | kFlagLedFrameV2)) != 0)
    return image_error(Errc::syntax, "unknown provisioning image flags");
  const bool has_psk = (flags & kFlagHasPsk) != 0;
  if (has_psk && p[kVersionAt] != 2)
    return image_error(Errc::syntax, "a factory PSK needs a version 2 image");
  const std::size_t seed_end = p[kVersionAt] == 2 ? kHeaderSize : kHeaderSizeV1;
  const std::size_t header = seed_end + (has_psk ? kFactoryPskSize : 0);
  const std::size_t size = static_cast<std::size_t>(get(p + kLengthAt, 2));
  const std::size_t key_length = static_cast<std::size_t>(get(p + kKeyLengthAt, 2));
  const std::size_t certificate_length = static_cast<std::size_t>(get(p + kCertificateLengthAt, 2));
  if (size > image.size() || key_length > kMaxPrivateKey || certificate_length > kMaxCertificate ||
      size != header + key_length + certificate_length + 4) {
    return image_error(Errc::syntax, "provisioning image lengths do not add up");
  }
  if (crc32(ByteView(p, size - 4)) != get(p + size - 4, 4)) {
    return image_error(Errc::checksum, "provisioning image CRC mismatch");
  }
  TTE_ASSIGN_OR_RETURN(MsId ms_id,
                       MsId::from_value(static_cast<std::uint32_t>(get(p + kMsIdAt, 4)), policy));
  std::size_t urn_length = p[kUrnLengthAt];
  if (urn_length == 0 || urn_length > DevUrn::kMaxLength)
    return image_error(Errc::syntax, "bad URN length");
  TTE_ASSIGN_OR_RETURN(DevUrn urn, DevUrn::parse(std::string_view(
                                       reinterpret_cast<const char*>(p + kUrnAt), urn_length)));
  std::uint8_t family = p[kFamilyAt];
  if (family != 4 && family != 6) return image_error(Errc::syntax, "bad MotherShip address family");
  TTE_ASSIGN_OR_RETURN(IpAddress ip,
                       IpAddress::from_bytes(ByteView(p + kAddressAt, family == 4 ? 4 : 16)));
  std::uint16_t port = static_cast<std::uint16_t>(get(p + kPortAt, 2));
  if (port == 0) return image_error(Errc::syntax, "MotherShip port 0");
  TTE_ASSIGN_OR_RETURN(Fingerprint fingerprint,
                       Fingerprint::from_bytes(ByteView(p + kFingerprintAt, 32)));
  if ((key_length == 0) != ((flags & kFlagHasKey) == 0)) {
    return image_error(Errc::syntax, "provisioning image flags contradict its key length");
  }
  if (has_psk && (key_length != 0 || certificate_length != 0))
    return image_error(Errc::syntax, "a PSK image carries no key or certificate");
  return ProvisioningImage{
      ms_id,
      DevId(static_cast<std::uint32_t>(get(p + kDevIdAt, 4))),
      Otp(get(p + kOtpAt, 8)),
      urn,
      ControllerAddress{ip, port},
      fingerprint,
      ByteView(p + header, key_length),
      ByteView(p + header + key_length, certificate_length),
      ByteView(p + kEntropySeedAt, seed_end - kHeaderSizeV1),
      ByteView(p + seed_end, header - seed_end),
      (flags & kFlagLedFrameV2) ? led::FrameVersion::v2 : led::FrameVersion::v1};
}

}  // namespace tte
