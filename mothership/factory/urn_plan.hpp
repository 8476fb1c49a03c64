// Which URN (and Dev ID) each device of a batch gets (docs/factory.md):
//
//   mac:0024BEFFFF000000   EUI-64 (16 hex) or EUI-48 (12 hex) range: urn:dev:mac:<EUI + i>,
//                          Dev ID = the low 32 bits (the draft's suggestion)
//   ops:32473-Light        urn:dev:ops:32473-Light-<serial>, serials from --first-serial,
//                          zero-padded to --serial-digits; Dev IDs allocated
//   os:32473               urn:dev:os:32473-<serial>; Dev IDs allocated
#ifndef TTE_FACTORY_URN_PLAN_HPP
#define TTE_FACTORY_URN_PLAN_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tte/dev_urn.hpp"
#include "tte/identifiers.hpp"
#include "tte/result.hpp"

namespace tte::factory {

class UrnPlan {
 public:
  // Errors: syntax (the spec), out_of_range (the range does not fit `count`),
  // and the URN's own errors for the first and last device.
  static Result<UrnPlan> parse(const std::string& spec, std::uint64_t first_serial,
                               int serial_digits, std::uint64_t count);

  // Device i's URN (0 <= i < count, checked by parse).
  DevUrn urn(std::uint64_t i) const;
  std::string urn_text(std::uint64_t i) const;
  // Whether Dev IDs come from the URNs (mac) rather than being allocated.
  bool dev_id_from_urn() const { return kind_ == Kind::mac; }
  // Device i's Dev ID, for plans whose Dev IDs come from the URNs.
  DevId dev_id(std::uint64_t i) const;

 private:
  enum class Kind { mac, ops, os };
  Kind kind_ = Kind::ops;
  std::string prefix_;       // "urn:dev:ops:32473-Light-" ...
  std::uint64_t first_ = 0;  // the first EUI or serial
  int digits_ = 0;           // hex digits of the EUI, or decimal digits of the serial
};

}  // namespace tte::factory

#endif  // TTE_FACTORY_URN_PLAN_HPP
