#include "public_keys.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "tte/host/fingerprint.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::factory {
namespace {

ByteView bytes_of(const std::string& text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r\"");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t\r\"");
  return text.substr(begin, end - begin + 1);
}

Fingerprint fingerprint_of(const std::string& material, const std::string& source) {
  auto fingerprint = fingerprint_of_key_material(bytes_of(material));
  if (!fingerprint.ok()) throw StartupError(source + ": " + fingerprint.error().message);
  return fingerprint.value();
}

}  // namespace

std::vector<DevicePublicKey> read_public_keys(const std::string& path) {
  std::vector<DevicePublicKey> keys;
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      keys.push_back(
          {std::nullopt, fingerprint_of(read_file(file.string()), file.string()), file.string()});
    }
    return keys;
  }
  std::string content = read_file(path);
  if (content.find("-----BEGIN ") != std::string::npos) {
    std::size_t at = 0;
    int block = 0;
    while ((at = content.find("-----BEGIN ", at)) != std::string::npos) {
      std::size_t end_marker = content.find("-----END ", at);
      std::size_t end =
          end_marker == std::string::npos ? std::string::npos : content.find('\n', end_marker);
      std::string pem =
          content.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
      ++block;
      keys.push_back({std::nullopt, fingerprint_of(pem, path + " block " + std::to_string(block)),
                      path + " block " + std::to_string(block)});
      if (end == std::string::npos) break;
      at = end;
    }
    return keys;
  }
  std::istringstream lines(content);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string where = path + ":" + std::to_string(number);
    std::size_t comma = line.find(',');
    std::string fingerprint_text = trim(comma == std::string::npos ? line : line.substr(comma + 1));
    if (number == 1 && fingerprint_text == "fingerprint") continue;  // a header
    DevicePublicKey key{std::nullopt, Fingerprint(), where};
    if (comma != std::string::npos) {
      auto urn = DevUrn::parse(trim(line.substr(0, comma)));
      if (!urn.ok()) throw StartupError(where + ": urn: " + urn.error().message);
      key.urn = urn.value();
    }
    auto fingerprint = Fingerprint::parse(fingerprint_text);
    if (!fingerprint.ok())
      throw StartupError(where + ": fingerprint: " + fingerprint.error().message);
    key.fingerprint = fingerprint.value();
    keys.push_back(key);
  }
  if (keys.empty()) throw StartupError(path + " holds no public keys");
  return keys;
}

}  // namespace tte::factory
