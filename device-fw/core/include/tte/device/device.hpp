// The Device's enrollment logic (draft messages 9-12; docs/protocol.md §8, §9 and §12),
// with no I/O of its own: the board calls boot(), poll() and the on_* methods, and the
// Device acts through the HAL (hal.hpp).
//
//   boot -> stored Controller? -- yes --> connect (pinned) -> register (RFC 9176) -> serve,
//        |                                 renewing before the lifetime ends
//        no
//        v
//   ask the MotherShip (message 9); 5.03 or silence: wait max(Max-Age, back-off), back-off
//   30 s doubling to 1 h, +-25 % jitter, never give up; 4.03: stop (revoked);
//   2.05: store the Controller (A/B record), connect.
//
// An unreachable Controller is retried with the same back-off; after 24 h of it
// the Device asks the MotherShip once more (a replaced Controller is found so).
// A long button press (5 s) erases the stored Controller; while it has none,
// the LED blinks the LED frame (draft 5.1) at 15 bit/s.
#ifndef TTE_DEVICE_DEVICE_HPP
#define TTE_DEVICE_DEVICE_HPP

#include <cstdint>

#include "tte/device/hal.hpp"
#include "tte/device/nv_record.hpp"
#include "tte/device/resources.hpp"
#include "tte/enrollment_answer.hpp"
#include "tte/led_frame.hpp"

namespace tte::device {

enum class State : std::uint8_t {
  asking_mothership,       // message 9 is out
  waiting_for_mapping,     // no Controller yet: asks again at retry_at()
  revoked,                 // the MotherShip answered 4.03: stopped
  connecting,              // DTLS to the Controller
  registering,             // POST /rd is out
  registered,              // serving its resources
  controller_unreachable,  // tries the Controller again at retry_at()
};
const char* state_name(State state);

struct Timing {
  Millis retry_min = 30'000;                 // first back-off
  Millis retry_max = 3'600'000;              // back-off cap
  std::uint32_t jitter_percent = 25;         // +- this much of each back-off
  std::uint32_t lifetime = 3600;             // seconds asked for in the registration
  Millis requery_after = 24ull * 3'600'000;  // of an unreachable Controller
  Millis long_press = 5'000;                 // factory reset
  Millis sensor_period = 300'000;            // notify the temperature at least this often
};

struct Identity {
  const char* urn;  // the Dev URN, also the RD endpoint name (and a PSK Device's PSK identity)
  ControllerAddress mothership;
  Fingerprint mothership_fingerprint;  // pinned; unused by a PSK Device
  led::Pattern led_pattern;            // what the LED blinks while unenrolled (led::pattern_of)
  // A PSK Device (docs/protocol.md §13.3): its factory PSK (SessionKeys::kPskSize
  // bytes), which it uses with the MotherShip; it has no key pair, so it reaches
  // only a Controller that message 10 gave a PSK for. Null: a certificate Device.
  const std::uint8_t* factory_psk = nullptr;
};

// What came back for message 9, as the transport received it; the Device
// interprets it (2.05 with the CBOR answer, 5.03 + Max-Age, 4.03, ...).
struct MotherShipReply {
  enum class Kind : std::uint8_t {
    response,   // a CoAP response: code, max_age, payload
    no_answer,  // timeout, DTLS failure, unreachable
    refused,    // the MotherShip ended the handshake with an alert
    wrong_key,  // the MotherShip's key did not match the pinned fingerprint
  };
  Kind kind = Kind::no_answer;
  std::uint8_t code = 0;       // CoAP code: 69 is 2.05, 163 is 5.03, 131 is 4.03
  std::uint32_t max_age = 60;  // the Max-Age option (RFC 7252 default 60)
  ByteView payload;            // valid during the call only
};

// failed: no answer; refused: the peer ended the handshake with an alert (it
// does not take this Device's key, for one).
enum class SessionOutcome : std::uint8_t { up, wrong_key, refused, failed };
enum class RegistrationOutcome : std::uint8_t { created, refused, no_answer };
enum class RenewalOutcome : std::uint8_t { renewed, not_found, refused, no_answer };

// What the Device reports (the simulator prints these as JSON lines).
struct Event {
  enum class Kind : std::uint8_t {
    state,          // state changed; detail says why, wait_ms how long until the next try
    stored,         // a Controller was stored (controller is set)
    store_failed,   // the NV write failed: the Device keeps going from RAM
    factory_reset,  // the stored Controller was erased
    light,          // the light was switched (on)
    switch_,        // the switch was pressed (on)
  };
  Kind kind = Kind::state;
  State state = State::asking_mothership;
  const char* detail = "";
  Millis wait_ms = 0;
  bool on = false;
  const StoredController* controller = nullptr;
};

class Observer {
 public:
  virtual void on_event(const Event& event) = 0;

 protected:
  ~Observer() = default;
};

struct Hal {
  Transport& transport;
  Storage& storage;
  Led& led;
  Entropy& entropy;
  Thermometer* thermometer;  // the sensor profile's; may be null otherwise
};

class Device {
 public:
  Device(const Identity& identity, Profile profile, const Timing& timing, const Hal& hal,
         Observer& observer);

  void boot(Millis now);
  // Timers: retries, renewals, the LED, the long press. Call at least by next_wakeup().
  void poll(Millis now);
  Millis next_wakeup(Millis now) const;

  // The button: true when pressed, false when released.
  void button(Millis now, bool pressed);

  // Outcomes of the transport's work.
  void on_mothership_reply(Millis now, const MotherShipReply& reply);
  void on_controller_session(Millis now, SessionOutcome outcome);
  void on_registration(Millis now, RegistrationOutcome outcome, const char* location);
  void on_renewal(Millis now, RenewalOutcome outcome);
  void on_session_lost(Millis now);
  // A request from the Controller to one of the Device's resources.
  Reply on_request(Millis now, Method method, const char* path, ByteView payload);

  State state() const { return state_; }
  const StoredController* controller() const { return nv_.controller(); }
  const Resources& resources() const { return resources_; }
  Millis retry_at() const { return retry_at_; }
  const char* location() const { return location_; }

 private:
  void set_state(State state, const char* detail, Millis wait_ms = 0);
  void ask_mothership(Millis now, const char* detail);
  void connect(Millis now, const char* detail);
  void controller_failed(Millis now, const char* detail);
  Millis next_backoff();
  void reset_backoff() { backoff_ = timing_.retry_min; }
  void led_step(Millis now);
  void factory_reset(Millis now);
  bool unenrolled() const { return nv_.controller() == nullptr; }

  const Identity& identity_;
  Timing timing_;
  Hal hal_;
  Observer& observer_;
  NvRecord nv_;
  Resources resources_;
  StoredController session_controller_;  // the Controller being used (RAM copy)
  bool have_session_controller_ = false;

  State state_ = State::asking_mothership;
  Millis backoff_ = 0;
  Millis retry_at_ = 0;
  Millis renew_at_ = 0;
  bool unreachable_ = false;
  Millis requery_at_ = 0;    // when an outage next sends the Device to its MotherShip
  bool requerying_ = false;  // the MotherShip is being asked during an outage
  Millis sensor_due_ = 0;
  char location_[64] = {};

  // The LED frame, NRZI: the level and the bit last shown.
  bool blinking_ = false;
  Millis blink_start_ = 0;
  std::uint64_t bits_shown_ = 0;
  std::uint16_t led_at_ = 0;  // the next bit of the pattern, bits_shown_ modulo its length
  bool led_level_ = false;

  bool pressed_ = false;
  bool long_press_done_ = false;
  Millis pressed_at_ = 0;
};

}  // namespace tte::device

#endif  // TTE_DEVICE_DEVICE_HPP
