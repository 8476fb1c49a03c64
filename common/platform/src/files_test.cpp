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

TEST(Files, TokenFilesAreNewRandomHexAndReadWithoutTheNewline) {
  auto dir = std::filesystem::temp_directory_path() / ("tte-tokens-" + std::to_string(::getpid()));
  make_private_directory(dir.string());
  const std::string a = (dir / "a.token").string(), b = (dir / "b.token").string();
  write_new_token_file(a);
  write_new_token_file(b, 16);
  EXPECT_EQ(read_file(a).size(), 65u);
  EXPECT_EQ(read_file(a).back(), '\n');
  const std::string token = read_token_file(a);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(read_token_file(b).size(), 32u);
  EXPECT_NE(read_token_file(a).substr(0, 32), read_token_file(b));
  struct stat st;
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THROW(write_new_token_file(a), StartupError);  // never written over
  EXPECT_EQ(read_token_file(a), token);
  write_file_atomic(b, "s3cret \r\n", 0600);
  EXPECT_EQ(read_token_file(b), "s3cret");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tte
