#include "tte/platform/listener_budget.hpp"

#include <cerrno>
#include <cstdlib>

namespace tte::http {
namespace {

long long whole_number(const CommandLine& cli, const std::string& name, long long minimum,
                       long long maximum) {
  std::string text = cli.require(name);
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < minimum || value > maximum) {
    throw UsageError("--" + name + " must be a whole number from " + std::to_string(minimum) +
                     " to " + std::to_string(maximum));
  }
  return value;
}

}  // namespace

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
      static_cast<std::size_t>(whole_number(cli, "max-connections", 1, 1'000'000));
  options.max_connections_per_client =
      static_cast<std::size_t>(whole_number(cli, "max-connections-per-client", 1, 1'000'000));
  options.header_timeout = std::chrono::seconds(whole_number(cli, "header-timeout", 1, 3600));
}

coaps::HalfOpenLimits half_open_limits(const CommandLine& cli) {
  coaps::HalfOpenLimits limits;
  limits.total = static_cast<unsigned>(whole_number(cli, "max-half-open", 1, 1'000'000));
  limits.per_source =
      static_cast<unsigned>(whole_number(cli, "max-half-open-per-client", 1, 1'000'000));
  limits.deadline = std::chrono::seconds(whole_number(cli, "half-open-timeout", 1, 3600));
  return limits;
}

}  // namespace tte::http
