// The MotherShip's HTML pages for Introducers that are web browsers (docs/protocol.md
// section 5.1): plain HTML and inline CSS, nothing loaded from elsewhere, usable on a phone.
#ifndef TTE_MOTHERSHIP_PAGES_HPP
#define TTE_MOTHERSHIP_PAGES_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "tte/host/messages.hpp"

namespace tte::mothership::pages {

// Values to show again in the form after a mistake.
struct FormValues {
  std::string cip;
  std::string cport = "5684";
  std::string cfingerprint;
  std::string description;
  std::string cpsk;            // the link PSK typed in (docs/protocol.md 13.3)
  bool cpsk_generate = false;  // "make one for me"
  bool psk_device = false;     // the form is for a PSK Device: it needs a link PSK
};

std::string home(const std::string& host);
// The claim form; `problem` (if not empty) explains what was wrong with the last submission.
std::string form(const std::string& host, const std::string& devid, const FormValues& values,
                 const std::string& problem, const std::string& field);
// made_psk: the link PSK the MotherShip made for the installer ("make one for
// me"), shown this once with what to do with it; empty otherwise.
std::string mapped(const std::string& host, const StateObject& device,
                   const std::string& made_psk = "");
std::string already_used(const std::string& host, const StateObject& device);
// Bulk enrollment (docs/protocol.md section 13.2): the box's form, its mapped
// Devices, and the Devices that stopped it.
std::string box_form(const std::string& host, DevId first, std::uint32_t count,
                     const FormValues& values, const std::string& problem,
                     const std::string& field);
std::string box_mapped(const std::string& host, const BoxClaimAnswer& answer);
std::string box_already_used(const std::string& host, DevId first, std::uint32_t count,
                             const std::vector<StateObject>& used);
std::string error(const std::string& host, int status, const std::string& title,
                  const std::string& message);

}  // namespace tte::mothership::pages

#endif  // TTE_MOTHERSHIP_PAGES_HPP
