#include "tte/platform/listener_budget.hpp"

namespace tte::http {

void add_budget_options(CommandLine& cli) {
  cli.option("max-connections", "N",
             "HTTP(S) connections open at once per listener; at the cap the oldest idle one is "
             "closed",
             "1024")
      .option("max-connections-per-client", "N",
              "HTTP(S) connections open at once from one IP address", "64")
      .option("header-timeout", "SECONDS",
              "how long a connection may take for its TLS handshake and each request's headers",
              "10")
      .option("max-half-open", "N",
              "DTLS handshakes past the cookie exchange held at once; the oldest are dropped first",
              "256")
      .option("max-half-open-per-client", "N", "the same, from one IP address", "8")
      .option("half-open-timeout", "SECONDS",
              "a DTLS handshake not finished in this time is dropped", "15");
}

void apply_budget_options(const CommandLine& cli, ListenerOptions& options) {
  options.max_connections =
      static_cast<std::size_t>(cli.require_int("max-connections", 1, 1'000'000));
  options.max_connections_per_client =
      static_cast<std::size_t>(cli.require_int("max-connections-per-client", 1, 1'000'000));
  options.header_timeout = std::chrono::seconds(cli.require_int("header-timeout", 1, 3600));
}

coaps::HalfOpenLimits half_open_limits(const CommandLine& cli) {
  coaps::HalfOpenLimits limits;
  limits.total = static_cast<unsigned>(cli.require_int("max-half-open", 1, 1'000'000));
  limits.per_source =
      static_cast<unsigned>(cli.require_int("max-half-open-per-client", 1, 1'000'000));
  limits.deadline = std::chrono::seconds(cli.require_int("half-open-timeout", 1, 3600));
  return limits;
}

}  // namespace tte::http
