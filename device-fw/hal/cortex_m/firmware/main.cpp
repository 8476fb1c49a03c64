// The networked TTE Device on the MPS2-AN385 board (Cortex-M3): the enrollment
// core (device-fw/core) over lwIP, libcoap and Mbed TLS, no RTOS. See
// docs/device.md, "The firmware on a board".
//
// Boot: the provisioning image (who the Device is) and the settings (how this
// image runs) from flash, both checked; the NV sector (under QEMU, from the
// host's file); the DRBG seeded and the next seed stored; the network up
// (DHCP or static); then the core boots and the main loop polls it, the
// console and the button, and runs libcoap, sleeping between ticks.
#include <cstring>
#include <new>

#include "board_random.hpp"
#include "clock.hpp"
#include "coap_transport.hpp"
#include "console.hpp"
#include "events.hpp"
#include "mbedtls/version.h"
#include "network.hpp"
#include "tte/device/device.hpp"
#include "tte/device/mps2_board.hpp"
#include "tte/device/nv_flash.hpp"
#include "tte/device/seed_record.hpp"
#include "tte/device/semihosting.hpp"
#include "tte/device/settings.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/provisioning_image.hpp"

// The device-data regions, as firmware.ld places them.
extern "C" const std::uint8_t __tte_provisioning[], __tte_provisioning_end[], __tte_settings[],
    __tte_settings_end[];

namespace tte::device::mps2 {
namespace {

constexpr Millis kLongPressHold = 5'500;  // a console long press holds the button this long
constexpr unsigned kMaxWait = 50;         // ms: the console and the button are polled this often

// The flash regions are read through their linker symbols, not through C++
// objects the compiler could see are erased.
ByteView region(const std::uint8_t* start, const std::uint8_t* end) {
  const std::uint8_t* volatile address = start;
  return ByteView(address,
                  reinterpret_cast<std::uintptr_t>(end) - reinterpret_cast<std::uintptr_t>(start));
}

bool erased(ByteView bytes) {
  for (std::uint8_t b : bytes) {
    if (b != 0xff) return false;
  }
  return true;
}

// The Device cannot go on (it said why: a `stopped` event). Under QEMU the run
// ends with status 3; a board waits for its reset button.
constexpr int kStoppedStatus = 3;
[[noreturn]] void halt() {
  semihosting::exit(kStoppedStatus);
  for (;;)
    clock().idle();
}

// The Device and everything it runs on, in static memory.
Events g_events;
NvFlash g_nv;
CoapTransport g_transport;
Mps2Led g_led;
Mps2Button g_button;

alignas(Device) std::uint8_t g_device_storage[sizeof(Device)];

// The button, from the board (PB0) or from the console: a press is held until release_at.
struct Button {
  bool console_pressed = false;
  Millis release_at = 0;
  bool was_pressed = false;

  void press(Millis now, Millis hold) {
    console_pressed = true;
    release_at = now + hold;
  }
  void poll(Device& device, Millis now) {
    if (console_pressed && now >= release_at) console_pressed = false;
    const bool pressed = console_pressed || g_button.pressed();
    if (pressed != was_pressed) device.button(now, pressed);
    was_pressed = pressed;
  }
};

int run() {
  clock().start();
  console().start();
  g_events.line("boot")
      .field("board", "mps2-an385")
      .field("libcoap", coap_package_version())
      .field("mbedtls", MBEDTLS_VERSION_STRING)
#ifdef TTE_FIRMWARE_PSK_ONLY
      .field("dtls", "psk")
#else
      .field("dtls", "certificates+psk")
#endif
      .write_to(console());

  // Who the Device is: the factory's provisioning image.
  const ByteView provisioning = region(__tte_provisioning, __tte_provisioning_end);
  if (erased(provisioning)) {
    g_events.stopped("no provisioning image in flash: make one with ./tte firmware image");
    halt();
  }
  auto image = ProvisioningImage::decode(provisioning, IdPolicy::allow_example);
  if (!image.ok()) {
    g_events.stopped(image.error().message, errc_name(image.error().code));
    halt();
  }
  if (image->entropy_seed.empty()) {
    g_events.stopped(
        "the provisioning image (version 1) has no entropy seed: mint the Device again",
        "unsupported");
    halt();
  }
  const bool psk_device = !image->factory_psk.empty();  // docs/protocol.md 13.3
  if (psk_device && image->factory_psk.size() != SessionKeys::kPskSize) {
    g_events.stopped("the provisioning image's factory PSK is not 16 bytes", "syntax");
    halt();
  }
#ifdef TTE_FIRMWARE_PSK_ONLY
  if (!psk_device) {
    g_events.stopped(
        "this is the PSK-only firmware (tte-device-fw-psk): a certificate Device's image needs "
        "tte-device-fw",
        "unsupported");
    halt();
  }
#endif
  if (!psk_device && image->private_key.empty()) {
    g_events.stopped(
        "the provisioning image holds no private key (the key was made on the "
        "Device): this firmware takes its key from the factory",
        "unsupported");
    halt();
  }
  g_events.set_urn(image->urn.c_str());

  // How this image runs: its settings, or the protocol's defaults when there are none.
  DeviceSettings settings;
  const ByteView settings_bytes = region(__tte_settings, __tte_settings_end);
  if (!erased(settings_bytes)) {
    auto decoded = DeviceSettings::decode(settings_bytes);
    if (!decoded.ok()) {
      g_events.stopped(decoded.error().message, errc_name(decoded.error().code));
      halt();
    }
    settings = decoded.value();
  }
  if (settings.profile == Profile::sensor) {
    g_events.stopped("the MPS2 board has no thermometer: image it as a light or a switch",
                     "unsupported");
    halt();
  }

  // What the Device learned before: its NV sector (under QEMU, the host's file).
  switch (g_nv.attach_host_file()) {
    case NvFlash::Host::mirrored:
    case NvFlash::Host::none:
      break;
    case NvFlash::Host::refused:
      g_events.stopped("the host's nv.bin cannot be opened, read or created", "io");
      halt();
    case NvFlash::Host::wrong_size:
      g_events.stopped("the host's nv.bin is not a 4 KiB NV sector: not this firmware's", "io");
      halt();
  }
  const bool mirrored = g_nv.mirrored();
  SeedRecord seeds(g_nv, SeedRecord::kNvOffset);
  const Status random =
      board_random().start(image->entropy_seed, seeds,
                           ByteView(reinterpret_cast<const std::uint8_t*>(image->urn.c_str()),
                                    image->urn.view().size()));
  if (!random.ok()) {
    g_events.stopped(random.error().message, errc_name(random.error().code));
    halt();
  }

  if (!network().start(settings)) {
    g_events.stopped("no Ethernet controller answers", "io");
    halt();
  }
  if (!g_transport.start({image->private_key, image->certificate}, settings.profile, g_events)) {
    g_events.stopped("libcoap could not start", "internal");
    halt();
  }

  const Identity identity{
      image->urn.c_str(), image->mothership, image->mothership_fingerprint,
      led::pattern_of(EnrollmentUrl(image->ms_id, image->dev_id, image->otp), image->led_frame),
      psk_device ? image->factory_psk.data() : nullptr};
  const Timing timing = settings.timing();
  Device& device = *new (g_device_storage)
                       Device(identity, settings.profile, timing,
                              Hal{g_transport, g_nv, g_led, board_random(), nullptr}, g_events);
  g_transport.attach(device);

  g_events.line("settings")
      .field("profile", profile_name(settings.profile))
      .field("network", settings.dhcp ? "dhcp" : "static")
      .field("retry_min_ms", static_cast<std::uint64_t>(timing.retry_min))
      .field("retry_max_ms", static_cast<std::uint64_t>(timing.retry_max))
      .field("lifetime", static_cast<std::uint64_t>(timing.lifetime))
      .field("nv", mirrored ? "host file nv.bin" : "flash")
      .write_to(console());

  // The core boots once the Device has an address: before that, nothing can reach anyone.
  if (!network().has_address())
    g_events.line("network")
        .field("state", "asking_for_address")
        .field("via", "dhcp")
        .write_to(console());
  while (!network().has_address()) {
    network().poll();
    clock().idle();
  }
  board_random().mix(clock().micros());
  char address[16];
  network().address_text(address, sizeof address);
  g_events.line("network")
      .field("state", "up")
      .field("address", address)
      .field("via", network().dhcp() ? "dhcp" : "static")
      .write_to(console());

  Button button;
  device.boot(clock().now());
  for (;;) {
    const Millis now = clock().now();
    while (const char* command = console().read_line()) {
      if (std::strcmp(command, "press") == 0) button.press(now, 100);
      if (std::strcmp(command, "long-press") == 0) button.press(now, kLongPressHold);
      if (std::strcmp(command, "memory") == 0) g_events.memory();
    }
    button.poll(device, now);
    device.poll(now);
    const Millis next = device.next_wakeup(now);
    const Millis wait = next > now ? next - now : 0;
    g_transport.process(static_cast<unsigned>(wait < kMaxWait ? (wait ? wait : 1) : kMaxWait));
  }
}

}  // namespace
}  // namespace tte::device::mps2

int main() {
  return tte::device::mps2::run();
}
