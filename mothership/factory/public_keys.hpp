// Keys made on the devices themselves: the factory gets only public halves,
// as PEM/DER files (certificates or public keys) or as a CSV of fingerprints.
#ifndef TTE_FACTORY_PUBLIC_KEYS_HPP
#define TTE_FACTORY_PUBLIC_KEYS_HPP

#include <optional>
#include <string>
#include <vector>

#include "tte/dev_urn.hpp"
#include "tte/identifiers.hpp"

namespace tte::factory {

struct DevicePublicKey {
  std::optional<DevUrn> urn;  // from a two-column CSV ("urn,fingerprint")
  Fingerprint fingerprint;
  std::string source;  // file name or "file:line", for messages
};

// path: a directory (every regular file, in name order, one key or certificate
// each, PEM or DER), a PEM file with several blocks, or a CSV with one
// fingerprint, or a URN and a fingerprint, per line ('#' comments and a header
// line allowed). Throws StartupError naming the file and line of a bad entry.
std::vector<DevicePublicKey> read_public_keys(const std::string& path);

}  // namespace tte::factory

#endif  // TTE_FACTORY_PUBLIC_KEYS_HPP
