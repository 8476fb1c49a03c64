// Files the way TTE needs them: whole-file reads, crash-safe writes with an
// explicit mode (secrets are 0600 from the first byte), private directories.
// Control plane: failures throw StartupError with the path and the reason.
#ifndef TTE_PLATFORM_FILES_HPP
#define TTE_PLATFORM_FILES_HPP

#include <sys/types.h>

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

}  // namespace tte

#endif  // TTE_PLATFORM_FILES_HPP
