#include "tte/host/json_fields.hpp"

#include <set>
#include <string>
#include <vector>

namespace tte::json {

bool nesting_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

nlohmann::json parse_untrusted(std::string_view text) {
  if (!nesting_within(text)) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

Result<nlohmann::json> parse_object(std::string_view text) {
  if (!nesting_within(text)) return make_error(Errc::syntax, "JSON nested too deeply", "json");
  // Each object's member names as the parser meets them: nlohmann keeps the last
  // of a name given twice, which would let a message say two things at once.
  std::vector<std::set<std::string>> names;
  bool duplicate = false;
  nlohmann::json::parser_callback_t track = [&](int, nlohmann::json::parse_event_t event,
                                                nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      names.emplace_back();
    } else if (event == Event::object_end) {
      if (!names.empty()) names.pop_back();
    } else if (event == Event::key && !names.empty() && parsed.is_string()) {
      if (!names.back().insert(parsed.get<std::string>()).second) duplicate = true;
    }
    return true;
  };
  auto json = nlohmann::json::parse(text.begin(), text.end(), track, /*allow_exceptions=*/false);
  if (json.is_discarded()) return make_error(Errc::syntax, "malformed JSON", "json");
  if (duplicate) return make_error(Errc::duplicate, "a member is given twice", "json");
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
