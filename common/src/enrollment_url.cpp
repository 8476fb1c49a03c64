#include "tte/enrollment_url.hpp"

#include "tte/ascii.hpp"
#include "tte/hex.hpp"
#include "tte/query.hpp"

namespace tte {
namespace {

// Longest parameter name and value we decode; anything longer is not ours.
constexpr std::size_t kMaxNameLength = 16;
constexpr std::size_t kMaxValueLength = 64;

// Calls on_parameter(name, value) for each parameter of a URL query with its
// name and value percent-decoded. Names longer than kMaxNameLength are skipped
// (they are not TTE's); values longer than kMaxValueLength are an error.
template <typename OnParameter>
Status for_each_parameter(std::string_view query, OnParameter on_parameter) {
  QueryReader reader(query, QueryStyle::url);
  QueryParameter parameter;
  while (reader.next(parameter)) {
    char name_buffer[kMaxNameLength];
    auto name = percent_decode(parameter.name, name_buffer, QueryStyle::url, "query");
    if (!name.ok()) {
      if (name.error().code == Errc::too_long) continue;
      return name.error();
    }
    char value_buffer[kMaxValueLength];
    TTE_ASSIGN_OR_RETURN(std::string_view value,
                         percent_decode(parameter.value, value_buffer, QueryStyle::url, "query"));
    TTE_TRY(on_parameter(name.value(), value));
  }
  return ok_status();
}

// Assigns parse(value) to slot if name matches, refusing a second occurrence.
template <typename T, typename Parse>
Status take_parameter(std::string_view name, std::string_view value, std::string_view wanted,
                      const char* field, bool& seen, T& slot, Parse parse) {
  if (!ascii::equals_ignoring_case(name, wanted)) return ok_status();
  if (seen) return make_error(Errc::duplicate, "parameter given twice", field);
  seen = true;
  TTE_ASSIGN_OR_RETURN(slot, parse(value));
  return ok_status();
}

Result<MsId> ms_id_of(const HttpsUrl& parts, std::string_view expected_path, IdPolicy policy) {
  if (parts.path != expected_path) {
    return make_error(Errc::syntax, "wrong path for a TTE URL", "path");
  }
  return MsId::from_host(parts.host, policy);
}

Result<std::uint32_t> parse_count(std::string_view text) {
  if (text.empty()) return make_error(Errc::missing, "empty count", "count");
  if (text.size() > 6) return make_error(Errc::out_of_range, "count too large", "count");
  std::uint32_t value = 0;
  for (char c : text) {
    if (!ascii::is_digit(c))
      return make_error(Errc::syntax, "count is not a decimal number", "count");
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

Status check_box_range(DevId first, std::uint32_t count) {
  if (count == 0 || count > BoxUrl::kMaxCount) {
    return make_error(Errc::out_of_range, "a box holds 1 to 10000 devices", "count");
  }
  if (count - 1 > 0xffffffffu - first.value()) {
    return make_error(Errc::out_of_range, "the box's Dev IDs run past ffffffff", "count");
  }
  return ok_status();
}

}  // namespace

Result<DeviceCredentials> parse_device_credentials(std::string_view query) {
  bool seen_otp = false, seen_devid = false;
  Otp otp(0);
  DevId dev_id(0);
  TTE_TRY(for_each_parameter(query, [&](std::string_view name, std::string_view value) -> Status {
    TTE_TRY(take_parameter(name, value, "otp", "otp", seen_otp, otp, Otp::parse));
    return take_parameter(name, value, "devid", "devid", seen_devid, dev_id, DevId::parse);
  }));
  if (!seen_otp) return make_error(Errc::missing, "the otp parameter is missing", "otp");
  if (!seen_devid) return make_error(Errc::missing, "the devid parameter is missing", "devid");
  return DeviceCredentials{dev_id, otp};
}

Result<EnrollmentUrl> EnrollmentUrl::parse(std::string_view url, IdPolicy policy) {
  TTE_ASSIGN_OR_RETURN(HttpsUrl parts, split_https_url(url));
  TTE_ASSIGN_OR_RETURN(MsId ms_id, ms_id_of(parts, kEnrollmentPath, policy));
  TTE_ASSIGN_OR_RETURN(DeviceCredentials credentials, parse_device_credentials(parts.query));
  return EnrollmentUrl(ms_id, credentials.dev_id, credentials.otp);
}

EnrollmentUrl::Text EnrollmentUrl::to_string() const {
  Text text;
  text.append("https://");
  text.append(ms_id_.host().view());
  text.append(kEnrollmentPath);
  text.append("?otp=");
  text.append(otp_.to_string().view());
  text.append("&devid=");
  text.append(dev_id_.to_string().view());
  return text;
}

Result<BoxUrl> BoxUrl::make(MsId ms_id, DevId first, std::uint32_t count, const Key& key) {
  TTE_TRY(check_box_range(first, count));
  return BoxUrl(ms_id, first, count, key);
}

Result<BoxCredentials> parse_box_credentials(std::string_view query) {
  bool seen_first = false, seen_count = false, seen_key = false;
  DevId first(0);
  std::uint32_t count = 0;
  BoxUrl::Key key{};
  TTE_TRY(for_each_parameter(query, [&](std::string_view name, std::string_view value) -> Status {
    TTE_TRY(take_parameter(name, value, "first", "first", seen_first, first,
                           [](std::string_view text) -> Result<DevId> {
                             auto parsed = DevId::parse(text);
                             if (parsed.ok()) return parsed;
                             return make_error(parsed.error().code, parsed.error().message,
                                               "first");
                           }));
    TTE_TRY(take_parameter(name, value, "count", "count", seen_count, count, parse_count));
    return take_parameter(name, value, "key", "key", seen_key, key,
                          [](std::string_view text) -> Result<BoxUrl::Key> {
                            BoxUrl::Key parsed{};
                            TTE_TRY(parse_hex_bytes(text, parsed, "key"));
                            return parsed;
                          });
  }));
  if (!seen_first) return make_error(Errc::missing, "the first parameter is missing", "first");
  if (!seen_count) return make_error(Errc::missing, "the count parameter is missing", "count");
  if (!seen_key) return make_error(Errc::missing, "the key parameter is missing", "key");
  TTE_TRY(check_box_range(first, count));
  return BoxCredentials{first, count, key};
}

Result<BoxUrl> BoxUrl::parse(std::string_view url, IdPolicy policy) {
  TTE_ASSIGN_OR_RETURN(HttpsUrl parts, split_https_url(url));
  TTE_ASSIGN_OR_RETURN(MsId ms_id, ms_id_of(parts, kBoxPath, policy));
  TTE_ASSIGN_OR_RETURN(BoxCredentials credentials, parse_box_credentials(parts.query));
  return make(ms_id, credentials.first, credentials.count, credentials.key);
}

BoxUrl::Text BoxUrl::to_string() const {
  Text text;
  text.append("https://");
  text.append(ms_id_.host().view());
  text.append(kBoxPath);
  text.append("?first=");
  text.append(first_.to_string().view());
  text.append("&count=");
  append_decimal(text, count_);
  text.append("&key=");
  char hex[2 * kKeySize];
  write_hex_lower(key_, hex);
  text.append(std::string_view(hex, sizeof hex));
  return text;
}

}  // namespace tte
