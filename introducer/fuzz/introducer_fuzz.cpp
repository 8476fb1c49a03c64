// The Introducer's parsers of untrusted input: the installer's typed or
// scanned device or box text, the MotherShip's and the Controller's answers, the
// site list file, and label images (PNG/JPEG decoding and QR detection).
// None may crash or throw anything but StartupError.
#include <cstdint>
#include <string>
#include <string_view>

#include "device_input.hpp"
#include "fuzz_check.hpp"
#include "mothership_client.hpp"
#include "notices.hpp"
#include "sites.hpp"
#include "tte/platform/startup_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  using namespace tte;
  using namespace tte::introducer;

  (void)classify_input(text, false);
  // A box's text: its box URL or its manual code.
  if (names_a_box(text)) {
    if (auto box = box_from_text(text, IdPolicy::allow_example); box.ok()) {
      auto again = BoxUrl::parse(box->to_string().view(), IdPolicy::allow_example);
      FUZZ_CHECK(again.ok() && again->to_string().view() == box->to_string().view());
    }
  }
  if (auto device = device_from_text(text, IdPolicy::allow_example); device.ok()) {
    auto again = EnrollmentUrl::parse(device->to_string().view(), IdPolicy::allow_example);
    FUZZ_CHECK(again.ok() && again->to_string().view() == device->to_string().view());
  }

  // An answer: the first two bytes choose the status, the rest is the body.
  http::FetchResult result;
  result.response.status = size >= 2 ? 100 + (data[0] * 256 + data[1]) % 500 : 200;
  result.response.body = size >= 2 ? text.substr(2) : text;
  result.response.headers = {{"Retry-After", result.response.body.substr(0, 12)}};
  MotherShipAnswer answer = interpret(result);
  FUZZ_CHECK(answer.verdict != Verdict::ok || answer.device.has_value());
  (void)interpret_delivery(result);
  // A box claim's answer, for a box of 24 Devices; the batch intake's, for 3 notices.
  static const BoxUrl box = box_from_text(
                                "https://tte-00000A.net/.well-known/tte/box?first=00001000&count=24"
                                "&key=000102030405060708090a0b0c0d0e0f",
                                IdPolicy::operational)
                                .value();
  BoxClaimAnswer box_answer = interpret_box(result, box);
  FUZZ_CHECK(box_answer.verdict != Verdict::ok || box_answer.devices.size() == box.count());
  for (const auto& state : box_answer.devices)
    FUZZ_CHECK(box.contains(state.dev_id));
  FUZZ_CHECK(interpret_batch_delivery(result, 3).size() == 3);

  try {
    auto sites = parse_sites(text);
    for (const auto& [name, site] : sites)
      FUZZ_CHECK(valid_site_name(name));
  } catch (const StartupError&) {
  }
  try {
    (void)qr_codes_in(text);
  } catch (const StartupError&) {
  }
  return 0;
}
