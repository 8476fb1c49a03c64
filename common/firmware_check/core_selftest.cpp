// tte_core on the Device's CPU: the proto/ vectors that matter to a Device,
// checked on a Cortex-M3 under QEMU. Prints one line per failure and a summary.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "tte/dev_urn.hpp"
#include "tte/enrollment_answer.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/hex.hpp"
#include "tte/ip_address.hpp"
#include "tte/led_frame.hpp"
#include "tte/manual_code.hpp"

namespace {

struct ManualCodeVector {
  std::uint32_t ms_id;
  std::uint32_t dev_id;
  std::uint64_t otp;
  const char* code;
};
struct LedVector {
  std::uint32_t ms_id;
  std::uint32_t dev_id;
  std::uint64_t otp;
  const char* frame_hex;
  const char* levels;
};
struct AnswerVector {
  const char* cbor_hex;
  bool valid;
  const char* cip;
  unsigned cport;
};

#include "vectors.inc"

int checks = 0;
int failures = 0;

void check(bool ok, const char* what, int line) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAIL line %d: %s\n", line, what);
  }
}
#define CHECK(condition) check((condition), #condition, __LINE__)

std::size_t from_hex(const char* hex, std::uint8_t* out, std::size_t capacity) {
  std::size_t n = std::strlen(hex) / 2;
  if (n > capacity ||
      !tte::parse_hex_bytes(std::string_view(hex, 2 * n), tte::MutableByteView(out, n), "hex")
           .ok()) {
    return static_cast<std::size_t>(-1);
  }
  return n;
}

tte::EnrollmentUrl device(std::uint32_t ms, std::uint32_t dev, std::uint64_t otp) {
  return tte::EnrollmentUrl(tte::MsId::from_value(ms, tte::IdPolicy::allow_example).value(),
                            tte::DevId(dev), tte::Otp(otp));
}

void draft_example() {
  auto url = tte::EnrollmentUrl::parse(kDraft_draft_text_url, tte::IdPolicy::allow_example);
  CHECK(url.ok());
  if (url.ok()) {
    CHECK(url->to_string() == kDraft_enrollment_url);
    CHECK(tte::manual_code::encode(*url) == kDraft_manual_code);
  }
  auto refused = tte::EnrollmentUrl::parse(kDraft_enrollment_url, tte::IdPolicy::operational);
  CHECK(!refused.ok() && refused.error().code == tte::Errc::reserved);
}

void manual_codes() {
  for (const auto& v : kManualCodes) {
    tte::EnrollmentUrl expected = device(v.ms_id, v.dev_id, v.otp);
    CHECK(tte::manual_code::encode(expected) == v.code);
    auto decoded = tte::manual_code::decode(v.code, tte::IdPolicy::allow_example);
    CHECK(decoded.ok() && *decoded == expected);
  }
}

void led_frames() {
  for (const auto& v : kLedFrames) {
    tte::led::Frame frame = tte::led::build_frame(device(v.ms_id, v.dev_id, v.otp));
    std::uint8_t expected[tte::led::kFrameBytes];
    CHECK(from_hex(v.frame_hex, expected, sizeof expected) == tte::led::kFrameBytes);
    CHECK(std::memcmp(frame.data(), expected, sizeof expected) == 0);
    std::uint8_t levels[tte::led::kFrameBits + 1] = {0};
    tte::led::encode_levels(frame, false, tte::MutableByteView(levels + 1, tte::led::kFrameBits));
    bool same = true;
    for (std::size_t i = 0; i < tte::led::kFrameBits; ++i)
      same &= levels[i + 1] == (v.levels[i] - '0');
    CHECK(same);
    auto decoded = tte::led::decode_levels(levels, tte::IdPolicy::allow_example);
    CHECK(decoded.ok() && *decoded == device(v.ms_id, v.dev_id, v.otp));
  }
}

void enrollment_answers() {
  for (const auto& v : kAnswers) {
    std::uint8_t bytes[128];
    std::size_t n = from_hex(v.cbor_hex, bytes, sizeof bytes);
    if (n == static_cast<std::size_t>(-1)) continue;  // larger than a Device ever receives
    auto answer = tte::EnrollmentAnswer::decode_cbor(tte::ByteView(bytes, n));
    CHECK(answer.ok() == v.valid);
    if (!answer.ok() || !v.valid) continue;
    CHECK(answer->controller.ip.to_string() == v.cip);
    CHECK(answer->controller.port == v.cport);
    std::uint8_t encoded[tte::EnrollmentAnswer::kMaxEncodedSize];
    auto again = answer->encode_cbor(encoded);
    CHECK(again.ok() && again->size() == n && std::memcmp(again->data(), bytes, n) == 0);
  }
}

void identifiers() {
  CHECK(tte::DevUrn::parse("urn:dev:mac:0024beffff804ff1").ok());
  CHECK(tte::DevUrn::parse("urn:dev:mac:0024beffff804ff1")->suggested_dev_id()->value() ==
        0xff804ff1u);
  CHECK(!tte::DevUrn::parse("urn:dev:mac:0024BEFFFF804FF1").ok());
  CHECK(tte::IpAddress::parse("2001:DB8:0:0:0:0:0:7")->to_string() == "2001:db8::7");
  CHECK(tte::ControllerAddress::parse("[2001:db8::7]:5684")->port == 5684);
  CHECK(tte::MsId::from_value(10, tte::IdPolicy::operational)->host() == "tte-00000A.net");
}

}  // namespace

int main() {
  draft_example();
  manual_codes();
  led_frames();
  enrollment_answers();
  identifiers();
  if (failures == 0) {
    std::printf("tte core self-test: %d checks passed\n", checks);
    return 0;
  }
  std::printf("tte core self-test: FAIL: %d of %d checks failed\n", failures, checks);
  return 1;
}
