#include "tte/platform/data_directory.hpp"

#include "tte/hex.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte {

Fingerprint DataDirectory::dtls_fingerprint() const {
  std::string pem = read_file(path("dtls.crt"));
  auto fingerprint = fingerprint_of_key_material(
      ByteView(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()));
  if (!fingerprint.ok()) throw StartupError(path("dtls.crt") + " is not a certificate");
  return fingerprint.value();
}

PskSealer DataDirectory::psk_sealer(PskSealer::Purpose purpose) const {
  const std::string file = path("psk.key");
  if (!file_exists(file)) {
    try {
      write_new_token_file(file);
    } catch (const StartupError&) {
      if (!file_exists(file)) throw;  // another process made it first: use theirs
    }
  }
  std::string hex = read_token_file(file);
  std::array<std::uint8_t, PskSealer::kKeySize> key{};
  if (!parse_hex_bytes(hex, key, "psk.key").ok())
    throw StartupError(file + " must hold 64 hex digits");
  auto sealer = PskSealer::with_key(key, purpose);
  key.fill(0);
  if (!sealer.ok()) throw StartupError("cannot use " + file);
  return sealer.value();
}

std::string DataDirectory::resolve(const std::string& name) const {
  return !name.empty() && name[0] == '/' ? name : path(name);
}

}  // namespace tte
