#include "import.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "test_support.hpp"

namespace tte::mothership {
namespace {

using testing::TempDatabase;
using testing::test_hasher;
using testing::test_record;

std::string lines(std::uint32_t first, std::uint32_t last) {
  std::string out;
  for (std::uint32_t n = first; n <= last; ++n)
    out += test_record(n).to_json() + "\n";
  return out;
}

ImportOutcome import_text(const TempDatabase& db, const std::string& text,
                          ImportOptions options = {}) {
  Store store(db.path(), Store::Access::read_write);
  std::istringstream in(text);
  return import_devices(store, test_hasher(), in, options);
}

std::int64_t devices_in(const TempDatabase& db) {
  Store store(db.path(), Store::Access::read_only);
  return store.device_count().value();
}

TEST(Import, StoresEveryRecordAndOneAuditEntry) {
  TempDatabase db;
  ImportOptions options;
  options.now = 1795843720;
  ImportOutcome outcome = import_text(db, lines(1, 2) + "\n\r\n" + lines(3, 3), options);
  ASSERT_TRUE(outcome.status.ok()) << outcome.message;
  EXPECT_EQ(outcome.imported, 3u);
  EXPECT_EQ(devices_in(db), 3);
  Store store(db.path(), Store::Access::read_only);
  auto stored = store.device(DevId(2));
  ASSERT_TRUE(stored.ok() && stored.value());
  EXPECT_EQ(std::string(stored.value()->urn.view()), "urn:dev:ops:32473-Test-2");
  auto entries = store.audit_after(0, 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().first.action, "import");
  EXPECT_EQ(entries->front().first.actor, "import");
  EXPECT_EQ(entries->front().first.detail, "3 devices");
  EXPECT_EQ(entries->front().first.time, 1795843720);
  EXPECT_TRUE(store.verify_audit()->ok);
}

TEST(Import, ABadLineImportsNothingAndIsNamed) {
  TempDatabase db;
  ImportOptions options;
  options.source = "batch.jsonl";
  ImportOutcome outcome = import_text(db, lines(1, 1) + "{\"devid\":\"2\"}\n", options);
  EXPECT_FALSE(outcome.status.ok());
  EXPECT_EQ(outcome.imported, 0u);
  EXPECT_EQ(outcome.message.rfind("batch.jsonl:2: urn: ", 0), 0u) << outcome.message;
  EXPECT_NE(outcome.message.find("nothing was imported"), std::string::npos);
  EXPECT_EQ(devices_in(db), 0);
}

TEST(Import, ADuplicateImportsNothingAndIsNamed) {
  TempDatabase db(2);
  ImportOutcome outcome = import_text(db, lines(3, 3) + lines(2, 2));
  ASSERT_FALSE(outcome.status.ok());
  EXPECT_EQ(outcome.status.error().code, Errc::duplicate);
  EXPECT_NE(outcome.message.find("Dev ID 00000002"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("is already stored"), std::string::npos) << outcome.message;
  EXPECT_EQ(devices_in(db), 2);
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(store.device_count().value(), 2);
  EXPECT_TRUE(store.audit_after(0, 10)->empty());
}

TEST(Import, AFailureInALaterChunkUndoesTheEarlierOnes) {
  TempDatabase db;
  const auto chunk = static_cast<std::uint32_t>(ImportOptions::kChunk);
  std::vector<std::size_t> progress;
  ImportOptions options;
  options.progress = [&](std::size_t stored) { progress.push_back(stored); };
  // The first chunk is stored, then the duplicate in the second refuses all.
  ImportOutcome refused = import_text(db, lines(1, chunk + 1) + lines(1, 1), options);
  ASSERT_FALSE(refused.status.ok());
  EXPECT_EQ(refused.status.error().code, Errc::duplicate);
  EXPECT_EQ(progress, std::vector<std::size_t>{ImportOptions::kChunk});
  EXPECT_EQ(devices_in(db), 0);
  ImportOutcome stored = import_text(db, lines(1, chunk + 1));
  ASSERT_TRUE(stored.status.ok()) << stored.message;
  EXPECT_EQ(stored.imported, ImportOptions::kChunk + 1);
  EXPECT_EQ(devices_in(db), chunk + 1);
}

TEST(Import, AnEmptyInputImportsNoDevices) {
  TempDatabase db;
  ImportOutcome outcome = import_text(db, "");
  ASSERT_TRUE(outcome.status.ok()) << outcome.message;
  EXPECT_EQ(outcome.imported, 0u);
  Store store(db.path(), Store::Access::read_only);
  EXPECT_EQ(store.audit_after(0, 10)->size(), 1u);  // as before: the import is audited
}

}  // namespace
}  // namespace tte::mothership
