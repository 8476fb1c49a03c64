#include "urn_plan.hpp"

#include <cstdio>

#include "tte/ascii.hpp"
#include "tte/hex.hpp"

namespace tte::factory {
namespace {

Error spec_error(const char* message) {
  return make_error(Errc::syntax, message, "urn");
}

}  // namespace

Result<UrnPlan> UrnPlan::parse(const std::string& spec, std::uint64_t first_serial,
                               int serial_digits, std::uint64_t count) {
  if (count == 0) return make_error(Errc::out_of_range, "a batch has at least one device", "count");
  UrnPlan plan;
  std::size_t colon = spec.find(':');
  if (colon == std::string::npos) return spec_error("--urn is mac:EUI, ops:PEN-PRODUCT or os:PEN");
  std::string kind = spec.substr(0, colon), rest = spec.substr(colon + 1);
  if (kind == "mac") {
    if (rest.size() != 12 && rest.size() != 16)
      return spec_error("mac: takes an EUI-48 or EUI-64 in hex");
    TTE_ASSIGN_OR_RETURN(std::uint64_t eui, parse_hex_number(rest, 16, "urn"));
    plan.kind_ = Kind::mac;
    plan.prefix_ = "urn:dev:mac:";
    plan.first_ = eui;
    plan.digits_ = static_cast<int>(rest.size());
    std::uint64_t limit = plan.digits_ == 12 ? 0xffffffffffffull : ~0ull;
    if (count - 1 > limit - eui)
      return make_error(Errc::out_of_range, "the EUI range runs past its end", "urn");
  } else if (kind == "ops" || kind == "os") {
    if (serial_digits < 1 || serial_digits > 19) {
      return make_error(Errc::out_of_range, "--serial-digits is 1-19", "serial-digits");
    }
    plan.kind_ = kind == "ops" ? Kind::ops : Kind::os;
    plan.prefix_ = "urn:dev:" + kind + ":" + rest + "-";
    plan.first_ = first_serial;
    plan.digits_ = serial_digits;
    if (count - 1 > ~0ull - first_serial)
      return make_error(Errc::out_of_range, "serials overflow", "urn");
  } else {
    return spec_error("--urn is mac:EUI, ops:PEN-PRODUCT or os:PEN");
  }
  // The first and last URNs bound the rest: both must be valid RFC 9039 URNs.
  TTE_TRY(DevUrn::parse(plan.urn_text(0)));
  TTE_TRY(DevUrn::parse(plan.urn_text(count - 1)));
  return plan;
}

std::string UrnPlan::urn_text(std::uint64_t i) const {
  char suffix[32];
  if (kind_ == Kind::mac) {
    std::snprintf(suffix, sizeof suffix, "%0*llx", digits_,
                  static_cast<unsigned long long>(first_ + i));
  } else {
    std::snprintf(suffix, sizeof suffix, "%0*llu", digits_,
                  static_cast<unsigned long long>(first_ + i));
  }
  return prefix_ + suffix;
}

DevUrn UrnPlan::urn(std::uint64_t i) const {
  return DevUrn::parse(urn_text(i)).value();
}

DevId UrnPlan::dev_id(std::uint64_t i) const {
  return DevId(static_cast<std::uint32_t>(first_ + i));
}

}  // namespace tte::factory
