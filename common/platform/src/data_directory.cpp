#include "tte/platform/data_directory.hpp"

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

std::string DataDirectory::resolve(const std::string& name) const {
  return !name.empty() && name[0] == '/' ? name : path(name);
}

}  // namespace tte
