// Reading JSON messages without exceptions: each failure is an Error naming the
// member it concerns.
#ifndef TTE_HOST_JSON_FIELDS_HPP
#define TTE_HOST_JSON_FIELDS_HPP

#include <nlohmann/json.hpp>
#include <string_view>

#include "tte/result.hpp"

namespace tte::json {

// How deep JSON from the network may nest. TTE's messages nest at most 4
// levels; nlohmann's parser copes with any depth, but dump(), copies and
// comparisons recurse, so a body of 60,000 '[' would overflow the stack.
inline constexpr int kMaxJsonDepth = 64;

// Whether no array or object in `text` nests deeper than `max_depth` (brackets
// inside strings do not count). Only a pre-check: the text may still be malformed.
bool nesting_within(std::string_view text, int max_depth = kMaxJsonDepth);

// nlohmann::json::parse without exceptions, refusing (a discarded value) text
// nested deeper than kMaxJsonDepth. Every parse of network input goes through it.
nlohmann::json parse_untrusted(std::string_view text);

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
