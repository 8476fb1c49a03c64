// Reading JSON messages without exceptions: each failure is an Error naming the
// member it concerns.
#ifndef TTE_HOST_JSON_FIELDS_HPP
#define TTE_HOST_JSON_FIELDS_HPP

#include <nlohmann/json.hpp>
#include <string_view>

#include "tte/result.hpp"

namespace tte::json {

// Parses text that must hold one JSON object. Errors: syntax.
Result<nlohmann::json> parse_object(std::string_view text);

// The string member `name`. Errors: missing, syntax (not a string).
Result<std::string_view> string_member(const nlohmann::json& object, const char* name);

// The same result, with its error (if any) attributed to the member `name`.
template <typename T>
Result<T> for_member(Result<T> result, const char* name) {
  if (result.ok()) return result;
  Error error = result.error();
  error.field = name;
  return error;
}

}  // namespace tte::json

#endif  // TTE_HOST_JSON_FIELDS_HPP
