// The Device's own resources, per profile (docs/protocol.md §9.1):
//   light  </light>;rt=tte.light;if=core.a          GET, PUT on|off
//   switch </switch>;rt=tte.switch;if=core.s;obs    GET (observable), a press toggles it
//   sensor </temp>;rt=tte.temp;if=core.s;obs        GET (observable), degrees Celsius as text
// Pure logic: the transport hands it requests and sends what it answers.
#ifndef TTE_DEVICE_RESOURCES_HPP
#define TTE_DEVICE_RESOURCES_HPP

#include <cstddef>
#include <cstdint>

#include "tte/device/hal.hpp"

namespace tte::device {

enum class Profile : std::uint8_t { light, switch_, sensor };
const char* profile_name(Profile profile);
// "light", "switch", "sensor". False for anything else.
bool parse_profile(const char* text, Profile* profile);

// The profile's one resource as its link describes it (the table above).
struct ProfileResource {
  const char* name;       // the path without '/': "light"
  const char* type;       // rt: "tte.light"
  const char* interface;  // if: "core.a"
  bool observable;
};
ProfileResource profile_resource(Profile profile);

enum class Method : std::uint8_t { get = 1, post = 2, put = 3, delete_ = 4 };

struct Reply {
  std::uint8_t code = 0;  // CoAP code, class << 5 | detail: 69 is 2.05
  char text[16] = {};     // text/plain payload, NUL-terminated
};

class Resources {
 public:
  Resources(Profile profile, Thermometer* thermometer)
      : profile_(profile), thermometer_(thermometer) {}

  Profile profile() const { return profile_; }
  const char* links() const;            // link-format, for the registration
  const char* observable_path() const;  // "/switch", "/temp", or null

  Reply handle(Method method, const char* path, ByteView payload);
  // A short button press: the switch toggles. True when an observable value changed.
  bool press();
  // Whether the sensor's value moved enough (0.5 degrees) to notify observers;
  // remembers the value it reported.
  bool sensor_changed();

  bool light_on() const { return light_on_; }
  bool switch_on() const { return switch_on_; }

 private:
  void temperature_text(char* out, std::size_t size);

  Profile profile_;
  Thermometer* thermometer_;
  bool light_on_ = false;
  bool switch_on_ = false;
  std::int32_t reported_centi_ = 0;
  bool reported_ = false;
};

}  // namespace tte::device

#endif  // TTE_DEVICE_RESOURCES_HPP
