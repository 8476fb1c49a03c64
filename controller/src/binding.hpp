// A binding: each new value of one Device's resource (a switch) is PUT to
// another's (a light). Stored by the Registry, fired by the CoAPS server.
#ifndef TTE_CONTROLLER_BINDING_HPP
#define TTE_CONTROLLER_BINDING_HPP

#include <cstdint>
#include <optional>
#include <string>

namespace tte::controller {

struct Binding {
  std::int64_t id = 0;
  std::string source_urn, source_path;  // observed ("/switch")
  std::string target_urn, target_path;  // set to each new value ("/light")
  std::int64_t created_at = 0;
  // Not stored: what happened last.
  std::string last_value;
  std::optional<std::int64_t> last_fired_at;
  std::string last_error;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_BINDING_HPP
