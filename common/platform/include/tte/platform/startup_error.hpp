// StartupError: the control plane's exception (start-up, configuration, a CLI's
// main). Request paths never throw; they return tte::Result.
#ifndef TTE_PLATFORM_STARTUP_ERROR_HPP
#define TTE_PLATFORM_STARTUP_ERROR_HPP

#include <stdexcept>
#include <string>

namespace tte {

class StartupError : public std::runtime_error {
 public:
  explicit StartupError(const std::string& message) : std::runtime_error(message) {}
};

// "what: strerror(errno)"
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace tte

#endif  // TTE_PLATFORM_STARTUP_ERROR_HPP
