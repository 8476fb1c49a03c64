#include "tte/host/controller_code.hpp"

#include <array>

#include "tte/ascii.hpp"
#include "tte/query.hpp"

namespace tte {

std::string ControllerCode::to_string() const {
  std::string text(kPrefix);
  text += "c=";
  append_percent_encoded(text, address.to_string().view());
  text += "&fp=";
  text += fingerprint.to_string().view();
  if (!notify_url.empty()) {
    text += "&notify=";
    append_percent_encoded(text, notify_url);
  }
  if (!token.empty()) {
    text += "&token=";
    append_percent_encoded(text, token);
  }
  return text;
}

Result<ControllerCode> ControllerCode::parse(std::string_view text) {
  if (!ascii::starts_with_ignoring_case(text, kPrefix)) {
    return make_error(Errc::syntax, "a controller code starts with tte:controller?");
  }
  ControllerCode code;
  bool seen_c = false, seen_fp = false, seen_notify = false, seen_token = false;
  QueryReader reader(text.substr(kPrefix.size()), QueryStyle::form);
  QueryParameter parameter;
  std::array<char, 512> buffer;
  while (reader.next(parameter)) {
    TTE_ASSIGN_OR_RETURN(std::string_view value,
                         percent_decode(parameter.value, Span<char>(buffer.data(), buffer.size()),
                                        QueryStyle::url, "controller code"));
    if (parameter.name == "c") {
      if (seen_c) return make_error(Errc::duplicate, "c is given twice", "c");
      seen_c = true;
      auto address = ControllerAddress::parse(value);
      if (!address.ok()) return make_error(address.error().code, address.error().message, "c");
      code.address = address.value();
    } else if (parameter.name == "fp") {
      if (seen_fp) return make_error(Errc::duplicate, "fp is given twice", "fp");
      seen_fp = true;
      auto fingerprint = Fingerprint::parse(value);
      if (!fingerprint.ok())
        return make_error(fingerprint.error().code, fingerprint.error().message, "fp");
      code.fingerprint = fingerprint.value();
    } else if (parameter.name == "notify") {
      if (seen_notify) return make_error(Errc::duplicate, "notify is given twice", "notify");
      seen_notify = true;
      if (!ascii::starts_with_ignoring_case(value, "http://") &&
          !ascii::starts_with_ignoring_case(value, "https://")) {
        return make_error(Errc::syntax, "notify must be an http:// or https:// URL", "notify");
      }
      code.notify_url = std::string(value);
    } else if (parameter.name == "token") {
      if (seen_token) return make_error(Errc::duplicate, "token is given twice", "token");
      seen_token = true;
      code.token = std::string(value);
    }
    // Unknown parameters are ignored, so that later versions can add some.
  }
  if (!seen_c) return make_error(Errc::missing, "the controller code has no address (c)", "c");
  if (!seen_fp)
    return make_error(Errc::missing, "the controller code has no fingerprint (fp)", "fp");
  return code;
}

}  // namespace tte
