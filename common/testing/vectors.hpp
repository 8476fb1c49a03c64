// Test support: the vectors of proto/vectors and a few conversions.
#ifndef TTE_TESTING_VECTORS_HPP
#define TTE_TESTING_VECTORS_HPP

#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tte/identifiers.hpp"
#include "tte/result.hpp"

namespace tte::testing {

// proto/vectors/<file>, parsed once and kept for the life of the process (so
// references into it never dangle). Throws if the file is unreadable.
const nlohmann::json& load_vectors(std::string_view file);
// The bytes of a file under proto/ (keys/...).
std::string read_proto_file(std::string_view relative_path);

std::vector<std::uint8_t> from_hex(std::string_view hex);
std::string to_hex(const std::uint8_t* data, std::size_t size);

// The "policy" member of a vector case.
IdPolicy policy_of(const nlohmann::json& vector_case);

// A gtest-printable description of a Result's error ("syntax (field): message").
template <typename T>
std::string describe(const Result<T>& result) {
  if (result.ok()) return "ok";
  const Error& e = result.error();
  return std::string(errc_name(e.code)) + " (" + (e.field ? e.field : "-") + "): " + e.message;
}

// Checks a Result against a vector case: "error" (and optionally "field") or success.
template <typename T>
::testing::AssertionResult matches_case(const Result<T>& result, const nlohmann::json& c) {
  if (c.contains("error")) {
    if (result.ok()) return ::testing::AssertionFailure() << "accepted, expected " << c["error"];
    if (errc_name(result.error().code) != c["error"].get<std::string>()) {
      return ::testing::AssertionFailure() << describe(result) << ", expected " << c["error"];
    }
    if (c.contains("field") && (result.error().field == nullptr ||
                                c["field"].get<std::string>() != result.error().field)) {
      return ::testing::AssertionFailure() << describe(result) << ", expected field " << c["field"];
    }
    return ::testing::AssertionSuccess();
  }
  if (!result.ok()) return ::testing::AssertionFailure() << describe(result);
  return ::testing::AssertionSuccess();
}

}  // namespace tte::testing

#endif  // TTE_TESTING_VECTORS_HPP
