// Files the way TTE needs them: whole-file reads, crash-safe writes with an
// explicit mode (secrets are 0600 from the first byte), private directories.
// Control plane: failures throw StartupError with the path and the reason.
#ifndef TTE_PLATFORM_FILES_HPP
#define TTE_PLATFORM_FILES_HPP

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace tte {

std::string read_file(const std::string& path);

// Writes content to path so that a crash leaves the old file or the new one:
// a temporary file beside it (created with `mode`), fsync, rename, fsync of the
// directory. Refuses to replace an existing file unless `replace` is true.
void write_file_atomic(const std::string& path, const std::string& content, mode_t mode,
                       bool replace = true);

// Creates the directory (and parents) with mode 0700 if missing.
void make_private_directory(const std::string& path);

bool file_exists(const std::string& path);

// Token and key files (admin.token, otp.key, intake.token, api.token): a new
// one holds 2 * bytes random lower-case hex digits and a newline, 0600, and is
// never written over; reading one drops the trailing newline, CR or spaces.
void write_new_token_file(const std::string& path, std::size_t bytes = 32);
std::string read_token_file(const std::string& path);

}  // namespace tte

#endif  // TTE_PLATFORM_FILES_HPP
