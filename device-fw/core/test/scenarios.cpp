#include "scenarios.hpp"

#include <cstdio>
#include <cstring>

#include "fake_hal.hpp"
#include "tte/device/settings.hpp"
#include "tte/device/transport_report.hpp"

namespace tte::device::scenarios {

void Checker::check(bool ok, const char* what, int line) {
  ++checks;
  if (!ok) {
    ++failures;
    std::printf("FAIL %s (scenarios.cpp:%d): %s\n", scenario, line, what);
  }
}

namespace {

using namespace tte::device::fake;
#define CHECK(condition) c.check((condition), #condition, __LINE__)

constexpr Millis kSecond = 1000;
constexpr Millis kHour = 3600 * kSecond;

enum class Answer { unavailable, forbidden, no_answer, wrong_key, garbage };

MotherShipReply answer_of(Answer what, std::uint32_t max_age = 60) {
  static const std::uint8_t kGarbage[] = {0xa1, 0x01};  // a CBOR map cut short
  MotherShipReply reply;
  reply.max_age = max_age;
  switch (what) {
    case Answer::unavailable:
      reply.kind = MotherShipReply::Kind::response;
      reply.code = 5 << 5 | 3;
      break;
    case Answer::forbidden:
      reply.kind = MotherShipReply::Kind::response;
      reply.code = 4 << 5 | 3;
      break;
    case Answer::no_answer:
      reply.kind = MotherShipReply::Kind::no_answer;
      break;
    case Answer::wrong_key:
      reply.kind = MotherShipReply::Kind::wrong_key;
      break;
    case Answer::garbage:
      reply.kind = MotherShipReply::Kind::response;
      reply.code = 2 << 5 | 5;
      reply.payload = ByteView(kGarbage, sizeof kGarbage);
      break;
  }
  return reply;
}

// Boots, gets controller_a from the MotherShip and registers: the usual start.
void enroll(Bench& b, Millis now) {
  b.device.boot(now);
  b.device.on_mothership_reply(now, content(controller_a()));
  b.device.on_controller_session(now, SessionOutcome::up);
  b.device.on_registration(now, RegistrationOutcome::created, "/rd/7");
}

void fresh_device_asks_its_mothership(Checker& c) {
  Bench b;
  b.device.boot(0);
  CHECK(b.device.state() == State::asking_mothership);
  CHECK(b.transport.asks == 1);
  CHECK(std::strcmp(b.transport.urn, "urn:dev:ops:32473-Light-000001") == 0);
  CHECK(b.transport.address == b.identity.mothership);
  CHECK(b.transport.pin == b.identity.mothership_fingerprint);
}

void the_retry_schedule_doubles_to_an_hour_with_jitter_and_never_ends(Checker& c) {
  Bench b;
  Millis now = 0;
  b.device.boot(now);
  Millis base = 30 * kSecond;
  for (int round = 0; round < 20; ++round) {
    b.device.on_mothership_reply(now, answer_of(Answer::no_answer));
    CHECK(b.device.state() == State::waiting_for_mapping);
    const Millis wait = b.device.retry_at() - now;
    CHECK(wait >= base - base / 4 && wait <= base + base / 4);
    CHECK(b.recorder.last_wait == wait);
    const int asks = b.transport.asks;
    b.device.poll(b.device.retry_at() - 1);
    CHECK(b.transport.asks == asks);  // not before its time
    CHECK(b.device.next_wakeup(b.device.retry_at() - 1000) <= b.device.retry_at());
    now = b.device.retry_at();
    b.device.poll(now);
    CHECK(b.transport.asks == asks + 1);
    CHECK(b.device.state() == State::asking_mothership);
    base = base * 2 > kHour ? kHour : base * 2;
  }
  CHECK(base == kHour);
}

void the_jitter_spreads_devices_out(Checker& c) {
  // Ten devices that fail together do not come back together.
  Millis first_waits[10];
  for (int i = 0; i < 10; ++i) {
    Bench b;
    b.entropy.state = 1000u + static_cast<std::uint32_t>(i) * 7919u;
    b.device.boot(0);
    b.device.on_mothership_reply(0, answer_of(Answer::no_answer));
    first_waits[i] = b.device.retry_at();
  }
  int distinct = 0;
  for (int i = 0; i < 10; ++i) {
    bool seen = false;
    for (int j = 0; j < i; ++j)
      seen = seen || first_waits[j] == first_waits[i];
    if (!seen) ++distinct;
  }
  CHECK(distinct >= 8);
}

void max_age_is_honoured(Checker& c) {
  Bench b;
  b.device.boot(0);
  b.device.on_mothership_reply(0, answer_of(Answer::unavailable, 600));
  CHECK(b.device.state() == State::waiting_for_mapping);
  CHECK(b.device.retry_at() == 600 * kSecond);  // longer than the 30 s back-off
  b.device.poll(600 * kSecond);
  b.device.on_mothership_reply(600 * kSecond, answer_of(Answer::unavailable, 1));
  const Millis wait = b.device.retry_at() - 600 * kSecond;
  CHECK(wait >= 45 * kSecond && wait <= 75 * kSecond);  // the back-off (60 s) wins over 1 s
}

void revoked_stops_and_reports(Checker& c) {
  Bench b;
  b.device.boot(0);
  b.device.on_mothership_reply(0, answer_of(Answer::forbidden));
  CHECK(b.device.state() == State::revoked);
  CHECK(b.recorder.last.state == State::revoked);
  for (Millis t = 0; t < 48 * kHour; t += kHour)
    b.device.poll(t);
  CHECK(b.transport.asks == 1);
  CHECK(!b.led.level);
}

void a_wrong_mothership_key_is_retried_not_trusted(Checker& c) {
  Bench b;
  b.device.boot(0);
  b.device.on_mothership_reply(0, answer_of(Answer::wrong_key));
  CHECK(b.device.state() == State::waiting_for_mapping);
  CHECK(b.device.controller() == nullptr);
  CHECK(std::strstr(b.recorder.last_detail, "wrong key") != nullptr);
  b.device.poll(b.device.retry_at());
  b.device.on_mothership_reply(b.device.retry_at(), answer_of(Answer::garbage));
  CHECK(b.device.state() == State::waiting_for_mapping);
  CHECK(std::strstr(b.recorder.last_detail, "not understood") != nullptr);
  CHECK(b.device.controller() == nullptr);
}

void the_answer_is_stored_and_the_device_joins_its_controller(Checker& c) {
  Bench b;
  enroll(b, 1000);
  CHECK(b.recorder.stored == 1);
  CHECK(b.device.controller() && *b.device.controller() == controller_a());
  CHECK(b.transport.opens == 1);
  CHECK(b.transport.address == controller_a().address);
  CHECK(b.transport.pin == controller_a().fingerprint);
  CHECK(b.transport.registrations == 1);
  CHECK(std::strcmp(b.transport.urn, "urn:dev:ops:32473-Light-000001") == 0);
  CHECK(std::strcmp(b.transport.links, "</light>;rt=tte.light;if=core.a") == 0);
  CHECK(b.transport.lifetime == b.timing.lifetime);
  CHECK(b.device.state() == State::registered);
  CHECK(std::strcmp(b.device.location(), "rd/7") == 0);
  NvRecord fresh(b.storage);  // what the next boot will find
  fresh.load();
  CHECK(fresh.controller() && *fresh.controller() == controller_a());
}

void the_registration_is_renewed_before_it_ends(Checker& c) {
  Bench b;
  enroll(b, 0);
  const Millis lifetime = b.timing.lifetime * kSecond;
  b.device.poll(lifetime * 3 / 4 - 1);
  CHECK(b.transport.renewals == 0);
  b.device.poll(lifetime * 3 / 4);
  CHECK(b.transport.renewals == 1);
  CHECK(std::strcmp(b.transport.location, "rd/7") == 0);
  b.device.on_renewal(lifetime * 3 / 4, RenewalOutcome::renewed);
  b.device.poll(lifetime * 3 / 2 - 1);
  CHECK(b.transport.renewals == 1);
  b.device.poll(lifetime * 3 / 2);
  CHECK(b.transport.renewals == 2);
  // The Controller restarted and forgot it: RFC 9176 says register again.
  b.device.on_renewal(lifetime * 3 / 2, RenewalOutcome::not_found);
  CHECK(b.device.state() == State::registering);
  CHECK(b.transport.registrations == 2);
}

void a_reboot_goes_straight_to_the_controller(Checker& c) {
  FakeStorage storage;
  {
    Bench first(Profile::light, &storage);
    enroll(first, 0);
  }
  Bench rebooted(Profile::light, &storage);
  rebooted.device.boot(0);
  CHECK(rebooted.transport.asks == 0);
  CHECK(rebooted.transport.opens == 1);
  CHECK(rebooted.device.state() == State::connecting);
  CHECK(rebooted.transport.address == controller_a().address);
  CHECK(!rebooted.led.level);
}

void a_wrong_controller_key_keeps_the_stored_record(Checker& c) {
  Bench b;
  enroll(b, 0);
  b.device.on_session_lost(10 * kSecond);
  CHECK(b.device.state() == State::controller_unreachable);
  b.device.poll(b.device.retry_at());
  CHECK(b.device.state() == State::connecting);
  b.device.on_controller_session(b.device.retry_at(), SessionOutcome::wrong_key);
  CHECK(b.device.state() == State::controller_unreachable);
  CHECK(std::strstr(b.recorder.last_detail, "wrong key") != nullptr);
  NvRecord fresh(b.storage);
  fresh.load();
  CHECK(fresh.controller() && *fresh.controller() == controller_a());
  CHECK(b.transport.asks == 1);  // only the first enrollment
}

void after_a_day_without_its_controller_it_asks_the_mothership_once(Checker& c) {
  Bench b;
  enroll(b, 0);
  Millis now = kHour;
  b.device.on_session_lost(now);
  const Millis outage_start = now;
  int asks = b.transport.asks;
  // Retries of the Controller, back-off capped at an hour, for almost a day.
  while (true) {
    now = b.device.retry_at();
    if (now >= outage_start + 24 * kHour) break;
    b.device.poll(now);
    CHECK(b.device.state() == State::connecting);
    b.device.on_controller_session(now, SessionOutcome::failed);
  }
  CHECK(b.transport.asks == asks);
  b.device.poll(now);
  CHECK(b.device.state() == State::asking_mothership);
  CHECK(b.transport.asks == asks + 1);
  // Nothing new from the MotherShip: back to the stored Controller, no second question.
  b.device.on_mothership_reply(now, answer_of(Answer::unavailable));
  CHECK(b.device.state() == State::controller_unreachable);
  CHECK(b.device.controller() && *b.device.controller() == controller_a());
  now = b.device.retry_at();
  b.device.poll(now);
  CHECK(b.device.state() == State::connecting);
  CHECK(b.transport.asks == asks + 1);
  // A day later it asks again, and this time the Controller was replaced.
  while (b.device.state() != State::asking_mothership) {
    b.device.on_controller_session(now, SessionOutcome::failed);
    now = b.device.retry_at();
    b.device.poll(now);
  }
  CHECK(now >= outage_start + 48 * kHour);
  b.device.on_mothership_reply(now, content(controller_b()));
  CHECK(b.device.state() == State::connecting);
  CHECK(b.transport.address == controller_b().address);
  NvRecord fresh(b.storage);
  fresh.load();
  CHECK(fresh.controller() && *fresh.controller() == controller_b());
}

void a_long_press_is_a_factory_reset(Checker& c) {
  Bench b;
  enroll(b, 0);
  b.device.button(kHour, true);
  b.device.poll(kHour + 4 * kSecond);
  CHECK(b.recorder.resets == 0);
  CHECK(b.device.next_wakeup(kHour + 4 * kSecond) <= kHour + 5 * kSecond);
  b.device.poll(kHour + 5 * kSecond);  // still held: reset now
  CHECK(b.recorder.resets == 1);
  b.device.button(kHour + 6 * kSecond, false);
  CHECK(b.recorder.resets == 1);
  CHECK(b.device.controller() == nullptr);
  CHECK(b.device.state() == State::asking_mothership);
  NvRecord fresh(b.storage);
  fresh.load();
  CHECK(fresh.controller() == nullptr);
  // And the next boot asks the MotherShip again.
  Bench rebooted(Profile::light, &b.storage);
  rebooted.device.boot(0);
  CHECK(rebooted.device.state() == State::asking_mothership);
}

void a_short_press_flips_the_switch_and_notifies(Checker& c) {
  Bench b(Profile::switch_);
  enroll(b, 0);
  CHECK(std::strcmp(b.transport.links, "</switch>;rt=tte.switch;if=core.s;obs") == 0);
  b.device.button(kSecond, true);
  b.device.button(kSecond + 200, false);
  CHECK(b.recorder.switches == 1 && b.recorder.last.on);
  CHECK(b.transport.notifications == 1);
  CHECK(std::strcmp(b.transport.notified, "/switch") == 0);
  Reply reply = b.device.on_request(2 * kSecond, Method::get, "/switch", ByteView());
  CHECK(reply.code == (2 << 5 | 5) && std::strcmp(reply.text, "on") == 0);
  CHECK(b.recorder.resets == 0);
}

void the_light_obeys_put(Checker& c) {
  Bench b;
  enroll(b, 0);
  const std::uint8_t on[] = {'o', 'n'};
  const std::uint8_t purple[] = {'p', 'u', 'r', 'p', 'l', 'e'};
  CHECK(!b.led.level);
  CHECK(b.device.on_request(0, Method::put, "/light", ByteView(on, 2)).code == (2 << 5 | 4));
  CHECK(b.recorder.lights == 1 && b.recorder.last.on);
  CHECK(b.led.level);  // the light is the board's LED
  CHECK(std::strcmp(b.device.on_request(0, Method::get, "/light", ByteView()).text, "on") == 0);
  CHECK(b.device.on_request(0, Method::put, "/light", ByteView(purple, 6)).code == (4 << 5 | 0));
  CHECK(b.led.level);
  const std::uint8_t off[] = {'o', 'f', 'f'};
  CHECK(b.device.on_request(0, Method::put, "/light", ByteView(off, 3)).code == (2 << 5 | 4));
  CHECK(!b.led.level);
  CHECK(b.device.on_request(0, Method::get, "/nothing", ByteView()).code == (4 << 5 | 4));
  CHECK(b.device.on_request(0, Method::delete_, "/light", ByteView()).code == (4 << 5 | 5));
}

void the_sensor_reports_its_temperature(Checker& c) {
  Bench b(Profile::sensor);
  enroll(b, 0);
  b.device.poll(0);
  CHECK(b.transport.notifications == 1);
  CHECK(std::strcmp(b.device.on_request(0, Method::get, "/temp", ByteView()).text, "21.5") == 0);
  b.thermometer.centi = 2170;  // +0.2: not worth a notification
  b.device.poll(kSecond);
  CHECK(b.transport.notifications == 1);
  b.thermometer.centi = 2210;  // +0.6
  b.device.poll(2 * kSecond);
  CHECK(b.transport.notifications == 2);
  b.thermometer.centi = -450;
  CHECK(std::strcmp(b.device.on_request(0, Method::get, "/temp", ByteView()).text, "-4.5") == 0);
  b.device.poll(2 * kSecond + b.timing.sensor_period);
  CHECK(b.transport.notifications == 3);
}

void the_led_frame_decodes_back_to_the_device(Checker& c) {
  Bench b;
  b.device.boot(0);
  // A camera at exactly one sample per bit, in the middle of each bit, for two frames.
  static std::uint8_t levels[2 * led::kFrameBits + 1];
  for (std::size_t i = 0; i < sizeof levels; ++i) {
    const Millis t = (2 * i + 1) * 1000 / (2 * led::kBitsPerSecond);
    b.device.poll(t);
    levels[i] = b.led.level ? 1 : 0;
  }
  auto decoded = led::decode_levels(ByteView(levels, sizeof levels), IdPolicy::operational);
  CHECK(decoded.ok());
  if (decoded.ok()) {
    CHECK(decoded->ms_id().value() == 10);
    CHECK(decoded->dev_id().value() == 1);
    CHECK(decoded->otp().value() == 0x0c7a5a7397784c99ull);
  }
  // Enrolled: the LED stops.
  b.device.on_mothership_reply(kHour, content(controller_a()));
  CHECK(!b.led.level);
  const int changes = b.led.changes;
  b.device.poll(kHour + 10 * kSecond);
  CHECK(b.led.changes == changes);
}

void the_version_2_led_frame_decodes_back_to_the_device(Checker& c) {
  Bench b;
  // The Device that version 1 cannot tell from another (docs/protocol.md §13.1).
  const EnrollmentUrl url(MsId::from_value(1, IdPolicy::operational).value(), DevId(5),
                          Otp(0x0c7a5a7397784c99ull));
  b.identity.led_pattern = led::pattern_v2(url);
  b.device.boot(0);
  static std::uint8_t levels[2 * led::kMaxPatternBits + 1];
  for (std::size_t i = 0; i < sizeof levels; ++i) {
    b.device.poll((2 * i + 1) * 1000 / (2 * led::kBitsPerSecond));
    levels[i] = b.led.level ? 1 : 0;
  }
  auto decoded = led::decode_frames(ByteView(levels, sizeof levels), IdPolicy::operational);
  CHECK(decoded.ok());
  if (decoded.ok()) {
    CHECK(decoded->device == url);
    CHECK(decoded->version == led::FrameVersion::v2);
  }
}

void a_power_cut_at_any_byte_leaves_the_old_or_the_new_record(Checker& c) {
  const StoredController old_record = controller_a(), new_record = controller_b();
  int old_found = 0, new_found = 0;
  for (long cut = 0; cut <= static_cast<long>(NvRecord::kSlotSize); ++cut) {
    for (int previous_writes = 0; previous_writes < 3; ++previous_writes) {
      // 0: blank flash; 1: the old record in slot A; 2: in A and B (B newest).
      FakeStorage storage;
      NvRecord nv(storage);
      nv.load();
      for (int i = 0; i < previous_writes; ++i)
        nv.store(old_record);
      storage.cut_after = cut;
      const bool written = nv.store(new_record);
      NvRecord after(storage);
      after.load();
      const StoredController* found = after.controller();
      if (previous_writes == 0) {
        CHECK(found == nullptr || *found == new_record);
        CHECK((found != nullptr) == written);
        continue;
      }
      CHECK(found != nullptr);
      if (!found) continue;
      CHECK(*found == old_record || *found == new_record);
      CHECK((*found == new_record) == written);
      if (*found == old_record) ++old_found;
      if (*found == new_record) ++new_found;
    }
  }
  CHECK(old_found > 0 && new_found > 0);
  // A reset cut short leaves the Controller; completed, none.
  for (long cut = 0; cut <= static_cast<long>(NvRecord::kSlotSize); ++cut) {
    FakeStorage storage;
    NvRecord nv(storage);
    nv.load();
    nv.store(old_record);
    storage.cut_after = cut;
    const bool erased = nv.erase();
    NvRecord after(storage);
    after.load();
    CHECK(erased ? after.controller() == nullptr
                 : after.controller() != nullptr && *after.controller() == old_record);
  }
}

void a_flipped_bit_in_either_slot_never_yields_a_corrupt_record(Checker& c) {
  const StoredController first = controller_a(), second = controller_b();
  int bits = 0;
  for (std::size_t slot = 0; slot < 2; ++slot) {
    for (std::size_t byte = 0; byte < NvRecord::kSlotSize; ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        FakeStorage storage;
        NvRecord nv(storage);
        nv.load();
        nv.store(first);   // slot A
        nv.store(second);  // slot B, newer
        storage.bytes[slot * NvRecord::kSlotStride + byte] ^= static_cast<std::uint8_t>(1 << bit);
        NvRecord after(storage);
        after.load();
        const StoredController* found = after.controller();
        CHECK(found != nullptr);
        if (!found) continue;
        // A flip in B falls back to A; a flip in A leaves B.
        CHECK(*found == (slot == 1 ? first : second));
        ++bits;
      }
    }
  }
  CHECK(bits == 2 * 8 * static_cast<int>(NvRecord::kSlotSize));
}

void the_sequence_number_may_wrap(Checker& c) {
  FakeStorage storage;
  std::uint8_t slot[NvRecord::kSlotSize];
  const StoredController a = controller_a(), b = controller_b();
  NvRecord::encode_slot(0xffffffffu, &a, MutableByteView(slot, sizeof slot));
  std::memcpy(storage.bytes, slot, sizeof slot);
  NvRecord::encode_slot(0u, &b, MutableByteView(slot, sizeof slot));
  std::memcpy(storage.bytes + NvRecord::kSlotStride, slot, sizeof slot);
  NvRecord nv(storage);
  nv.load();
  CHECK(nv.controller() && *nv.controller() == b);  // 0 follows 0xffffffff
}

void a_failed_store_is_reported_and_the_device_goes_on(Checker& c) {
  Bench b;
  b.device.boot(0);
  b.storage.cut_after = 10;
  b.device.on_mothership_reply(0, content(controller_a()));
  CHECK(b.recorder.store_failures == 1);
  CHECK(b.device.state() == State::connecting);
  CHECK(b.transport.address == controller_a().address);
}

SeedRecord::Seed seed_of(std::uint8_t fill) {
  SeedRecord::Seed seed;
  for (std::size_t i = 0; i < seed.size(); ++i)
    seed[i] = static_cast<std::uint8_t>(fill + i);
  return seed;
}

void a_power_cut_while_storing_a_seed_leaves_the_old_or_the_new_one(Checker& c) {
  static_assert(SeedRecord::kNvOffset >= NvRecord::kStorageSize, "the records overlap");
  const SeedRecord::Seed old_seed = seed_of(1), new_seed = seed_of(100);
  int old_found = 0, new_found = 0;
  for (long cut = 0; cut <= static_cast<long>(SeedRecord::kSlotSize); ++cut) {
    for (int previous_writes = 0; previous_writes < 3; ++previous_writes) {
      FakeStorage storage;
      NvRecord nv(storage);  // the Controller record beside it is never touched
      nv.load();
      nv.store(controller_a());
      SeedRecord seeds(storage, SeedRecord::kNvOffset);
      seeds.load();
      CHECK(seeds.seed() == nullptr);
      for (int i = 0; i < previous_writes; ++i)
        seeds.store(old_seed);
      storage.cut_after = cut;
      const bool written = seeds.store(new_seed);
      SeedRecord after(storage, SeedRecord::kNvOffset);
      after.load();
      NvRecord nv_after(storage);
      nv_after.load();
      CHECK(nv_after.controller() && *nv_after.controller() == controller_a());
      const SeedRecord::Seed* found = after.seed();
      if (previous_writes == 0) {
        CHECK((found != nullptr) == written);
        CHECK(found == nullptr || *found == new_seed);
        continue;
      }
      CHECK(found != nullptr);
      if (!found) continue;
      CHECK(*found == old_seed || *found == new_seed);
      CHECK((*found == new_seed) == written);
      old_found += *found == old_seed;
      new_found += *found == new_seed;
    }
  }
  CHECK(old_found > 0 && new_found > 0);
  // Many boots in a row: each finds the seed the one before stored.
  FakeStorage storage;
  for (std::uint8_t boot = 0; boot < 10; ++boot) {
    SeedRecord seeds(storage, SeedRecord::kNvOffset);
    seeds.load();
    CHECK(boot == 0 ? seeds.seed() == nullptr : seeds.seed() && *seeds.seed() == seed_of(boot));
    CHECK(seeds.store(seed_of(static_cast<std::uint8_t>(boot + 1))));
  }
}

void settings_round_trip_and_bad_ones_are_refused(Checker& c) {
  std::uint8_t bytes[DeviceSettings::kSize];
  DeviceSettings defaults;
  CHECK(defaults.encode(MutableByteView(bytes, sizeof bytes)).ok());
  auto decoded = DeviceSettings::decode(ByteView(bytes, sizeof bytes));
  CHECK(decoded.ok());
  if (decoded.ok()) {
    CHECK(decoded->dhcp && decoded->profile == Profile::light);
    CHECK(decoded->timing().retry_min == Timing().retry_min);
    CHECK(decoded->timing().retry_max == Timing().retry_max);
    CHECK(decoded->timing().lifetime == Timing().lifetime);
  }
  DeviceSettings fixed;
  fixed.profile = Profile::switch_;
  fixed.dhcp = false;
  fixed.address = {10, 0, 2, 15};
  fixed.gateway = {10, 0, 2, 2};
  fixed.prefix_length = 24;
  fixed.retry_min = 1000;
  fixed.retry_max = 2000;
  fixed.lifetime = 60;
  CHECK(fixed.encode(MutableByteView(bytes, sizeof bytes)).ok());
  decoded = DeviceSettings::decode(ByteView(bytes, sizeof bytes));
  CHECK(decoded.ok());
  if (decoded.ok()) {
    CHECK(!decoded->dhcp && decoded->profile == Profile::switch_);
    CHECK(decoded->address == fixed.address && decoded->gateway == fixed.gateway);
    CHECK(decoded->prefix_length == 24 && decoded->retry_min == 1000);
    CHECK(decoded->retry_max == 2000 && decoded->lifetime == 60);
  }
  // Every flipped bit is caught (by the CRC, or the magic).
  int caught = 0;
  for (std::size_t bit = 0; bit < 8 * sizeof bytes; ++bit) {
    std::uint8_t damaged[sizeof bytes];
    std::memcpy(damaged, bytes, sizeof bytes);
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    caught += !DeviceSettings::decode(ByteView(damaged, sizeof damaged)).ok();
  }
  CHECK(caught == static_cast<int>(8 * sizeof bytes));
  // Erased flash holds no settings.
  std::memset(bytes, 0xff, sizeof bytes);
  auto erased = DeviceSettings::decode(ByteView(bytes, sizeof bytes));
  CHECK(!erased.ok() && erased.error().code == Errc::syntax);
  // What check() refuses, encode() refuses too.
  DeviceSettings bad = fixed;
  bad.retry_max = 999;
  CHECK(bad.encode(MutableByteView(bytes, sizeof bytes)).error().code == Errc::out_of_range);
  bad = fixed;
  bad.lifetime = 59;
  CHECK(!bad.check().ok());
  bad = fixed;
  bad.prefix_length = 33;
  CHECK(!bad.check().ok());
  bad = fixed;
  bad.gateway = {0, 0, 0, 0};
  CHECK(!bad.check().ok());
  bad = fixed;
  bad.gateway = {192, 168, 1, 1};  // not on 10.0.2.0/24
  CHECK(bad.check().error().field == std::string_view("gateway"));
  bad = fixed;
  bad.gateway = fixed.address;
  CHECK(!bad.check().ok());
  for (const std::array<std::uint8_t, 4>& address :
       {std::array<std::uint8_t, 4>{10, 0, 2, 0}, std::array<std::uint8_t, 4>{10, 0, 2, 255},
        std::array<std::uint8_t, 4>{224, 0, 0, 1}, std::array<std::uint8_t, 4>{255, 255, 255, 255},
        std::array<std::uint8_t, 4>{127, 0, 0, 1}}) {
    bad = fixed;
    bad.address = address;
    CHECK(bad.check().error().field == std::string_view("address"));
  }
  bad = fixed;
  bad.prefix_length = 32;  // a point-to-point /32 has no network or broadcast address...
  bad.gateway = {10, 0, 2, 2};
  CHECK(!bad.check().ok());  // ... and no room for a gateway on it
  bad = fixed;
  bad.prefix_length = 31;
  bad.address = {10, 0, 2, 2};
  bad.gateway = {10, 0, 2, 3};
  CHECK(bad.check().ok());  // RFC 3021: both ends of a /31 are hosts
  bad = defaults;
  bad.retry_min = 0;
  CHECK(!bad.check().ok());
}

// What a board's Transport reports (transport_report.hpp) reaches the outcome it means.
void transport_reports_reach_the_outcomes_they_mean(Checker& c) {
  Bench b;
  b.device.boot(0);
  report_failure(b.device, 0, SessionPurpose::mothership, false, PendingRequest::query,
                 Failure::wrong_key);
  CHECK(b.device.state() == State::waiting_for_mapping);
  CHECK(std::strstr(b.recorder.last_detail, "wrong key") != nullptr);
  b.device.poll(b.device.retry_at());
  CHECK(b.device.state() == State::asking_mothership);
  const MotherShipReply stored = content(controller_a());
  CoapAnswer answer;
  answer.code = stored.code;
  answer.payload = stored.payload;
  report_answer(b.device, b.device.retry_at(), PendingRequest::query, answer);
  CHECK(b.device.state() == State::connecting);
  CHECK(b.device.controller() && *b.device.controller() == controller_a());
  // The Controller's handshake fails: with the wrong key, or without an answer.
  report_failure(b.device, kSecond, SessionPurpose::controller, false, PendingRequest::none,
                 Failure::wrong_key);
  CHECK(b.device.state() == State::controller_unreachable);
  CHECK(std::strstr(b.recorder.last_detail, "wrong key") != nullptr);
  b.device.poll(b.device.retry_at());
  CHECK(b.device.state() == State::connecting);
  // ... or with an alert: the Controller does not take this Device (another Device's NV, say).
  report_failure(b.device, b.device.retry_at(), SessionPurpose::controller, false,
                 PendingRequest::none, Failure::refused);
  CHECK(b.device.state() == State::controller_unreachable);
  CHECK(std::strstr(b.recorder.last_detail, "refused the DTLS session") != nullptr);
  CHECK(b.device.controller() && *b.device.controller() == controller_a());  // kept
  b.device.poll(b.device.retry_at());
  CHECK(b.device.state() == State::connecting);
  b.device.on_controller_session(b.device.retry_at(), SessionOutcome::up);
  CHECK(b.device.state() == State::registering);
  CoapAnswer created;
  created.code = 2 << 5 | 1;
  created.location = "rd/3";
  report_answer(b.device, kHour, PendingRequest::registration, created);
  CHECK(b.device.state() == State::registered);
  CHECK(std::strcmp(b.device.location(), "rd/3") == 0);
  CoapAnswer gone;
  gone.code = 4 << 5 | 4;
  report_answer(b.device, kHour, PendingRequest::renewal, gone);  // 4.04: register again
  CHECK(b.device.state() == State::registering);
  report_answer(b.device, kHour, PendingRequest::registration, created);
  // The session dies while a renewal is out.
  report_failure(b.device, kHour, SessionPurpose::controller, true, PendingRequest::renewal,
                 Failure::no_answer);
  CHECK(b.device.state() == State::controller_unreachable);
}

const std::uint8_t kFactoryPsk[SessionKeys::kPskSize] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                         9, 10, 11, 12, 13, 14, 15, 16};

StoredController with_link_psk(StoredController controller) {
  controller.has_psk = true;
  for (std::size_t i = 0; i < controller.psk.size(); ++i)
    controller.psk[i] = static_cast<std::uint8_t>(0xc0 + i);
  return controller;
}

// docs/protocol.md §13.3: a PSK Device asks its MotherShip over its factory
// PSK and reaches its Controller over the link PSK message 10 gave it, both
// with its URN as the identity; after a reboot, straight to the Controller.
void a_psk_device_uses_its_factory_psk_then_the_link_psk(Checker& c) {
  Bench b;
  b.identity.factory_psk = kFactoryPsk;
  b.device.boot(0);
  CHECK(b.transport.asks == 1);
  CHECK(b.transport.session_keys.use_psk);
  CHECK(std::memcmp(b.transport.session_keys.psk.data(), kFactoryPsk, sizeof kFactoryPsk) == 0);
  const StoredController controller = with_link_psk(controller_a());
  b.device.on_mothership_reply(0, content(controller));
  CHECK(b.device.state() == State::connecting);
  CHECK(b.transport.opens == 1);
  CHECK(b.transport.session_keys.use_psk);
  CHECK(b.transport.session_keys.psk == controller.psk);
  CHECK(std::strcmp(b.transport.urn, "urn:dev:ops:32473-Light-000001") == 0);
  CHECK(b.device.controller() != nullptr && b.device.controller()->has_psk);
  b.device.on_controller_session(0, SessionOutcome::up);
  CHECK(b.device.state() == State::registering);

  Bench again(Profile::light, &b.storage);
  again.identity.factory_psk = kFactoryPsk;
  again.device.boot(kHour);
  CHECK(again.transport.asks == 0);
  CHECK(again.transport.opens == 1);
  CHECK(again.transport.session_keys.use_psk);
  CHECK(again.transport.session_keys.psk == controller.psk);
}

// A PSK Device cannot hold a certificate session: a Controller without a link
// PSK is stored but not tried; the Device asks its MotherShip again later.
void a_psk_device_given_no_link_psk_asks_again(Checker& c) {
  Bench b;
  b.identity.factory_psk = kFactoryPsk;
  b.device.boot(0);
  b.device.on_mothership_reply(0, content(controller_a()));
  CHECK(b.transport.opens == 0);
  CHECK(b.device.state() == State::waiting_for_mapping);
  CHECK(b.device.retry_at() > 0);
  b.device.poll(b.device.retry_at());
  CHECK(b.transport.asks == 2);
  CHECK(b.device.state() == State::asking_mothership);
}

// A certificate Device whose claim carried a link PSK: its certificate with
// the MotherShip, the PSK with its Controller.
void a_certificate_device_with_a_link_psk_uses_it_with_its_controller(Checker& c) {
  Bench b;
  b.device.boot(0);
  CHECK(!b.transport.session_keys.use_psk);
  CHECK(b.transport.pin == b.identity.mothership_fingerprint);
  b.device.on_mothership_reply(0, content(with_link_psk(controller_b())));
  CHECK(b.transport.opens == 1);
  CHECK(b.transport.session_keys.use_psk);
  CHECK(b.transport.session_keys.pin == controller_b().fingerprint);
}

}  // namespace

const Scenario kAll[] = {
    {"FreshDeviceAsksItsMotherShip", fresh_device_asks_its_mothership},
    {"TheRetryScheduleDoublesToAnHourWithJitterAndNeverEnds",
     the_retry_schedule_doubles_to_an_hour_with_jitter_and_never_ends},
    {"TheJitterSpreadsDevicesOut", the_jitter_spreads_devices_out},
    {"MaxAgeIsHonoured", max_age_is_honoured},
    {"RevokedStopsAndReports", revoked_stops_and_reports},
    {"AWrongMotherShipKeyOrAGarbledAnswerIsRetriedNotTrusted",
     a_wrong_mothership_key_is_retried_not_trusted},
    {"TheAnswerIsStoredAndTheDeviceJoinsItsController",
     the_answer_is_stored_and_the_device_joins_its_controller},
    {"TheRegistrationIsRenewedBeforeItEnds", the_registration_is_renewed_before_it_ends},
    {"ARebootGoesStraightToTheController", a_reboot_goes_straight_to_the_controller},
    {"AWrongControllerKeyKeepsTheStoredRecord", a_wrong_controller_key_keeps_the_stored_record},
    {"AfterADayWithoutItsControllerItAsksTheMotherShipOnce",
     after_a_day_without_its_controller_it_asks_the_mothership_once},
    {"ALongPressIsAFactoryReset", a_long_press_is_a_factory_reset},
    {"AShortPressFlipsTheSwitchAndNotifies", a_short_press_flips_the_switch_and_notifies},
    {"TheLightObeysPut", the_light_obeys_put},
    {"TheSensorReportsItsTemperature", the_sensor_reports_its_temperature},
    {"TheLedFrameDecodesBackToTheDevice", the_led_frame_decodes_back_to_the_device},
    {"TheVersion2LedFrameDecodesBackToTheDevice",
     the_version_2_led_frame_decodes_back_to_the_device},
    {"APowerCutAtAnyByteLeavesTheOldOrTheNewRecord",
     a_power_cut_at_any_byte_leaves_the_old_or_the_new_record},
    {"AFlippedBitInEitherSlotNeverYieldsACorruptRecord",
     a_flipped_bit_in_either_slot_never_yields_a_corrupt_record},
    {"TheSequenceNumberMayWrap", the_sequence_number_may_wrap},
    {"AFailedStoreIsReportedAndTheDeviceGoesOn", a_failed_store_is_reported_and_the_device_goes_on},
    {"APowerCutWhileStoringASeedLeavesTheOldOrTheNewOne",
     a_power_cut_while_storing_a_seed_leaves_the_old_or_the_new_one},
    {"SettingsRoundTripAndBadOnesAreRefused", settings_round_trip_and_bad_ones_are_refused},
    {"TransportReportsReachTheOutcomesTheyMean", transport_reports_reach_the_outcomes_they_mean},
    {"APskDeviceUsesItsFactoryPskThenTheLinkPsk",
     a_psk_device_uses_its_factory_psk_then_the_link_psk},
    {"APskDeviceGivenNoLinkPskAsksAgain", a_psk_device_given_no_link_psk_asks_again},
    {"ACertificateDeviceWithALinkPskUsesItWithItsController",
     a_certificate_device_with_a_link_psk_uses_it_with_its_controller},
};
const std::size_t kCount = sizeof kAll / sizeof kAll[0];

}  // namespace tte::device::scenarios
