// A box of Devices for multi-process tests (bulk enrollment, docs/protocol.md
// section 13.2): OTPs derived from one box key, as device records and box claims.
#ifndef TTE_TESTS_BOX_HPP
#define TTE_TESTS_BOX_HPP

#include <cstdint>
#include <string>

#include "mothership.hpp"
#include "tte/host/otp_crypto.hpp"

namespace tte::test {

inline const BoxUrl::Key kBoxKey{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
inline constexpr const char* kBoxKeyHex = "000102030405060708090a0b0c0d0e0f";

inline std::string box_otp(std::uint32_t devid) {
  return std::string(box_device_otp(kBoxKey, DevId(devid)).value().to_string().view());
}

// Device records for Dev IDs first .. first + count - 1 with the box key's OTPs.
inline std::string box_records(std::uint32_t first, std::uint32_t count) {
  std::string records;
  for (std::uint32_t n = first; n < first + count; ++n) {
    records += "{\"devid\":\"" + devid_of(n) + "\",\"urn\":\"urn:dev:ops:32473-Box-" +
               std::to_string(n) + "\",\"fingerprint\":\"" + kDeviceFingerprint + "\",\"otp\":\"" +
               box_otp(n) + "\"}\n";
  }
  return records;
}

// The box claim's query, mapping the box to the test Controller.
inline std::string box_query(std::uint32_t first, std::uint32_t count,
                             const std::string& key = kBoxKeyHex) {
  return "first=" + devid_of(first) + "&count=" + std::to_string(count) + "&key=" + key +
         "&cip=127.0.0.1&cport=5684&cfingerprint=" + kControllerFingerprint;
}

}  // namespace tte::test

#endif  // TTE_TESTS_BOX_HPP
