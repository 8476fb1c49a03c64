#include "tte/result.hpp"

#include "tte/span.hpp"

#if !defined(TTE_FIRMWARE)
#include <cstdio>
#include <cstdlib>
#endif

namespace tte {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::syntax:
      return "syntax";
    case Errc::out_of_range:
      return "out_of_range";
    case Errc::reserved:
      return "reserved";
    case Errc::missing:
      return "missing";
    case Errc::duplicate:
      return "duplicate";
    case Errc::too_long:
      return "too_long";
    case Errc::checksum:
      return "checksum";
    case Errc::unsupported:
      return "unsupported";
    case Errc::not_found:
      return "not_found";
    case Errc::forbidden:
      return "forbidden";
    case Errc::already_used:
      return "already_used";
    case Errc::revoked:
      return "revoked";
    case Errc::throttled:
      return "throttled";
    case Errc::unavailable:
      return "unavailable";
    case Errc::io:
      return "io";
    case Errc::crypto:
      return "crypto";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

void result_access_failure(const char* what) {
#if defined(TTE_FIRMWARE)
  (void)what;
  __builtin_trap();
#else
  std::fprintf(stderr, "tte: value() on a failed Result: %s\n", what ? what : "");
  std::abort();
#endif
}

bool equal_constant_time(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  // volatile keeps the compiler from turning the loop into an early-exit memcmp.
  volatile std::uint8_t difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference = static_cast<std::uint8_t>(difference | (a[i] ^ b[i]));
  }
  return difference == 0;
}

}  // namespace tte
