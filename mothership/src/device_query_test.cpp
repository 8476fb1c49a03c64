#include "device_query.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "tte/enrollment_answer.hpp"

namespace tte::mothership {
namespace {

using testing::kDeviceFingerprint;

DeviceRecord device(DeviceState state) {
  auto r = testing::test_record(1);
  DeviceRecord record{r.dev_id, r.urn, r.fingerprint, OtpDigest{}, state};
  if (state != DeviceState::unmapped) record.controller = testing::test_controller();
  return record;
}

DeviceLookup lookup_of(std::optional<DeviceRecord> record) {
  return [record](std::string_view urn) -> Result<std::optional<DeviceRecord>> {
    if (record && record->urn.view() == urn) return record;
    return std::optional<DeviceRecord>();
  };
}

const std::optional<Fingerprint> kRightKey = Fingerprint::parse(kDeviceFingerprint).value();
const std::optional<Fingerprint> kWrongKey =
    Fingerprint::parse(testing::kControllerFingerprint).value();
constexpr const char* kQuery = "urn=urn:dev:ops:32473-Test-1";

std::string text(const DeviceQueryAnswer& answer) {
  return std::string(answer.payload.begin(), answer.payload.end());
}

TEST(DeviceQuery, MappedDeviceWithTheRightKeyGetsItsControllerInCbor) {
  auto answer = answer_device_query(kQuery, std::nullopt, kRightKey,
                                    lookup_of(device(DeviceState::mapped)), 60);
  EXPECT_EQ(answer.code, coap_code::content);
  EXPECT_EQ(answer.content_format, kContentFormatCbor);
  EXPECT_TRUE(answer.record_registered);
  auto decoded = EnrollmentAnswer::decode_cbor(answer.payload);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->controller.to_string(), "192.0.2.7:5684");
  EXPECT_EQ(decoded->controller_fingerprint.to_string(), testing::kControllerFingerprint);
}

TEST(DeviceQuery, JsonOnAccept50AndNoSecondRegistration) {
  auto answer =
      answer_device_query(kQuery, 50u, kRightKey, lookup_of(device(DeviceState::registered)), 60);
  EXPECT_EQ(answer.code, coap_code::content);
  EXPECT_EQ(answer.content_format, kContentFormatJson);
  EXPECT_FALSE(answer.record_registered);
  EXPECT_EQ(text(answer), "{\"cip\":\"192.0.2.7\",\"cport\":5684,\"cfingerprint\":\"" +
                              std::string(testing::kControllerFingerprint) + "\"}");
}

TEST(DeviceQuery, UnmappedDevicesAreToldToWait) {
  auto answer = answer_device_query(kQuery, std::nullopt, kRightKey,
                                    lookup_of(device(DeviceState::unmapped)), 90);
  EXPECT_EQ(answer.code, coap_code::service_unavailable);
  EXPECT_EQ(answer.max_age, 90u);
  EXPECT_TRUE(answer.payload.empty());
}

TEST(DeviceQuery, WrongKeyAndUnknownUrnLookTheSame) {
  auto wrong = answer_device_query(kQuery, std::nullopt, kWrongKey,
                                   lookup_of(device(DeviceState::mapped)), 60);
  auto unknown = answer_device_query("urn=urn:dev:ops:32473-Test-9", std::nullopt, kRightKey,
                                     lookup_of(device(DeviceState::mapped)), 60);
  auto no_key = answer_device_query(kQuery, std::nullopt, std::nullopt,
                                    lookup_of(device(DeviceState::mapped)), 60);
  for (const auto& answer : {wrong, unknown, no_key}) {
    EXPECT_EQ(answer.code, coap_code::forbidden);
    EXPECT_EQ(text(answer), "forbidden");
    EXPECT_FALSE(answer.record_registered);
  }
}

TEST(DeviceQuery, OnlyTheDeviceItselfLearnsItIsRevoked) {
  DeviceRecord revoked = device(DeviceState::mapped);
  revoked.revoked_at = 100;
  auto answer = answer_device_query(kQuery, std::nullopt, kRightKey, lookup_of(revoked), 60);
  EXPECT_EQ(answer.code, coap_code::forbidden);
  EXPECT_EQ(text(answer), "revoked");
  auto stranger = answer_device_query(kQuery, std::nullopt, kWrongKey, lookup_of(revoked), 60);
  EXPECT_EQ(text(stranger), "forbidden");
}

TEST(DeviceQuery, BadRequests) {
  auto lookup = lookup_of(device(DeviceState::mapped));
  EXPECT_EQ(answer_device_query("", std::nullopt, kRightKey, lookup, 60).code,
            coap_code::bad_request);
  EXPECT_EQ(answer_device_query("urn=nope", std::nullopt, kRightKey, lookup, 60).code,
            coap_code::bad_request);
  EXPECT_EQ(
      answer_device_query(std::string(kQuery) + "&" + kQuery, std::nullopt, kRightKey, lookup, 60)
          .code,
      coap_code::bad_request);
  EXPECT_EQ(answer_device_query(kQuery, 0u, kRightKey, lookup, 60).code, coap_code::not_acceptable);
  auto failing = [](std::string_view) -> Result<std::optional<DeviceRecord>> {
    return make_error(Errc::io, "down", "database");
  };
  EXPECT_EQ(answer_device_query(kQuery, std::nullopt, kRightKey, failing, 60).code,
            coap_code::internal_error);
}

}  // namespace
}  // namespace tte::mothership
