#include "tte/host/json_fields.hpp"

namespace tte::json {

Result<nlohmann::json> parse_object(std::string_view text) {
  auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return make_error(Errc::syntax, "malformed JSON", "json");
  if (!json.is_object()) return make_error(Errc::syntax, "a JSON object was expected", "json");
  return json;
}

Result<std::string_view> string_member(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return make_error(Errc::missing, "member missing", name);
  if (!it->is_string()) return make_error(Errc::syntax, "member must be a string", name);
  return std::string_view(it->get_ref<const std::string&>());
}

}  // namespace tte::json
