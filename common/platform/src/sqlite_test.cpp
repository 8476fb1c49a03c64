#include "tte/platform/sqlite.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace tte::sqlite {
namespace {

TEST(Sqlite, StatementsBindStepAndReportConstraints) {
  auto path =
      std::filesystem::temp_directory_path() / ("tte-sqlite-" + std::to_string(::getpid()) + ".db");
  {
    Database db(path.string(), Database::Mode::read_write_create);
    db.exec_or_throw("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB)");
    auto insert = db.prepare("INSERT INTO t (id, name, data) VALUES (?, ?, ?)");
    const std::uint8_t bytes[] = {1, 2, 3};
    ASSERT_TRUE(insert.bind(1, 7).bind(2, "seven").bind_blob(3, bytes).run().ok());
    insert.reset();
    auto duplicate = insert.bind(1, 7).bind(2, "again").bind_null(3).run();
    ASSERT_FALSE(duplicate.ok());
    EXPECT_EQ(duplicate.error().code, Errc::duplicate);
    insert.reset();

    auto select = db.prepare("SELECT name, data FROM t WHERE id = ?");
    select.bind(1, 7);
    ASSERT_TRUE(*select.step());
    EXPECT_EQ(select.column_text(0), "seven");
    EXPECT_EQ(select.column_blob(1), (std::vector<std::uint8_t>{1, 2, 3}));
    EXPECT_FALSE(*select.step());
    EXPECT_FALSE(db.exec("NOT SQL").ok());
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tte::sqlite
