#include "tte/host/status.hpp"

#include <gtest/gtest.h>

namespace tte {
namespace {

TEST(WireStatus, EveryErrcHasOneHttpStatusAndOneCoapCode) {
  for (int value = static_cast<int>(Errc::syntax); value <= static_cast<int>(Errc::internal);
       ++value) {
    const auto code = static_cast<Errc>(value);
    const WireStatus status = wire_status(code);
    EXPECT_GE(status.http, 400) << errc_name(code);
    EXPECT_LT(status.http, 600) << errc_name(code);
    EXPECT_GE(status.coap >> 5, 4) << errc_name(code);
    EXPECT_LE(status.coap >> 5, 5) << errc_name(code);
    // Client errors are client errors in both protocols.
    EXPECT_EQ(status.http / 100 == 4, (status.coap >> 5) == 4 || code == Errc::throttled)
        << errc_name(code);
  }
  EXPECT_EQ(wire_status(Errc::syntax).http, 400);
  EXPECT_EQ(wire_status(Errc::forbidden).coap, coap_code::forbidden);
  EXPECT_EQ(wire_status(Errc::not_found).http, 404);
  EXPECT_EQ(wire_status(Errc::too_long).coap, coap_code::too_large);
  EXPECT_EQ(wire_status(Errc::duplicate).http, 409);
  EXPECT_EQ(wire_status(Errc::revoked).http, 410);
  EXPECT_EQ(wire_status(Errc::unavailable).http, 503);
}

TEST(WireStatus, CoapCodesAreWrittenAsRfc7252Does) {
  EXPECT_EQ(coap_code_text(coap_code::content), "2.05");
  EXPECT_EQ(coap_code_text(coap_code::not_found), "4.04");
  EXPECT_EQ(coap_code_text(coap_code::too_large), "4.13");
  EXPECT_EQ(coap_code_text(coap_code::continue_), "2.31");
  EXPECT_EQ(coap_code_text(coap_code::gateway_timeout), "5.04");
}

}  // namespace
}  // namespace tte
