#include "tte/device/device.hpp"

namespace tte::device {
namespace {

constexpr Millis kBitMillisNumerator = 1000;  // a bit lasts 1000 / 15 ms

// When bit `index` of the blinking starts, relative to its start (rounded up).
Millis bit_start(std::uint64_t index) {
  return (index * kBitMillisNumerator + led::kBitsPerSecond - 1) / led::kBitsPerSecond;
}

void copy_location(char* out, std::size_t size, const char* location) {
  std::size_t i = 0;
  if (location) {
    while (location[0] == '/')
      ++location;
    for (; location[i] != '\0' && i + 1 < size; ++i)
      out[i] = location[i];
  }
  out[i] = '\0';
}

}  // namespace

const char* state_name(State state) {
  switch (state) {
    case State::asking_mothership:
      return "asking_mothership";
    case State::waiting_for_mapping:
      return "waiting_for_mapping";
    case State::revoked:
      return "revoked";
    case State::connecting:
      return "connecting";
    case State::registering:
      return "registering";
    case State::registered:
      return "registered";
    case State::controller_unreachable:
      return "controller_unreachable";
  }
  return "unknown";
}

Device::Device(const Identity& identity, Profile profile, const Timing& timing, const Hal& hal,
               Observer& observer)
    : identity_(identity),
      timing_(timing),
      hal_(hal),
      observer_(observer),
      nv_(hal.storage),
      resources_(profile, hal.thermometer) {
  reset_backoff();
}

void Device::set_state(State state, const char* detail, Millis wait_ms) {
  state_ = state;
  Event event;
  event.kind = Event::Kind::state;
  event.state = state;
  event.detail = detail;
  event.wait_ms = wait_ms;
  observer_.on_event(event);
}

Millis Device::next_backoff() {
  const Millis base = backoff_;
  backoff_ = backoff_ * 2 > timing_.retry_max ? timing_.retry_max : backoff_ * 2;
  // base +- jitter_percent, uniformly.
  const Millis spread = base * timing_.jitter_percent / 100;
  if (spread == 0) return base;
  const Millis offset = hal_.entropy.next() % (2 * spread + 1);
  return base - spread + offset;
}

void Device::boot(Millis now) {
  nv_.load();
  blinking_ = false;
  if (const StoredController* stored = nv_.controller()) {
    session_controller_ = *stored;
    have_session_controller_ = true;
    hal_.led.set(false);
    connect(now, "stored Controller");
    return;
  }
  ask_mothership(now, "no stored Controller");
}

// Message 9 (draft §2, §3.1; docs/protocol.md §8): where is my Controller?
void Device::ask_mothership(Millis now, const char* detail) {
  if (unenrolled() && !blinking_) {
    blinking_ = true;
    blink_start_ = now;
    bits_shown_ = 0;
    led_at_ = 0;
    led_level_ = false;
    hal_.led.set(false);
  }
  set_state(State::asking_mothership, detail);
  SessionKeys keys;
  keys.pin = identity_.mothership_fingerprint;
  if (identity_.factory_psk != nullptr) {
    keys.use_psk = true;
    for (std::size_t i = 0; i < keys.psk.size(); ++i)
      keys.psk[i] = identity_.factory_psk[i];
  }
  hal_.transport.ask_mothership(identity_.mothership, keys, identity_.urn);
}

void Device::connect(Millis now, const char* detail) {
  // A PSK Device has no key pair for a certificate session: a Controller
  // stored without a PSK cannot be reached (the MotherShip maps none so).
  if (identity_.factory_psk != nullptr && !session_controller_.has_psk) {
    const Millis wait = next_backoff();
    retry_at_ = now + wait;
    set_state(State::waiting_for_mapping,
              "the Controller came without a PSK, which a PSK Device needs; asking again", wait);
    return;
  }
  set_state(State::connecting, detail);
  SessionKeys keys;
  keys.pin = session_controller_.fingerprint;
  keys.use_psk = session_controller_.has_psk;
  keys.psk = session_controller_.psk;
  hal_.transport.open_controller(session_controller_.address, keys, identity_.urn);
}

// Message 10 (draft §2, §3.1; docs/protocol.md §8): the MotherShip's answer (or none).
void Device::on_mothership_reply(Millis now, const MotherShipReply& reply) {
  if (state_ != State::asking_mothership) return;  // stale (a reset came in between)
  hal_.transport.close();
  enum class Kind { content, unavailable, forbidden, no_answer, refused, wrong_key, malformed };
  Kind kind = Kind::no_answer;
  EnrollmentAnswer decoded;
  if (reply.kind == MotherShipReply::Kind::wrong_key) {
    kind = Kind::wrong_key;
  } else if (reply.kind == MotherShipReply::Kind::refused) {
    kind = Kind::refused;
  } else if (reply.kind == MotherShipReply::Kind::response) {
    constexpr std::uint8_t kContent = 2 << 5 | 5, kForbidden = 4 << 5 | 3,
                           kUnavailable = 5 << 5 | 3;
    kind = Kind::malformed;
    if (reply.code == kContent) {
      auto answer = EnrollmentAnswer::decode_cbor(reply.payload);
      if (answer.ok()) {
        decoded = answer.value();
        kind = Kind::content;
      }
    } else if (reply.code == kUnavailable) {
      kind = Kind::unavailable;
    } else if (reply.code == kForbidden) {
      kind = Kind::forbidden;
    }
  }
  if (kind == Kind::content) {
    const EnrollmentAnswer& answer = decoded;
    requerying_ = false;
    StoredController controller;
    controller.address = answer.controller;
    controller.fingerprint = answer.controller_fingerprint;
    controller.has_psk = answer.has_psk;
    controller.psk = answer.psk;
    const bool same = have_session_controller_ && controller == session_controller_ &&
                      nv_.controller() != nullptr;
    if (!same) {
      Event event;
      if (nv_.store(controller)) {
        event.kind = Event::Kind::stored;
        event.controller = nv_.controller();
      } else {
        event.kind = Event::Kind::store_failed;
        event.detail = "the Controller could not be stored; it is kept until power is lost";
      }
      event.state = state_;
      observer_.on_event(event);
    }
    session_controller_ = controller;
    have_session_controller_ = true;
    blinking_ = false;
    hal_.led.set(false);
    reset_backoff();
    unreachable_ = false;
    connect(now, same ? "the MotherShip confirmed the stored Controller"
                      : "the MotherShip gave the Controller");
    return;
  }
  if (kind == Kind::forbidden && !requerying_) {
    blinking_ = false;
    hal_.led.set(false);
    set_state(State::revoked, "the MotherShip refused this Device (4.03): revoked or unknown key");
    return;
  }
  if (requerying_) {
    // The one extra question of an outage found nothing new: back to the Controller.
    requerying_ = false;
    const Millis wait = next_backoff();
    retry_at_ = now + wait;
    set_state(State::controller_unreachable,
              kind == Kind::forbidden
                  ? "the MotherShip refused (4.03); keeping the stored Controller"
                  : "the MotherShip gave nothing new; keeping the stored Controller",
              wait);
    return;
  }
  Millis wait = next_backoff();
  const char* detail = "no answer from the MotherShip";
  if (kind == Kind::unavailable) {
    detail = "not mapped yet (5.03)";
    const Millis max_age = static_cast<Millis>(reply.max_age) * 1000;
    if (max_age > wait) wait = max_age;
  } else if (kind == Kind::wrong_key) {
    detail = "the MotherShip showed the wrong key";
  } else if (kind == Kind::refused) {
    detail = "the MotherShip refused the DTLS session";
  } else if (kind == Kind::malformed) {
    detail = "the MotherShip's answer was not understood";
  }
  retry_at_ = now + wait;
  set_state(State::waiting_for_mapping, detail, wait);
}

// Message 11 (draft §2; docs/protocol.md §9): connected to the Controller, the Device registers.
void Device::on_controller_session(Millis now, SessionOutcome outcome) {
  if (state_ != State::connecting) return;
  if (outcome != SessionOutcome::up) {
    hal_.transport.close();
    controller_failed(now, outcome == SessionOutcome::wrong_key
                               ? "the Controller showed the wrong key; keeping the stored record"
                           : outcome == SessionOutcome::refused
                               ? "the Controller refused the DTLS session (it may not know this "
                                 "Device's key); keeping the stored record"
                               : "the Controller did not answer");
    return;
  }
  set_state(State::registering, "DTLS session up");
  hal_.transport.register_endpoint(identity_.urn, timing_.lifetime, resources_.links());
}

// Message 12 (draft §2; docs/protocol.md §9): the Controller's answer to the registration.
void Device::on_registration(Millis now, RegistrationOutcome outcome, const char* location) {
  if (state_ != State::registering) return;
  if (outcome != RegistrationOutcome::created || !location || location[0] == '\0') {
    hal_.transport.close();
    controller_failed(now, outcome == RegistrationOutcome::refused
                               ? "the Controller refused the registration"
                               : "no answer to the registration");
    return;
  }
  copy_location(location_, sizeof location_, location);
  reset_backoff();
  unreachable_ = false;
  requerying_ = false;
  renew_at_ = now + static_cast<Millis>(timing_.lifetime) * 750;  // at 3/4 of the lifetime
  sensor_due_ = now;
  set_state(State::registered, location_);
}

void Device::on_renewal(Millis now, RenewalOutcome outcome) {
  if (state_ != State::registered) return;
  switch (outcome) {
    case RenewalOutcome::renewed:
      renew_at_ = now + static_cast<Millis>(timing_.lifetime) * 750;
      return;
    case RenewalOutcome::not_found:  // RFC 9176: register again
      set_state(State::registering, "the registration was gone (4.04)");
      hal_.transport.register_endpoint(identity_.urn, timing_.lifetime, resources_.links());
      return;
    case RenewalOutcome::refused:
    case RenewalOutcome::no_answer:
      hal_.transport.close();
      controller_failed(now, "the renewal failed");
      return;
  }
}

void Device::on_session_lost(Millis now) {
  if (state_ != State::registered && state_ != State::registering) return;
  hal_.transport.close();
  controller_failed(now, "the session to the Controller ended");
}

void Device::controller_failed(Millis now, const char* detail) {
  if (!unreachable_) {
    unreachable_ = true;
    requery_at_ = now + timing_.requery_after;
  }
  const Millis wait = next_backoff();
  retry_at_ = now + wait;
  set_state(State::controller_unreachable, detail, wait);
}

// Message 12 (draft §2; docs/protocol.md §9): a request from the Controller.
Reply Device::on_request(Millis now, Method method, const char* path, ByteView payload) {
  (void)now;
  Reply reply = resources_.handle(method, path, payload);
  if (method == Method::put && reply.code == (2 << 5 | 4)) {  // 2.04: the light was set
    // The light is the board's LED (free once enrolled: the LED frame has stopped).
    if (!blinking_) hal_.led.set(resources_.light_on());
    Event event;
    event.kind = Event::Kind::light;
    event.state = state_;
    event.on = resources_.light_on();
    observer_.on_event(event);
  }
  return reply;
}

void Device::factory_reset(Millis now) {
  hal_.transport.close();
  const bool erased = nv_.erase();
  have_session_controller_ = false;
  unreachable_ = false;
  requerying_ = false;
  reset_backoff();
  location_[0] = '\0';
  Event event;
  event.kind = Event::Kind::factory_reset;
  event.state = state_;
  event.detail = erased ? "the stored Controller was erased"
                        : "the stored Controller could not be erased; press again";
  observer_.on_event(event);
  ask_mothership(now, "factory reset");
}

void Device::button(Millis now, bool pressed) {
  if (pressed && !pressed_) {
    pressed_ = true;
    pressed_at_ = now;
    long_press_done_ = false;
    return;
  }
  if (!pressed && pressed_) {
    pressed_ = false;
    if (long_press_done_) return;
    if (now - pressed_at_ >= timing_.long_press) {
      long_press_done_ = true;
      factory_reset(now);
      return;
    }
    if (resources_.press()) {
      Event event;
      event.kind = Event::Kind::switch_;
      event.state = state_;
      event.on = resources_.switch_on();
      observer_.on_event(event);
      if (state_ == State::registered && resources_.observable_path())
        hal_.transport.notify_observers(resources_.observable_path());
    }
  }
}

// Message 3 by LED (draft 5.1; docs/protocol.md §13.1): blinks the LED frame while the Device
// has no Controller.
void Device::led_step(Millis now) {
  const std::uint32_t frame_bits = identity_.led_pattern.length;
  if (!blinking_ || now < blink_start_ || frame_bits == 0) return;
  const std::uint64_t due = (now - blink_start_) * led::kBitsPerSecond / kBitMillisNumerator + 1;
  // Two whole frames toggle the LED an even number of times: skip them when far behind.
  const std::uint32_t two_frames = 2 * frame_bits;
  if (due > bits_shown_ + two_frames) {
    // In 32 bits (a Cortex-M3 divides those in hardware): blinking for longer
    // than 2^32 bits (nine years at 15 bit/s) would only skip less.
    const auto behind = static_cast<std::uint32_t>(due - bits_shown_ - 1);
    bits_shown_ += behind / two_frames * two_frames;  // the position in the frame stays
  }
  bool changed = false;
  while (bits_shown_ < due) {
    if (!identity_.led_pattern.bit(led_at_)) {
      led_level_ = !led_level_;
      changed = true;
    }
    ++bits_shown_;
    if (++led_at_ >= frame_bits) led_at_ = 0;
  }
  if (changed) hal_.led.set(led_level_);
}

void Device::poll(Millis now) {
  led_step(now);
  if (pressed_ && !long_press_done_ && now - pressed_at_ >= timing_.long_press) {
    long_press_done_ = true;  // reset while still held: the user sees the LED start blinking
    factory_reset(now);
  }
  switch (state_) {
    case State::waiting_for_mapping:
      if (now >= retry_at_) ask_mothership(now, "asking again");
      break;
    case State::controller_unreachable:
      if (now < retry_at_) break;
      if (now >= requery_at_) {
        requery_at_ = now + timing_.requery_after;
        requerying_ = true;
        ask_mothership(now, "the Controller has been unreachable for 24 h: asking the MotherShip");
      } else {
        connect(now, "trying the Controller again");
      }
      break;
    case State::registered:
      if (now >= renew_at_) {
        renew_at_ = now + static_cast<Millis>(timing_.lifetime) * 750;
        hal_.transport.renew_registration(location_);
      }
      if (resources_.profile() == Profile::sensor) {
        const bool due = now >= sensor_due_;
        const bool moved = resources_.sensor_changed();  // remembers the value it reports
        if (due || moved) {
          sensor_due_ = now + timing_.sensor_period;
          hal_.transport.notify_observers("/temp");
        }
      }
      break;
    default:
      break;
  }
}

Millis Device::next_wakeup(Millis now) const {
  Millis next = now + 60'000;
  auto consider = [&](Millis at) {
    if (at < next) next = at < now ? now : at;
  };
  if (blinking_) consider(blink_start_ + bit_start(bits_shown_));
  if (pressed_ && !long_press_done_) consider(pressed_at_ + timing_.long_press);
  if (state_ == State::waiting_for_mapping || state_ == State::controller_unreachable)
    consider(retry_at_);
  if (state_ == State::registered) {
    consider(renew_at_);
    if (resources_.profile() == Profile::sensor) consider(now + 1000);  // watch the value
  }
  return next;
}

}  // namespace tte::device
