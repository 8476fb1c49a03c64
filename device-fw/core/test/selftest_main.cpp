// The Device's state-machine scenarios on the Device's CPU (Cortex-M3 under
// QEMU, semihosting), then the same core on the board's own LED, NV memory,
// clock and entropy (device-fw/hal/cortex_m). One FAIL line per failed check,
// then a summary.
#include <cstdio>

#include "fake_hal.hpp"
#include "scenarios.hpp"
#include "tte/device/mps2_board.hpp"
#include "tte/device/nv_flash.hpp"

namespace {

using namespace tte;
using namespace tte::device;
using tte::device::scenarios::Checker;

#define CHECK(condition) c.check((condition), #condition, __LINE__)

void on_the_board(Checker& c) {
  mps2::Mps2Led led;
  led.set(true);
  CHECK(led.is_on());
  led.set(false);
  CHECK(!led.is_on());

  mps2::Mps2Clock clock;
  const Millis before = clock.now();
  CHECK(clock.now() >= before);

  mps2::NvFlash storage;  // the board's NV sector, in memory (no host file)
  NvRecord nv(storage);
  nv.load();
  CHECK(nv.erase());
  const StoredController a = fake::controller_a(), b = fake::controller_b();
  CHECK(nv.store(a));
  CHECK(nv.store(b));
  NvRecord reread(storage);
  reread.load();
  CHECK(reread.controller() && *reread.controller() == b);

  // The core blinking the board's LED: sampled from the register, it decodes.
  CHECK(nv.erase());
  fake::FakeTransport transport;
  fake::Recorder recorder;
  mps2::XorShiftEntropy entropy;
  Timing timing;
  Identity identity;
  identity.urn = "urn:dev:ops:32473-Light-000001";
  identity.mothership = a.address;
  identity.mothership_fingerprint = a.fingerprint;
  identity.led_pattern =
      led::pattern_of(EnrollmentUrl(MsId::from_value(10, IdPolicy::operational).value(), DevId(7),
                                    Otp(0x1122334455667788ull)),
                      led::FrameVersion::v2);
  Device device(identity, Profile::light, timing, Hal{transport, storage, led, entropy, nullptr},
                recorder);
  device.boot(0);
  CHECK(transport.asks == 1);
  static std::uint8_t levels[2 * led::kMaxPatternBits + 1];
  for (std::size_t i = 0; i < sizeof levels; ++i) {
    device.poll((2 * i + 1) * 1000 / (2 * led::kBitsPerSecond));
    levels[i] = led.is_on() ? 1 : 0;
  }
  auto decoded = led::decode_levels(ByteView(levels, sizeof levels), IdPolicy::operational);
  CHECK(decoded.ok() && decoded->dev_id().value() == 7);
  std::printf("sizeof(tte::device::Device) = %u bytes\n", static_cast<unsigned>(sizeof(Device)));
}

}  // namespace

int main() {
  using namespace tte::device::scenarios;
  int checks = 0, failures = 0;
  for (std::size_t i = 0; i <= kCount; ++i) {
    Checker checker;
    checker.scenario = i < kCount ? kAll[i].name : "OnTheBoard";
    if (i < kCount) {
      kAll[i].run(checker);
    } else {
      on_the_board(checker);
    }
    checks += checker.checks;
    failures += checker.failures;
  }
  if (failures == 0) {
    std::printf("device scenarios: %d checks passed\n", checks);
  } else {
    std::printf("device scenarios: FAIL %d of %d checks\n", failures, checks);
  }
  return failures == 0 ? 0 : 1;
}
