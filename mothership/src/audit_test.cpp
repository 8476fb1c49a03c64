#include "audit.hpp"

#include <gtest/gtest.h>

namespace tte::mothership {
namespace {

AuditEntry entry() {
  AuditEntry e;
  e.seq = 1;
  e.time = 1795843720;
  e.actor = "192.0.2.50";
  e.action = "claim";
  e.dev_id = DevId(0xabcdef01);
  e.outcome = "mapped";
  e.controller_fingerprint = "98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4";
  return e;
}

TEST(Audit, CanonicalJsonIsFixed) {
  EXPECT_EQ(
      entry().canonical_json(),
      "{\"seq\":1,\"time\":\"2026-11-28T05:28:40Z\",\"actor\":\"192.0.2.50\",\"action\":\"claim\","
      "\"devid\":\"abcdef01\",\"outcome\":\"mapped\",\"cfingerprint\":"
      "\"98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4\",\"detail\":\"\"}");
}

TEST(Audit, EveryFieldIsCoveredByTheHash) {
  AuditHash zero{};
  AuditHash base = chain_hash(zero, entry());
  std::vector<AuditEntry> changed(8, entry());
  changed[0].seq = 2;
  changed[1].time += 1;
  changed[2].actor = "192.0.2.51";
  changed[3].action = "revoke";
  changed[4].dev_id = DevId(0xabcdef02);
  changed[5].outcome = "already_used";
  changed[6].controller_fingerprint[0] = '0';
  changed[7].detail = "x";
  for (const auto& e : changed)
    EXPECT_NE(chain_hash(zero, e), base);
  AuditHash other_previous{};
  other_previous[31] = 1;
  EXPECT_NE(chain_hash(other_previous, entry()), base);
  EXPECT_EQ(chain_hash(zero, entry()), base);
  EXPECT_EQ(hash_hex(base).size(), 64u);
}

}  // namespace
}  // namespace tte::mothership
