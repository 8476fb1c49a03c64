#include "vectors.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace tte::testing {

std::string read_proto_file(std::string_view relative_path) {
  std::string path = std::string(TTE_PROTO_DIR) + "/" + std::string(relative_path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

const nlohmann::json& load_vectors(std::string_view file) {
  static std::map<std::string, nlohmann::json, std::less<>> loaded;
  auto it = loaded.find(file);
  if (it == loaded.end()) {
    it = loaded
             .emplace(std::string(file),
                      nlohmann::json::parse(read_proto_file("vectors/" + std::string(file))))
             .first;
  }
  return it->second;
}

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < size; ++i) {
    text += kDigits[data[i] >> 4];
    text += kDigits[data[i] & 0x0f];
  }
  return text;
}

IdPolicy policy_of(const nlohmann::json& vector_case) {
  std::string policy = vector_case.value("policy", "operational");
  if (policy == "allow_example") return IdPolicy::allow_example;
  if (policy != "operational") throw std::invalid_argument("unknown policy " + policy);
  return IdPolicy::operational;
}

}  // namespace tte::testing
