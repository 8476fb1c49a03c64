// The MotherShip's own parsers of untrusted input: factory device records (the
// admin API's body), provisioning bundles, the device query's URI query and
// Accept option, the HTTP Accept header, and --database locations (with their
// password redaction). None may crash; what parses must be well formed.
#include <cctype>
#include <cstdint>
#include <string_view>

#include "bundle.hpp"
#include "database_location.hpp"
#include "device_query.hpp"
#include "device_record.hpp"
#include "fuzz_check.hpp"
#include "tte/platform/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace tte;
  using namespace tte::mothership;

  if (auto bundle = factory::Bundle::from_json(text, IdPolicy::allow_example); bundle.ok()) {
    FUZZ_CHECK(bundle->private_key_pem.empty() == bundle->certificate_pem.empty());
  }
  if (auto record = FactoryRecord::from_json(text); record.ok()) {
    auto again = FactoryRecord::from_json(record->to_json());
    FUZZ_CHECK(again.ok() && again->to_json() == record->to_json());
  }

  // A device query against one known device; the first byte picks the Accept option.
  static const DeviceRecord known = [] {
    DeviceRecord record{DevId(1), DevUrn::parse("urn:dev:ops:32473-Fuzz-1").value(),
                        Fingerprint::parse(std::string(64, 'a')).value(), OtpDigest{},
                        DeviceState::mapped};
    record.controller =
        ControllerBinding{ControllerAddress::parse("192.0.2.7:5684").value(),
                          Fingerprint::parse(std::string(64, 'b')).value(), std::nullopt};
    return record;
  }();
  std::optional<unsigned> accept;
  if (!text.empty() && text[0] != 'u') accept = static_cast<unsigned char>(text[0]);
  auto lookup = [](std::string_view urn) -> Result<std::optional<DeviceRecord>> {
    if (urn == known.urn.view()) return std::optional<DeviceRecord>(known);
    return std::optional<DeviceRecord>();
  };
  auto answer = answer_device_query(text, accept, known.fingerprint, lookup, 60);
  FUZZ_CHECK(answer.code != 0);
  if (answer.code == coap_code::content)
    FUZZ_CHECK(!answer.payload.empty() && answer.content_format);

  if (auto location = DatabaseLocation::parse(text, "/data"); location.ok()) {
    auto again = DatabaseLocation::parse(location->to_string());
    FUZZ_CHECK(again.ok() && again->kind == location->kind && again->target == location->target);
    // A password parameter never shows: each is *** up to the next parameter.
    const std::string redacted = location->redacted();
    if (location->kind == DatabaseLocation::Kind::postgresql) {
      for (const char* key : {"?password=", "&password="}) {
        for (std::size_t at = redacted.find(key); at != std::string::npos;
             at = redacted.find(key, at + 1)) {
          const std::size_t value = at + 10;
          FUZZ_CHECK(redacted.compare(value, 3, "***") == 0 &&
                     (value + 3 == redacted.size() || redacted[value + 3] == '&'));
        }
      }
    }
  }

  // Any text as an error names it: a keyword/value password= never keeps a
  // value (up to the next blank, or its closing quote).
  const std::string named = redact_database_text(text);
  for (std::size_t at = named.find("password=", 0); at != std::string::npos;
       at = named.find("password=", at + 1)) {
    const std::size_t value = at + 9;
    FUZZ_CHECK(value == named.size() || named.compare(value, 3, "***") == 0 ||
               std::isspace(static_cast<unsigned char>(named[value])));
  }

  http::Request request;
  request.headers.emplace_back("Accept", std::string(text));
  (void)http::prefers_html(request);
  return 0;
}
