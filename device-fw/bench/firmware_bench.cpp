// tte-firmware-bench (./tte bench firmware): the networked firmware's figures.
//   1. flash and static RAM by component, from the linker map;
//   2. peak heap and stack at run time, after one enrollment and after several;
//   3. the instructions one DTLS handshake costs the Device (QEMU -icount: one
//      instruction per nanosecond of virtual time; the firmware counts the
//      time it did not sleep), and what that means at 72 and 168 MHz;
//   4. power-on to registered under QEMU, beside the POSIX simulator
//      (tte-device, the same core) on the same host in the same run.
// Against the real MotherShip and Controller on loopback. Figures, not a test.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/controller.hpp"
#include "support/device.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"
#include "tte/platform/command_line.hpp"

namespace tte::test {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Bed {
  explicit Bed(const TempDir& dir) : ms(dir, {"--max-age", "1"}), controller(dir, "strict") {
    ms.start();
    controller.start();
  }
  MotherShipProcess ms;
  ControllerProcess controller;
};

// The firmware under QEMU, through the runner ./tte firmware run uses.
std::unique_ptr<DeviceProcess> boot_qemu(const TempDir& dir, const std::string& image,
                                         const std::string& name, bool icount) {
  std::vector<std::string> args{image, "--no-reboot"};
  if (icount) args.push_back("--icount");
  return std::make_unique<DeviceProcess>(dir, TTE_FIRMWARE_RUNNER, args, name);
}

void stop(DeviceProcess& device) {
  device.process().signal(SIGTERM);
  device.wait_for("stopped", "", std::chrono::seconds(30));
  device.process().wait();
}

int bench(int argc, char** argv) {
  CommandLine cli("tte-firmware-bench --firmware ELF --map MAP [--runs N]",
                  "The networked firmware's figures: size by component, heap and stack at run "
                  "time, instructions per DTLS handshake, and power-on to registered under QEMU "
                  "beside the POSIX simulator. ./tte bench firmware runs it.");
  cli.option("firmware", "ELF", "the generic firmware, tte-device-fw.elf")
      .option("map", "MAP", "its linker map, tte-device-fw.map")
      .option("runs", "N", "power-on-to-registered runs of each", "5");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!cli.parse(args)) return 0;
  const std::string firmware = cli.require("firmware"), map = cli.require("map");
  const int runs = std::stoi(cli.require("runs"));
  if (runs < 1 || runs > 100) throw UsageError("--runs: 1 to 100");
  const std::string host_build = TTE_BUILD_TYPE;
  if (host_build != "Release" && host_build != "RelWithDebInfo" && host_build != "MinSizeRel")
    throw StartupError("the host programs are a " + host_build +
                       " build: benchmark an optimised one");
  std::printf("build: firmware MinSizeRel (arm-none-eabi-gcc -Os, Cortex-M3); host programs %s\n\n",
              host_build.c_str());

  std::printf("1. The image by component (from %s)\n", fs::path(map).filename().c_str());
  std::fflush(stdout);
  RunResult sizes = run({"sh", TTE_FIRMWARE_SIZE_SCRIPT, map});
  std::printf("%s\n", sizes.out.c_str());

  TempDir dir;
  Bed bed(dir);
  // Device 1 for QEMU (addresses as the guest sees the host), device 2 for the simulator
  // (which is told where the MotherShip is, and is mapped to the Controller on 127.0.0.1).
  const std::string batch = mint(bed.ms, dir, 2, "devices", seen_from_qemu(bed.ms.coaps_port()));
  if (enroll(dir, bed.ms, bed.controller, batch, 1, "", seen_from_qemu(bed.controller.coaps()))
              .exit_code != 0 ||
      enroll(dir, bed.ms, bed.controller, batch, 2).exit_code != 0) {
    throw StartupError("the Introducer could not enroll the bench's Devices");
  }
  const std::string image = dir.file("image");
  RunResult made =
      run({TTE_FIRMWARE_IMAGE_BIN, "--firmware", firmware, "--bundle", bundle_path(batch, 1),
           "--out", image, "--retry-min", "1", "--retry-max", "2", "--lifetime", "60"});
  if (made.exit_code != 0) throw StartupError("tte-firmware-image: " + made.err);

  // 2 and 3: one run under -icount, enrolled from an empty NV sector, then reset three times.
  std::printf(
      "2. Heap and stack at run time, and 3. one handshake's cost (QEMU -icount shift=0)\n");
  std::fflush(stdout);
  Json first_memory, last_memory;
  std::vector<double> mothership_instructions, controller_instructions;
  {
    fs::remove(image + "/nv.bin");
    auto device = boot_qemu(dir, image, "icount", true);
    auto pressed_at = Clock::now();
    for (int cycle = 0; cycle < 4; ++cycle) {
      if (cycle > 0) {
        // A long press holds the button 5.5 s: the next starts once this one is released.
        std::this_thread::sleep_until(pressed_at + std::chrono::milliseconds(6000));
        pressed_at = Clock::now();
        device->send("long-press");
      }
      device->wait_for("state", "registered", std::chrono::seconds(120));
      Json memory = device->wait_for("memory", "", std::chrono::seconds(10));
      (cycle == 0 ? first_memory : last_memory) = memory;
    }
    for (const Json& line : device->seen) {
      if (line.value("event", "") != "handshake") continue;
      const double instructions = line["busy_us"].get<double>() * 1000;  // 1 ns per instruction
      (line["peer"] == "mothership" ? mothership_instructions : controller_instructions)
          .push_back(instructions);
    }
    stop(*device);
  }
  auto memory_line = [](const char* when, const Json& m) {
    std::printf(
        "  %-30s heap peak %6d B (in use %6d of %6d), stack peak %5d of %5d B, static %6d B:"
        " %6d B of 65536\n",
        when, m["heap_peak"].get<int>(), m["heap_in_use"].get<int>(), m["heap_limit"].get<int>(),
        m["stack_peak"].get<int>(), m["stack_limit"].get<int>(), m["static_ram"].get<int>(),
        m["static_ram"].get<int>() + m["heap_peak"].get<int>() + m["stack_peak"].get<int>());
  };
  memory_line("after the first enrollment:", first_memory);
  memory_line("after three factory resets:", last_memory);
  const double ms_m = median(mothership_instructions) / 1e6,
               ctl_m = median(controller_instructions) / 1e6;
  std::printf("  handshake with the MotherShip: %.1f M instructions (median of %zu)\n", ms_m,
              mothership_instructions.size());
  std::printf("  handshake with the Controller: %.1f M instructions (median of %zu)\n", ctl_m,
              controller_instructions.size());
  std::printf(
      "  at one instruction per cycle (a lower bound: Cortex-M3 code runs ~1.2-1.5 cycles\n"
      "  per instruction, more with flash wait states): %.2f s at 72 MHz, %.2f s at 168 MHz\n\n",
      ms_m * 1e6 / 72e6, ms_m * 1e6 / 168e6);

  // 4. Power-on to registered, from an empty NV sector (MotherShip, then Controller).
  std::printf(
      "4. Power-on to registered, empty NV: MotherShip asked, Controller joined (%d runs each)\n",
      runs);
  std::fflush(stdout);
  std::vector<double> qemu_seconds, posix_seconds;
  for (int i = 0; i < runs; ++i) {
    fs::remove(image + "/nv.bin");
    auto started = Clock::now();
    {
      auto device = boot_qemu(dir, image, "qemu-" + std::to_string(i), false);
      device->wait_for("state", "registered", std::chrono::seconds(60));
      qemu_seconds.push_back(std::chrono::duration<double>(Clock::now() - started).count());
      stop(*device);
    }
    const std::string nv = dir.file("simulated-" + std::to_string(i) + ".nv");
    started = Clock::now();
    DeviceProcess simulator(dir, device_args(bed.ms, bundle_path(batch, 2), nv),
                            "posix-" + std::to_string(i));
    simulator.wait_for("state", "registered", std::chrono::seconds(60));
    posix_seconds.push_back(std::chrono::duration<double>(Clock::now() - started).count());
    simulator.process().signal(SIGTERM);
    simulator.process().wait();
  }
  const double qemu = median(qemu_seconds), posix = median(posix_seconds);
  std::printf("  firmware under QEMU (mps2-an385, TCG): median %.3f s (min %.3f, max %.3f)\n", qemu,
              *std::min_element(qemu_seconds.begin(), qemu_seconds.end()),
              *std::max_element(qemu_seconds.begin(), qemu_seconds.end()));
  std::printf("  tte-device on this host (baseline):    median %.3f s (min %.3f, max %.3f)\n",
              posix, *std::min_element(posix_seconds.begin(), posix_seconds.end()),
              *std::max_element(posix_seconds.begin(), posix_seconds.end()));
  std::printf("  ratio QEMU / simulator: %.1f\n", qemu / posix);
  return 0;
}

}  // namespace
}  // namespace tte::test

int main(int argc, char** argv) {
  try {
    return tte::test::bench(argc, argv);
  } catch (const tte::UsageError& e) {
    std::fprintf(stderr, "tte-firmware-bench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-firmware-bench: %s\n", e.what());
    return 1;
  }
}
