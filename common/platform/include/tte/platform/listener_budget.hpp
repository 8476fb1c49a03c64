// The command-line options both servers give for their listeners' budget
// (docs/operations.md, "Limits"): HTTP(S) connections, and half-open DTLS
// handshakes on CoAPS.
#ifndef TTE_PLATFORM_LISTENER_BUDGET_HPP
#define TTE_PLATFORM_LISTENER_BUDGET_HPP

#include <chrono>
#include <string>
#include <vector>

#include "tte/platform/command_line.hpp"
#include "tte/platform/http_server.hpp"

namespace tte::coaps {

// Half-open DTLS handshakes a CoAPS server holds (coaps_server.hpp, HalfOpenSessions).
struct HalfOpenLimits {
  unsigned per_source = 8;                    // from one IP address
  unsigned total = 256;                       // in all
  std::chrono::milliseconds deadline{15000};  // a handshake older than this is dropped
};

}  // namespace tte::coaps

namespace tte::http {

// Adds --max-connections, --max-connections-per-client, --header-timeout and
// --max-half-open, --max-half-open-per-client, --half-open-timeout.
void add_budget_options(CommandLine& cli);
// Sets the budget of `options` from them. Throws UsageError on a bad value.
void apply_budget_options(const CommandLine& cli, ListenerOptions& options);
// The half-open DTLS limits from them. Throws UsageError on a bad value.
coaps::HalfOpenLimits half_open_limits(const CommandLine& cli);

}  // namespace tte::http

#endif  // TTE_PLATFORM_LISTENER_BUDGET_HPP
