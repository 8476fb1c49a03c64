#include "tte/platform/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "tte/hex.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte {

void throw_errno(const std::string& what) {
  throw StartupError(what + ": " + std::strerror(errno));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw_errno("cannot read " + path);
  return content.str();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void make_private_directory(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw StartupError("cannot create directory " + path + ": " + ec.message());
  if (::chmod(path.c_str(), 0700) != 0) throw_errno("cannot chmod " + path);
}

void write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                       bool replace) {
  if (!replace && file_exists(path)) throw StartupError(path + " already exists");
  std::filesystem::path target(path);
  std::filesystem::path directory = target.has_parent_path() ? target.parent_path() : ".";
  std::random_device random;
  // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) about
  // "." + std::string&& (GCC bug 105651).
  std::string name = ".";
  name += target.filename().string();
  name += ".tmp";
  name += std::to_string(random());
  std::string temporary = (directory / name).string();
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("cannot create " + temporary);
  // The umask may have cleared bits of `mode`; secrets must not have extra ones.
  if (::fchmod(fd, mode) != 0) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw_errno("cannot chmod " + temporary);
  }
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      errno = saved;
      throw_errno("cannot write " + temporary);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temporary.c_str());
    throw_errno("cannot sync " + temporary);
  }
  if (!replace && file_exists(path)) {
    ::unlink(temporary.c_str());
    throw StartupError(path + " already exists");
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    throw_errno("cannot rename " + temporary + " to " + path);
  }
  int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_new_token_file(const std::string& path, std::size_t bytes) {
  std::vector<std::uint8_t> random(bytes);
  if (!random_bytes(random).ok()) throw StartupError("the CSPRNG failed");
  std::string text(2 * bytes, '\0');
  write_hex_lower(random, text.data());
  write_file_atomic(path, text + "\n", 0600, /*replace=*/false);
}

std::string read_token_file(const std::string& path) {
  std::string text = read_file(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

}  // namespace tte
