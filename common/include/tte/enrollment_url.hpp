// The Enrollment URL of the QR label (draft Section 2, docs/protocol.md
// "Enrollment URL") and the box URL of bulk enrollment (draft Section 5.2).
#ifndef TTE_ENROLLMENT_URL_HPP
#define TTE_ENROLLMENT_URL_HPP

#include <array>
#include <cstdint>
#include <string_view>

#include "tte/fixed_string.hpp"
#include "tte/identifiers.hpp"
#include "tte/result.hpp"

namespace tte {

inline constexpr std::string_view kEnrollmentPath = "/.well-known/tte";
inline constexpr std::string_view kStatusPath = "/.well-known/tte/status";
inline constexpr std::string_view kBoxPath = "/.well-known/tte/box";

// What a label carries: which MotherShip, which device, and its one-time password.
class EnrollmentUrl {
 public:
  // "https://tte-000000.net/.well-known/tte?otp=<16>&devid=<8>" is always 74 characters.
  static constexpr std::size_t kLength = 74;
  using Text = FixedString<kLength>;

  EnrollmentUrl(MsId ms_id, DevId dev_id, Otp otp) : ms_id_(ms_id), dev_id_(dev_id), otp_(otp) {}

  // Accepts what the draft and docs/protocol.md allow: scheme and host in any
  // case, an explicit ":443", parameters separated by '&', ';' or ',' (the
  // draft example's "otp=..,DevID=.."), names in any case, percent-encoding,
  // and parameters we do not know (ignored). The path is exactly /.well-known/tte.
  // Errors: syntax, unsupported, reserved (MS ID), missing/duplicate (otp, devid),
  // too_long.
  static Result<EnrollmentUrl> parse(std::string_view url, IdPolicy policy);

  MsId ms_id() const { return ms_id_; }
  DevId dev_id() const { return dev_id_; }
  Otp otp() const { return otp_; }

  // The canonical form, the only one TTE emits.
  Text to_string() const;

  friend bool operator==(const EnrollmentUrl& a, const EnrollmentUrl& b) {
    return a.ms_id_ == b.ms_id_ && a.dev_id_ == b.dev_id_ && a.otp_ == b.otp_;
  }
  friend bool operator!=(const EnrollmentUrl& a, const EnrollmentUrl& b) { return !(a == b); }

 private:
  MsId ms_id_;
  DevId dev_id_;
  Otp otp_;
};

// Reads the otp and devid parameters of a query string (the Enrollment URL's, or
// a request target's on the MotherShip). Other parameters are ignored.
// Errors: missing, duplicate, syntax, too_long.
struct DeviceCredentials {
  DevId dev_id;
  Otp otp;
};
Result<DeviceCredentials> parse_device_credentials(std::string_view query);

// A whole box of devices with consecutive Dev IDs, whose OTPs derive from one
// box key (docs/protocol.md "Bulk enrollment").
class BoxUrl {
 public:
  static constexpr std::uint32_t kMaxCount = 10000;
  static constexpr std::size_t kKeySize = 16;
  using Key = std::array<std::uint8_t, kKeySize>;
  // 22 + 20 + "?first=" 8 + "&count=" 5 + "&key=" 32.
  static constexpr std::size_t kMaxLength = 106;
  using Text = FixedString<kMaxLength>;

  // Errors: out_of_range (count 0 or above kMaxCount, or Dev IDs past 0xffffffff).
  static Result<BoxUrl> make(MsId ms_id, DevId first, std::uint32_t count, const Key& key);
  // Same leniency as EnrollmentUrl::parse; path /.well-known/tte/box.
  // Errors: syntax, unsupported, reserved, missing, duplicate, out_of_range, too_long.
  static Result<BoxUrl> parse(std::string_view url, IdPolicy policy);

  MsId ms_id() const { return ms_id_; }
  DevId first() const { return first_; }
  std::uint32_t count() const { return count_; }
  const Key& key() const { return key_; }
  bool contains(DevId dev_id) const {
    return dev_id.value() >= first_.value() && dev_id.value() - first_.value() < count_;
  }
  Text to_string() const;

 private:
  BoxUrl(MsId ms_id, DevId first, std::uint32_t count, const Key& key)
      : ms_id_(ms_id), first_(first), count_(count), key_(key) {}
  MsId ms_id_;
  DevId first_;
  std::uint32_t count_;
  Key key_;
};

// Reads the first, count and key parameters of a query string (the box URL's,
// or a request target's on the MotherShip), with the leniency of
// parse_device_credentials. Other parameters are ignored.
// Errors: missing, duplicate, syntax, too_long, out_of_range (count 0 or above
// BoxUrl::kMaxCount, or Dev IDs past ffffffff).
struct BoxCredentials {
  DevId first;
  std::uint32_t count;
  BoxUrl::Key key;
};
Result<BoxCredentials> parse_box_credentials(std::string_view query);

}  // namespace tte

#endif  // TTE_ENROLLMENT_URL_HPP
