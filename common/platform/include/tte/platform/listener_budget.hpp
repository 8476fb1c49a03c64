// The command-line options both servers give for their HTTP(S) listeners'
// budget (docs/operations.md, "Limits"), and their values in ListenerOptions.
#ifndef TTE_PLATFORM_LISTENER_BUDGET_HPP
#define TTE_PLATFORM_LISTENER_BUDGET_HPP

#include <string>
#include <vector>

#include "tte/platform/command_line.hpp"
#include "tte/platform/http_server.hpp"

namespace tte::http {

// Adds --max-connections, --max-connections-per-client and --header-timeout.
void add_budget_options(CommandLine& cli);
// Sets the budget of `options` from them. Throws UsageError on a bad value.
void apply_budget_options(const CommandLine& cli, ListenerOptions& options);

}  // namespace tte::http

#endif  // TTE_PLATFORM_LISTENER_BUDGET_HPP
