// A fake board for the Device's state-machine scenarios: records what the core
// asks for, lets a scenario cut the power in the middle of an NV write. No heap.
#ifndef TTE_DEVICE_FAKE_HAL_HPP
#define TTE_DEVICE_FAKE_HAL_HPP

#include <cstdint>
#include <cstring>

#include "tte/device/device.hpp"
#include "tte/device/seed_record.hpp"

namespace tte::device::fake {

class FakeStorage final : public Storage {
 public:
  FakeStorage() { std::memset(bytes, 0xff, sizeof bytes); }  // erased flash
  bool read(std::size_t offset, MutableByteView out) override;
  // Writes byte by byte; with cut_after >= 0 the power fails after that many
  // more bytes (the rest of the write never happens and it reports failure).
  bool write(std::size_t offset, ByteView data) override;
  // The NvRecord, then the SeedRecord, as boards lay them out.
  std::uint8_t bytes[SeedRecord::kNvOffset + SeedRecord::kStorageSize];
  long cut_after = -1;
  int writes = 0;
};

class FakeTransport final : public Transport {
 public:
  enum class Call : std::uint8_t { none, ask, open, reg, renew, close, notify };
  void ask_mothership(const ControllerAddress& ms, const SessionKeys& keys,
                      const char* urn) override;
  void open_controller(const ControllerAddress& controller, const SessionKeys& keys,
                       const char* urn) override;
  void register_endpoint(const char* urn, std::uint32_t lifetime, const char* links) override;
  void renew_registration(const char* location) override;
  void close() override { ++closes; }
  void notify_observers(const char* path) override;

  Call last = Call::none;
  int asks = 0, opens = 0, registrations = 0, renewals = 0, closes = 0, notifications = 0;
  ControllerAddress address;
  Fingerprint pin;
  SessionKeys session_keys;  // the last session's
  char urn[64] = {}, links[64] = {}, location[64] = {}, notified[16] = {};
  std::uint32_t lifetime = 0;
};

class FakeLed final : public Led {
 public:
  void set(bool on) override {
    level = on;
    ++changes;
  }
  bool level = false;
  int changes = 0;
};

class FakeEntropy final : public Entropy {
 public:
  std::uint32_t next() override {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  }
  std::uint32_t state = 12345;
};

class FakeThermometer final : public Thermometer {
 public:
  std::int32_t centi_celsius() override { return centi; }
  std::int32_t centi = 2150;
};

class Recorder final : public Observer {
 public:
  void on_event(const Event& event) override;
  Event last;
  int events = 0, states = 0, stored = 0, resets = 0, store_failures = 0, lights = 0, switches = 0;
  Millis last_wait = 0;
  char last_detail[96] = {};
};

// Everything a scenario needs, with a test Identity (MS ID 10, Dev ID 1).
struct Bench {
  Bench(Profile profile = Profile::light, FakeStorage* shared_storage = nullptr);
  FakeStorage own_storage;
  FakeStorage& storage;
  FakeTransport transport;
  FakeLed led;
  FakeEntropy entropy;
  FakeThermometer thermometer;
  Recorder recorder;
  Identity identity;
  Timing timing;
  Device device;
};

StoredController controller_a();  // 192.0.2.7:5684, fingerprint aa..
StoredController controller_b();  // [2001:db8::9]:5684, fingerprint bb..
// A 2.05 with the CBOR answer naming `controller` (the payload lives in a static buffer).
MotherShipReply content(const StoredController& controller);

}  // namespace tte::device::fake

#endif  // TTE_DEVICE_FAKE_HAL_HPP
