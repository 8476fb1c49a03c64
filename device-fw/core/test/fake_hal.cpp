#include "fake_hal.hpp"

namespace tte::device::fake {
namespace {

void copy(char* out, std::size_t size, const char* text) {
  std::size_t i = 0;
  for (; text && text[i] != '\0' && i + 1 < size; ++i)
    out[i] = text[i];
  out[i] = '\0';
}

}  // namespace

bool FakeStorage::read(std::size_t offset, MutableByteView out) {
  if (offset + out.size() > sizeof bytes) return false;
  std::memcpy(out.data(), bytes + offset, out.size());
  return true;
}

bool FakeStorage::write(std::size_t offset, ByteView data) {
  ++writes;
  if (offset + data.size() > sizeof bytes) return false;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (cut_after == 0) return false;
    if (cut_after > 0) --cut_after;
    bytes[offset + i] = data[i];
  }
  return true;
}

void FakeTransport::ask_mothership(const ControllerAddress& ms, const SessionKeys& keys,
                                   const char* device_urn) {
  last = Call::ask;
  ++asks;
  address = ms;
  pin = keys.pin;
  session_keys = keys;
  copy(urn, sizeof urn, device_urn);
}

void FakeTransport::open_controller(const ControllerAddress& controller, const SessionKeys& keys,
                                    const char* device_urn) {
  last = Call::open;
  ++opens;
  address = controller;
  pin = keys.pin;
  session_keys = keys;
  copy(urn, sizeof urn, device_urn);
}

void FakeTransport::register_endpoint(const char* device_urn, std::uint32_t lt,
                                      const char* link_format) {
  last = Call::reg;
  ++registrations;
  copy(urn, sizeof urn, device_urn);
  copy(links, sizeof links, link_format);
  lifetime = lt;
}

void FakeTransport::renew_registration(const char* where) {
  last = Call::renew;
  ++renewals;
  copy(location, sizeof location, where);
}

void FakeTransport::notify_observers(const char* path) {
  last = Call::notify;
  ++notifications;
  copy(notified, sizeof notified, path);
}

void Recorder::on_event(const Event& event) {
  last = event;
  ++events;
  switch (event.kind) {
    case Event::Kind::state:
      ++states;
      last_wait = event.wait_ms;
      break;
    case Event::Kind::stored:
      ++stored;
      break;
    case Event::Kind::store_failed:
      ++store_failures;
      break;
    case Event::Kind::factory_reset:
      ++resets;
      break;
    case Event::Kind::light:
      ++lights;
      break;
    case Event::Kind::switch_:
      ++switches;
      break;
  }
  copy(last_detail, sizeof last_detail, event.detail);
}

namespace {

Identity test_identity() {
  Identity identity;
  identity.urn = "urn:dev:ops:32473-Light-000001";
  identity.mothership.ip = IpAddress::v4({192, 0, 2, 1});
  identity.mothership.port = 5684;
  Fingerprint::Bytes pin{};
  for (auto& b : pin)
    b = 0x4d;
  identity.mothership_fingerprint = Fingerprint(pin);
  const EnrollmentUrl url(MsId::from_value(10, IdPolicy::operational).value(), DevId(1),
                          Otp(0x0c7a5a7397784c99ull));
  identity.led_pattern = led::pattern_v1(led::build_frame(url));
  return identity;
}

}  // namespace

Bench::Bench(Profile profile, FakeStorage* shared_storage)
    : storage(shared_storage ? *shared_storage : own_storage),
      identity(test_identity()),
      device(identity, profile, timing, Hal{transport, storage, led, entropy, &thermometer},
             recorder) {}

StoredController controller_a() {
  StoredController c;
  c.address.ip = IpAddress::v4({192, 0, 2, 7});
  c.address.port = 5684;
  Fingerprint::Bytes bytes{};
  for (auto& b : bytes)
    b = 0xaa;
  c.fingerprint = Fingerprint(bytes);
  return c;
}

StoredController controller_b() {
  StoredController c;
  std::array<std::uint8_t, 16> ip{0x20, 0x01, 0x0d, 0xb8};
  ip[15] = 9;
  c.address.ip = IpAddress::v6(ip);
  c.address.port = 5684;
  Fingerprint::Bytes bytes{};
  for (auto& b : bytes)
    b = 0xbb;
  c.fingerprint = Fingerprint(bytes);
  return c;
}

MotherShipReply content(const StoredController& controller) {
  static std::uint8_t buffer[EnrollmentAnswer::kMaxEncodedSize];
  EnrollmentAnswer answer;
  answer.controller = controller.address;
  answer.controller_fingerprint = controller.fingerprint;
  answer.has_psk = controller.has_psk;
  answer.psk = controller.psk;
  MotherShipReply reply;
  reply.kind = MotherShipReply::Kind::response;
  reply.code = 2 << 5 | 5;
  reply.payload = answer.encode_cbor(MutableByteView(buffer, sizeof buffer)).value();
  return reply;
}

}  // namespace tte::device::fake
