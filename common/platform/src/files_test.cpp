#include "tte/platform/files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tte/platform/startup_error.hpp"

namespace tte {
namespace {

TEST(Files, AtomicWriteWithModeAndReadBack) {
  auto dir = std::filesystem::temp_directory_path() / ("tte-files-" + std::to_string(::getpid()));
  make_private_directory(dir.string());
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  std::string path = (dir / "secret").string();
  write_file_atomic(path, "s3cret", 0600);
  EXPECT_EQ(read_file(path), "s3cret");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  write_file_atomic(path, "again", 0640);
  EXPECT_EQ(read_file(path), "again");
  EXPECT_THROW(write_file_atomic(path, "no", 0600, /*replace=*/false), StartupError);
  EXPECT_EQ(read_file(path), "again");
  // No temporary files left behind.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  EXPECT_THROW(read_file((dir / "missing").string()), StartupError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tte
