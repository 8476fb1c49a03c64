// The Controller's parsers of untrusted input: Resource Directory registrations,
// updates and lookups from Devices (Uri-Query options and link-format payloads),
// controller codes, and the batch intake's notices. None may crash; what parses must print and
// parse back the same.
#include <cstdint>
#include <string>
#include <vector>

#include "directory.hpp"
#include "fuzz_check.hpp"
#include "link_format.hpp"
#include "notice_batch.hpp"
#include "rd_lookup.hpp"
#include "tte/host/controller_code.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  using namespace tte;
  using namespace tte::controller;

  if (auto links = parse_link_format(text); links.ok()) {
    auto again = parse_link_format(format_link_format(links.value()));
    FUZZ_CHECK(again.ok() &&
               format_link_format(again.value()) == format_link_format(links.value()));
  }
  // A registration: query options up to the first newline, '&'-separated; the payload after it.
  std::size_t newline = text.find('\n');
  std::vector<std::string> query;
  std::string head = text.substr(0, newline);
  for (std::size_t start = 0; start <= head.size();) {
    std::size_t end = head.find('&', start);
    if (end == std::string::npos) end = head.size();
    query.push_back(head.substr(start, end - start));
    start = end + 1;
  }
  std::string payload = newline == std::string::npos ? std::string() : text.substr(newline + 1);
  if (auto request = parse_registration(query, payload, std::nullopt); request.ok()) {
    Directory directory;
    auto registered =
        directory.register_endpoint(request.value(), Fingerprint(), "coaps://192.0.2.9:5684", 0);
    FUZZ_CHECK(registered.ok() && directory.size() == 1);
    FUZZ_CHECK(directory.find_endpoint(request->endpoint, request->sector) != nullptr);
    // The expiry index agrees with the registration, and expiry empties the directory.
    const std::int64_t expires = registered->registration.expires_at();
    FUZZ_CHECK(directory.next_expiry() == expires);
    FUZZ_CHECK(directory.expire(expires - 1).empty());
    FUZZ_CHECK(directory.expire(expires).size() == 1 && directory.size() == 0);
    FUZZ_CHECK(!directory.next_expiry());
    // Lookups over it, with the same options as filters, answer link-format
    // that parses back: nothing a registrant sends can forge a link.
    FUZZ_CHECK(
        directory.register_endpoint(request.value(), Fingerprint(), "coaps://[::1]:1", 0).ok());
    for (const auto& filters : {query, std::vector<std::string>{}}) {
      auto lookup = parse_lookup_query(filters);
      if (!lookup.ok()) continue;
      for (const std::string& answer : {lookup_endpoints(directory, lookup.value()),
                                        lookup_resources(directory, lookup.value())}) {
        if (answer.empty() || answer.size() > kMaxLinkFormatBytes) continue;
        auto parsed = parse_link_format(answer);
        FUZZ_CHECK(parsed.ok());
      }
    }
  }
  (void)parse_simple_registration(query, payload);
  (void)resolve_reference(head, payload);
  (void)parse_update(query, payload);
  // The batch intake's body (docs/protocol.md §10.2): every notice is judged,
  // well-formed ones print and parse back the same.
  if (auto batch = parse_notice_batch(text); batch.ok()) {
    FUZZ_CHECK(batch->size >= 1 && batch->size <= kMaxNoticeBatch);
    FUZZ_CHECK(batch->notices.size() == batch->index_of.size());
    FUZZ_CHECK(batch->malformed.size() == batch->size);
    for (std::size_t n = 0; n < batch->notices.size(); ++n) {
      FUZZ_CHECK(!batch->malformed[batch->index_of[n]]);
      auto again = DeviceNotice::from_json(batch->notices[n].to_json(), IdPolicy::allow_example);
      FUZZ_CHECK(again.ok() && again->to_json() == batch->notices[n].to_json());
    }
  }
  if (auto code = ControllerCode::parse(text); code.ok()) {
    auto again = ControllerCode::parse(code->to_string());
    FUZZ_CHECK(again.ok() && again->to_string() == code->to_string());
  }
  return 0;
}
