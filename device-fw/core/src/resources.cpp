#include "tte/device/resources.hpp"

#include <cstring>

namespace tte::device {
namespace {

constexpr std::uint8_t code(unsigned cls, unsigned detail) {
  return static_cast<std::uint8_t>(cls << 5 | detail);
}

void copy_text(char* out, std::size_t size, const char* text) {
  std::size_t i = 0;
  for (; text[i] != '\0' && i + 1 < size; ++i)
    out[i] = text[i];
  out[i] = '\0';
}

bool equals(ByteView payload, const char* text) {
  const std::size_t n = std::strlen(text);
  return payload.size() == n && std::memcmp(payload.data(), text, n) == 0;
}

}  // namespace

const char* profile_name(Profile profile) {
  switch (profile) {
    case Profile::light:
      return "light";
    case Profile::switch_:
      return "switch";
    case Profile::sensor:
      return "sensor";
  }
  return "light";
}

bool parse_profile(const char* text, Profile* profile) {
  for (Profile p : {Profile::light, Profile::switch_, Profile::sensor}) {
    if (std::strcmp(text, profile_name(p)) == 0) {
      *profile = p;
      return true;
    }
  }
  return false;
}

ProfileResource profile_resource(Profile profile) {
  switch (profile) {
    case Profile::light:
      return {"light", "tte.light", "core.a", false};
    case Profile::switch_:
      return {"switch", "tte.switch", "core.s", true};
    case Profile::sensor:
      return {"temp", "tte.temp", "core.s", true};
  }
  return {"light", "tte.light", "core.a", false};
}

// Message 11 (draft §2; docs/protocol.md §9): the links the Device registers.
const char* Resources::links() const {
  switch (profile_) {
    case Profile::light:
      return "</light>;rt=tte.light;if=core.a";
    case Profile::switch_:
      return "</switch>;rt=tte.switch;if=core.s;obs";
    case Profile::sensor:
      return "</temp>;rt=tte.temp;if=core.s;obs";
  }
  return "";
}

const char* Resources::observable_path() const {
  switch (profile_) {
    case Profile::light:
      return nullptr;
    case Profile::switch_:
      return "/switch";
    case Profile::sensor:
      return "/temp";
  }
  return nullptr;
}

void Resources::temperature_text(char* out, std::size_t size) {
  std::int32_t centi = thermometer_ ? thermometer_->centi_celsius() : 0;
  char digits[16];
  std::size_t n = 0;
  const bool negative = centi < 0;
  std::uint32_t value =
      static_cast<std::uint32_t>(negative ? -static_cast<std::int64_t>(centi) : centi);
  // one decimal, rounded: 2149 -> "21.5"
  value = (value + 5) / 10;
  const std::uint32_t tenths = value % 10;
  std::uint32_t whole = value / 10;
  do {
    digits[n++] = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole != 0 && n < sizeof digits);
  std::size_t i = 0;
  if (negative && i + 1 < size) out[i++] = '-';
  while (n > 0 && i + 1 < size)
    out[i++] = digits[--n];
  if (i + 2 < size) {
    out[i++] = '.';
    out[i++] = static_cast<char>('0' + tenths);
  }
  out[i] = '\0';
}

// Message 12 (draft §2; docs/protocol.md §9.1): a Controller's request to a resource.
Reply Resources::handle(Method method, const char* path, ByteView payload) {
  Reply reply;
  const bool light = profile_ == Profile::light && std::strcmp(path, "/light") == 0;
  const bool button = profile_ == Profile::switch_ && std::strcmp(path, "/switch") == 0;
  const bool temp = profile_ == Profile::sensor && std::strcmp(path, "/temp") == 0;
  if (!light && !button && !temp) {
    reply.code = code(4, 4);
    return reply;
  }
  if (method == Method::get) {
    reply.code = code(2, 5);
    if (light) copy_text(reply.text, sizeof reply.text, light_on_ ? "on" : "off");
    if (button) copy_text(reply.text, sizeof reply.text, switch_on_ ? "on" : "off");
    if (temp) temperature_text(reply.text, sizeof reply.text);
    return reply;
  }
  if (light && method == Method::put) {
    if (equals(payload, "on") || equals(payload, "off")) {
      light_on_ = equals(payload, "on");
      reply.code = code(2, 4);
    } else {
      reply.code = code(4, 0);
      copy_text(reply.text, sizeof reply.text, "on or off");
    }
    return reply;
  }
  reply.code = code(4, 5);  // Method Not Allowed
  return reply;
}

bool Resources::press() {
  if (profile_ != Profile::switch_) return false;
  switch_on_ = !switch_on_;
  return true;
}

bool Resources::sensor_changed() {
  if (profile_ != Profile::sensor || !thermometer_) return false;
  const std::int32_t now = thermometer_->centi_celsius();
  const std::int32_t delta = now > reported_centi_ ? now - reported_centi_ : reported_centi_ - now;
  if (reported_ && delta < 50) return false;
  reported_ = true;
  reported_centi_ = now;
  return true;
}

}  // namespace tte::device
