// The networked firmware (device-fw/hal/cortex_m) on QEMU's MPS2-AN385 against
// the real MotherShip, Controller and Introducer on the host: the whole story
// from an unmapped Device to the Controller switching the board's LED, a
// reboot from the stored record, refusals of wrong keys before any request,
// the image's layout and a corrupt provisioning image, a flood of garbage from
// the network. Run by the firmware build's ctest (./tte firmware), which sets
// TTE_FIRMWARE_ELF to the generic firmware it built.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/controller.hpp"
#include "support/device.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"
#include "support/udp_relay.hpp"

namespace tte::test {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr std::uint32_t kLedRegister = 0x40028000;        // FPGAIO LED0
constexpr std::size_t kProvisioningAddress = 0x0002E000;  // docs/device.md, "Memory map"

// The PSK-only image (docs/device.md), when the firmware build made one.
std::string psk_only_firmware_elf() {
  const char* elf = std::getenv("TTE_FIRMWARE_PSK_ELF");
  return elf ? elf : "";
}

std::string firmware_elf() {
  const char* elf = std::getenv("TTE_FIRMWARE_ELF");
  if (!elf || !*elf)
    throw std::runtime_error("TTE_FIRMWARE_ELF is not set: ./tte firmware runs these tests");
  return elf;
}

std::string read_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One word of the board's physical memory, read by QEMU itself (QMP's xp), not by the firmware.
std::uint32_t read_board_word(const std::string& socket_path, std::uint32_t address) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un where{};
  where.sun_family = AF_UNIX;
  std::snprintf(where.sun_path, sizeof where.sun_path, "%s", socket_path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&where), sizeof where) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot reach QMP at " + socket_path);
  }
  std::string pending;
  auto read_reply = [&]() {
    while (pending.find('\n') == std::string::npos) {
      char chunk[512];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) throw std::runtime_error("QMP closed");
      pending.append(chunk, static_cast<std::size_t>(n));
    }
    const std::string line = pending.substr(0, pending.find('\n'));
    pending.erase(0, line.size() + 1);
    return Json::parse(line);
  };
  auto send = [&](const Json& command) {
    const std::string text = command.dump() + "\n";
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      throw std::runtime_error("QMP write failed");
  };
  read_reply();  // the greeting
  send({{"execute", "qmp_capabilities"}});
  read_reply();
  char command[64];
  std::snprintf(command, sizeof command, "xp /1wx 0x%08x", address);
  send({{"execute", "human-monitor-command"}, {"arguments", {{"command-line", command}}}});
  Json reply;
  do {
    reply = read_reply();
  } while (!reply.contains("return"));  // skip asynchronous events
  ::close(fd);
  const std::string text = reply["return"];  // "0000000040028000: 0x00000001\r\n"
  return static_cast<std::uint32_t>(std::stoul(text.substr(text.find("0x", 10)), nullptr, 16));
}

class Firmware : public ::testing::Test {
 protected:
  // tte-firmware-image for device n of the batch, with test-bed timings.
  std::string image(const std::string& batch, int n, const std::string& name,
                    std::vector<std::string> extra = {}, const std::string& firmware = "") {
    const std::string out = dir_.file(name);
    std::vector<std::string> argv{TTE_FIRMWARE_IMAGE_BIN,
                                  "--firmware",
                                  firmware.empty() ? firmware_elf() : firmware,
                                  "--bundle",
                                  bundle_path(batch, n),
                                  "--out",
                                  out,
                                  "--retry-min",
                                  "1",
                                  "--retry-max",
                                  "2",
                                  "--lifetime",
                                  "60"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    RunResult made = run(argv);
    if (made.exit_code != 0) throw std::runtime_error("tte-firmware-image: " + made.err);
    return out;
  }
  // The image booted under QEMU (the runner ./tte firmware run uses), with a QMP socket.
  std::unique_ptr<DeviceProcess> boot(const std::string& image_dir, const std::string& name) {
    qmp_ = dir_.file(name + ".qmp");
    return std::make_unique<DeviceProcess>(
        dir_, TTE_FIRMWARE_RUNNER,
        std::vector<std::string>{image_dir, "--qmp", qmp_, "--no-reboot"}, name);
  }
  // SIGTERM to the runner: QEMU stops and the runner says so.
  static void stop(DeviceProcess& device) {
    device.process().signal(SIGTERM);
    device.wait_for("stopped", "", std::chrono::seconds(30));
    EXPECT_EQ(device.process().wait(), 0);
  }
  static bool saw(const DeviceProcess& device, const std::string& event,
                  const std::string& state = "") {
    for (const Json& line : device.seen) {
      if (line.value("event", "") == event && (state.empty() || line.value("state", "") == state))
        return true;
    }
    return false;
  }

  // docs/protocol.md 13.3 on the board, with this firmware image.
  void psk_device_enrolls(const std::string& firmware, const std::string& name,
                          const std::string& dtls);

  TempDir dir_;
  std::string qmp_;
};

TEST_F(Firmware, TheWholeStoryFromUnmappedToTheControllerSwitchingTheBoardsLed) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});
  ms.start();
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(ms.coaps_port()));
  ControllerProcess controller(dir_, "strict");
  controller.start();
  auto device = boot(image(batch, 1, "light"), "light");

  Json booted = device->wait_for("network", "up", std::chrono::seconds(30));
  EXPECT_EQ(booted["address"], "10.0.2.15");  // QEMU's DHCP
  // Unmapped: the real MotherShip says 5.03 + Max-Age, the Device waits and asks again.
  Json waiting = device->wait_for("state", "waiting_for_mapping", std::chrono::seconds(60));
  EXPECT_EQ(waiting["detail"], "not mapped yet (5.03)");
  EXPECT_GE(waiting["wait_ms"].get<int>(), 750);  // max(Max-Age 1 s, back-off 1 s - 25 %)
  device->wait_for("state", "waiting_for_mapping", std::chrono::seconds(60));

  // The installer claims it; the Introducer announces it to the strict Controller.
  RunResult enrolled =
      enroll(dir_, ms, controller, batch, 1, "", seen_from_qemu(controller.coaps()));
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  Json stored = device->wait_for("stored", "", std::chrono::seconds(60));
  EXPECT_EQ(stored["controller"], seen_from_qemu(controller.coaps()));
  EXPECT_EQ(stored["fingerprint"], controller.fingerprint());
  Json registered = device->wait_for("state", "registered", std::chrono::seconds(60));
  EXPECT_EQ(registered["detail"], "rd/1");
  const std::string urn = registered["urn"];
  Json memory = device->wait_for("memory");
  EXPECT_LE(memory["static_ram"].get<int>() + memory["heap_peak"].get<int>() +
                memory["stack_limit"].get<int>(),
            64 * 1024);
  EXPECT_EQ(controller.device(urn)["state"], "registered");

  // The Controller switches the light over the Device's own session: the LED register follows.
  EXPECT_EQ(read_board_word(qmp_, kLedRegister) & 1u, 0u);
  RunResult put = controller.cli({"device", "put", urn, "/light", "on"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_TRUE(device->wait_for("light")["on"].get<bool>());
  EXPECT_EQ(read_board_word(qmp_, kLedRegister) & 1u, 1u);
  RunResult got = controller.cli({"device", "get", urn, "/light"});
  EXPECT_EQ(got.out, "on\n");
  ASSERT_EQ(controller.cli({"device", "put", urn, "/light", "off"}).exit_code, 0);
  EXPECT_FALSE(device->wait_for("light")["on"].get<bool>());
  EXPECT_EQ(read_board_word(qmp_, kLedRegister) & 1u, 0u);
  stop(*device);
}

// The PSK variant (docs/protocol.md 13.3) on the board: a Device with a factory
// PSK and no key pair asks its MotherShip over DTLS-PSK and joins its Controller
// over the link PSK the Introducer chose; the Controller then switches its LED.
TEST_F(Firmware, APskDeviceEnrollsOverDtlsPskWithTheMotherShipAndItsController) {
  // The image every Device runs (certificates and PSK), then the PSK-only one.
  psk_device_enrolls(firmware_elf(), "psk-light", "certificates+psk");
  if (!psk_only_firmware_elf().empty())
    psk_device_enrolls(psk_only_firmware_elf(), "psk-only-light", "psk");
}

void Firmware::psk_device_enrolls(const std::string& firmware, const std::string& name,
                                  const std::string& dtls) {
  SCOPED_TRACE(firmware);
  TempDir scratch;
  MotherShipProcess ms(scratch, {"--max-age", "1"});
  ms.start();
  const std::string batch = scratch.file("psk-boards");
  RunResult minted =
      ms.cli({"manufacture", "--psk", "--count", "1", "--out", batch, "--no-labels", "--urn",
              "ops:32473-pskboard", "--mothership-coaps", seen_from_qemu(ms.coaps_port())});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  ControllerProcess controller(scratch, "strict");
  controller.start();
  auto device = boot(image(batch, 1, name, {}, firmware), name);
  EXPECT_EQ(device->wait_for("boot")["dtls"], dtls);
  Json handshake = device->wait_for("handshake", "", std::chrono::seconds(60));
  EXPECT_EQ(handshake["peer"], "mothership");
  EXPECT_TRUE(contains(handshake["suite"].get<std::string>(), "PSK")) << handshake;
  device->wait_for("state", "waiting_for_mapping", std::chrono::seconds(60));

  RunResult enrolled =
      enroll(scratch, ms, controller, batch, 1, "", seen_from_qemu(controller.coaps()), {"--psk"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err << enrolled.out;
  device->wait_for("stored", "", std::chrono::seconds(60));
  Json to_controller = device->wait_for("handshake", "", std::chrono::seconds(60));
  EXPECT_EQ(to_controller["peer"], "controller");
  EXPECT_TRUE(contains(to_controller["suite"].get<std::string>(), "PSK")) << to_controller;
  Json registered = device->wait_for("state", "registered", std::chrono::seconds(60));
  const std::string urn = registered["urn"];
  EXPECT_EQ(controller.device(urn)["state"], "registered");
  EXPECT_TRUE(controller.device(urn)["fingerprint"].is_null());
  // What two PSK handshakes took (docs/device.md compares it with the certificate handshakes').
  Json memory = device->wait_for("memory");  // the board reports it once registered
  std::cout << "  " << name << ": heap peak " << memory["heap_peak"] << " bytes, stack peak "
            << memory["stack_peak"] << " bytes, static RAM " << memory["static_ram"] << "\n";
  EXPECT_LE(memory["static_ram"].get<int>() + memory["heap_peak"].get<int>() +
                memory["stack_limit"].get<int>(),
            64 * 1024);
  ASSERT_EQ(controller.cli({"device", "put", urn, "/light", "on"}).exit_code, 0);
  EXPECT_TRUE(device->wait_for("light")["on"].get<bool>());
  EXPECT_EQ(read_board_word(qmp_, kLedRegister) & 1u, 1u);
  stop(*device);
}

TEST_F(Firmware, ARebootGoesStraightToTheControllerWithTheMotherShipStopped) {
  auto ms = std::make_unique<MotherShipProcess>(dir_);
  ms->start();
  const std::string batch = mint(*ms, dir_, 1, "boards", seen_from_qemu(ms->coaps_port()));
  ControllerProcess controller(dir_, "strict");
  controller.start();
  ASSERT_EQ(
      enroll(dir_, *ms, controller, batch, 1, "", seen_from_qemu(controller.coaps())).exit_code, 0);
  const std::string light = image(batch, 1, "light");
  {
    auto first = boot(light, "first-boot");
    first->wait_for("state", "registered", std::chrono::seconds(60));
    stop(*first);
  }
  EXPECT_EQ(fs::file_size(light + "/nv.bin"), 4096u);
  ms->stop();
  ms.reset();
  // A new QEMU process: all it has of the first run is nv.bin.
  auto second = boot(light, "second-boot");
  Json first_state = second->wait_for("state", "", std::chrono::seconds(30));
  EXPECT_EQ(first_state["state"], "connecting");
  EXPECT_EQ(first_state["detail"], "stored Controller");
  second->wait_for("state", "registered", std::chrono::seconds(60));
  EXPECT_FALSE(saw(*second, "state", "asking_mothership"));
  // The image made again for the same Device keeps its NV memory.
  image(batch, 1, "light");
  stop(*second);
  auto third = boot(light, "third-boot");
  EXPECT_EQ(third->wait_for("state", "", std::chrono::seconds(30))["state"], "connecting");
  stop(*third);
}

TEST_F(Firmware, ALongPressIsAFactoryResetAndTheDeviceComesBack) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});
  ms.start();
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(ms.coaps_port()));
  ControllerProcess controller(dir_, "strict");
  controller.start();
  ASSERT_EQ(
      enroll(dir_, ms, controller, batch, 1, "", seen_from_qemu(controller.coaps())).exit_code, 0);
  auto device = boot(image(batch, 1, "switch", {"--profile", "switch"}), "switch");
  const std::string urn = device->wait_for("state", "registered", std::chrono::seconds(60))["urn"];
  // The Controller observes the switch (over the Device's session, which it then holds).
  Process observer({TTE_CONTROLLER_BIN, "device", "observe", urn, "/switch", "--count", "1",
                    "--data-dir", controller.data_dir()},
                   dir_.file("observe.log"));
  // Presses (the console's stand-in for the board's button) until the observer has seen one:
  // the CLI says nothing when its observation is in place.
  bool observed = false;
  for (int i = 0; i < 20 && !observed; ++i) {
    device->send("press");
    device->wait_for("switch");
    try {
      observed = observer.wait(std::chrono::seconds(1)) == 0;
    } catch (const std::exception&) {
    }
  }
  ASSERT_TRUE(observed);
  device->send("memory");
  const int heap_before = device->wait_for("memory")["heap_in_use"].get<int>();
  device->send("long-press");
  Json reset = device->wait_for("factory_reset", "", std::chrono::seconds(15));
  EXPECT_EQ(reset["detail"], "the stored Controller was erased");
  device->wait_for("state", "asking_mothership");
  // The MotherShip still maps it (the OTP is spent): the same Controller again.
  EXPECT_EQ(device->wait_for("stored", "", std::chrono::seconds(30))["controller"],
            seen_from_qemu(controller.coaps()));
  device->wait_for("state", "registered", std::chrono::seconds(30));
  // The old session went with its observation: the heap holds one session's DTLS state, not two.
  const int heap_after = device->wait_for("memory")["heap_in_use"].get<int>();
  EXPECT_LT(heap_after, heap_before + 2000) << heap_before << " then " << heap_after;
  stop(*device);
}

TEST_F(Firmware, TheConsoleTakesCrLfAndDropsOverlongLines) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(ms.coaps_port()));
  auto device = boot(image(batch, 1, "light"), "light");
  device->wait_for("network", "up", std::chrono::seconds(30));
  device->process().write("memory\r");  // a terminal's Enter
  device->wait_for("memory", "", std::chrono::seconds(5));
  device->process().write("memory\r\n");  // a serial program's
  device->wait_for("memory", "", std::chrono::seconds(5));
  // A line of garbage far longer than any command, then a command: the garbage is dropped
  // whole, the command runs. (QEMU hands the UART about 50 bytes a second, so the flood is
  // short here; on a board the receive interrupt takes them at the line's rate.)
  std::string flood(300, 'x');
  for (std::size_t i = 0; i < flood.size(); i += 7)
    flood[i] = static_cast<char>(0x80 + i % 100);
  device->process().write(flood + "\nmemory\n");
  device->wait_for("memory", "", std::chrono::seconds(30));
  // A command the firmware does not know does nothing; the next one still runs.
  device->process().write("reboot now\nmemory\n");
  device->wait_for("memory", "", std::chrono::seconds(10));
  stop(*device);
}

TEST_F(Firmware, AMotherShipWithTheWrongKeyIsRefusedBeforeAnyRequest) {
  MotherShipProcess ms(dir_);
  ms.start();
  MotherShipProcess impostor(dir_, {}, 11);
  impostor.start();
  // Minted by the real MotherShip (its key pinned), but the Device's address leads to another.
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(impostor.coaps_port()));
  auto device = boot(image(batch, 1, "light"), "light");
  Json refused = device->wait_for("state", "waiting_for_mapping", std::chrono::seconds(60));
  EXPECT_EQ(refused["detail"], "the MotherShip showed the wrong key");
  device->wait_for("state", "waiting_for_mapping", std::chrono::seconds(60));  // and again
  // The handshake itself failed: no session came up, and the impostor never got the query.
  EXPECT_FALSE(saw(*device, "handshake"));
  stop(*device);
  EXPECT_EQ(read_text(impostor.log()).find("listener=coaps"), std::string::npos)
      << read_text(impostor.log());
}

TEST_F(Firmware, AControllerWithTheWrongKeyIsRefusedAndTheStoredRecordKept) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(ms.coaps_port()));
  ControllerProcess controller(dir_, "open");
  controller.start();
  const std::string other(64, 'e');  // the MotherShip gives the Device a key that is not this one's
  ASSERT_EQ(
      enroll(dir_, ms, controller, batch, 1, other, seen_from_qemu(controller.coaps())).exit_code,
      0);
  const std::string light = image(batch, 1, "light");
  const std::string urn = read_bundle(batch, 1)["urn"];
  {
    auto device = boot(light, "first");
    EXPECT_EQ(device->wait_for("stored", "", std::chrono::seconds(60))["fingerprint"], other);
    Json refused = device->wait_for("state", "controller_unreachable", std::chrono::seconds(60));
    EXPECT_NE(refused["detail"].get<std::string>().find("wrong key"), std::string::npos);
    // Only the MotherShip's session ever came up: nothing was sent to the Controller.
    int handshakes = 0;
    for (const Json& line : device->seen)
      handshakes += line.value("event", "") == "handshake";
    EXPECT_EQ(handshakes, 1);
    stop(*device);
  }
  EXPECT_TRUE(controller.device(urn).is_null() || controller.device(urn)["state"] != "registered");
  // The record is kept: the next boot goes to the stored Controller (and is refused again).
  auto again = boot(light, "again");
  Json first = again->wait_for("state", "", std::chrono::seconds(30));
  EXPECT_EQ(first["state"], "connecting");
  again->wait_for("state", "controller_unreachable", std::chrono::seconds(60));
  stop(*again);
}

TEST_F(Firmware, TheImageHoldsTheProvisioningImageAtItsAddressAndACorruptOneIsRefused) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 2, "boards", seen_from_qemu(ms.coaps_port()));
  const std::string light = image(batch, 1, "light");
  const std::string factory = read_binary(batch + "/bundles/00000001.nv");
  const std::string bin = read_binary(light + "/tte-device.bin");
  ASSERT_GT(bin.size(), kProvisioningAddress + factory.size());
  EXPECT_EQ(bin.substr(kProvisioningAddress, factory.size()), factory);
  // The ELF says the same, to binutils.
  RunResult sections = run({"arm-none-eabi-objdump", "-h", light + "/tte-device.elf"});
  ASSERT_EQ(sections.exit_code, 0);
  const auto at = sections.out.find(".tte_provisioning");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(sections.out.substr(at, 80).find("0002e000"), std::string::npos) << sections.out;
  const Json manifest = Json::parse(read_text(light + "/image.json"));
  EXPECT_EQ(manifest["provisioning_image"]["address"], "0x0002e000");
  EXPECT_EQ(manifest["urn"], read_bundle(batch, 1)["urn"]);

  // The tool refuses what the firmware could not use.
  std::string corrupt = factory;
  corrupt[40] = static_cast<char>(corrupt[40] ^ 0x01);
  write_text(dir_.file("corrupt.nv"), corrupt);
  RunResult refused = run({TTE_FIRMWARE_IMAGE_BIN, "--firmware", firmware_elf(), "--image",
                           dir_.file("corrupt.nv"), "--out", dir_.file("corrupt")});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("CRC"), std::string::npos) << refused.err;
  // ... and will not put another Device's image where one Device's NV memory is.
  RunResult other = run({TTE_FIRMWARE_IMAGE_BIN, "--firmware", firmware_elf(), "--bundle",
                         bundle_path(batch, 2), "--out", light});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("another Device"), std::string::npos) << other.err;
  EXPECT_EQ(run({TTE_FIRMWARE_IMAGE_BIN, "--firmware", firmware_elf(), "--bundle",
                 bundle_path(batch, 2), "--out", dir_.file("x"), "--profile", "sensor"})
                .exit_code,
            2);

  // A flash whose provisioning image went bad: the firmware checks the CRC and stops.
  const std::string broken = dir_.file("broken");
  fs::create_directories(broken);
  std::string region = bin.substr(kProvisioningAddress, 2048);
  region[40] = static_cast<char>(region[40] ^ 0x01);
  write_text(dir_.file("region.bin"), region);
  ASSERT_EQ(run({"arm-none-eabi-objcopy", "--update-section",
                 ".tte_provisioning=" + dir_.file("region.bin"), light + "/tte-device.elf",
                 broken + "/tte-device.elf"})
                .exit_code,
            0);
  auto device = boot(broken, "broken");
  Json stopped = device->wait_for("stopped", "", std::chrono::seconds(30));
  EXPECT_EQ(stopped["error"], "checksum");
  EXPECT_FALSE(saw(*device, "network", "up"));
  EXPECT_EQ(device->process().wait(), 3);  // the runner's status for a Device that stopped itself

  // The runner refuses an image whose ELF is not the one the tool made (image.json says which).
  {
    std::fstream elf(light + "/tte-device.elf", std::ios::in | std::ios::out | std::ios::binary);
    elf.seekp(1000);
    elf.put('\x5a');
  }
  RunResult damaged = run({TTE_FIRMWARE_RUNNER, light});
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.err.find("damaged"), std::string::npos) << damaged.err;
}

TEST_F(Firmware, GarbageFromThePeersAddressDoesNotDeafenTheDevice) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});
  ms.start();
  // Every datagram the MotherShip sends reaches the Device behind 20 runts and
  // 20 datagrams of garbage from the same address (a spoofer's or a broken peer's).
  UdpRelay relay(ms.coaps_port(), /*junk_per_datagram=*/40);
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(relay.port()));
  auto device = boot(image(batch, 1, "light"), "light");
  // Four handshakes and answers in a row, each under hundreds of junk datagrams:
  // lwIP's pool of 8 receive buffers would be gone after the first if any leaked.
  for (int i = 0; i < 4; ++i) {
    Json waiting = device->wait_for("state", "waiting_for_mapping", std::chrono::seconds(60));
    EXPECT_EQ(waiting["detail"], "not mapped yet (5.03)") << i;
  }
  EXPECT_GT(relay.junk_sent(), 500u);
  stop(*device);
}

TEST_F(Firmware, ASilentMotherShipIsGivenUpOnWithinTheHandshakeDeadlineAndAskedAgain) {
  MotherShipProcess ms(dir_);
  ms.start();
  // A UDP port that takes everything and answers nothing.
  const int silent = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(ntohs(address.sin_port)));
  auto device = boot(image(batch, 1, "light"), "light");
  device->wait_for("state", "asking_mothership", std::chrono::seconds(30));
  const auto asked = Clock::now();
  Json given_up = device->wait_for("state", "waiting_for_mapping", std::chrono::seconds(60));
  const auto waited = Clock::now() - asked;
  EXPECT_EQ(given_up["detail"], "no answer from the MotherShip");
  // Mbed TLS retransmits the ClientHello (1, 2, 4, 8 s) and gives up; the
  // transport's own deadline (CoapTransport::kHandshakeDeadline, 30 s) bounds it.
  EXPECT_GE(waited, std::chrono::seconds(7));
  EXPECT_LE(waited, std::chrono::seconds(32));
  device->wait_for("state", "asking_mothership", std::chrono::seconds(10));  // and it tries again
  stop(*device);
  ::close(silent);
}

// A process that is gone or a zombie (reaped by whoever inherited it).
bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  return text.empty() || text.substr(text.rfind(')') + 2, 1) == "Z";
}

TEST_F(Firmware, QemuDoesNotOutliveARunnerKilledWithSigkill) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1, "boards", seen_from_qemu(ms.coaps_port()));
  auto device = boot(image(batch, 1, "light"), "light");
  device->wait_for("network", "up", std::chrono::seconds(30));
  const pid_t runner = device->process().pid();
  const std::string children = read_text("/proc/" + std::to_string(runner) + "/task/" +
                                         std::to_string(runner) + "/children");
  ASSERT_FALSE(children.empty());
  const pid_t qemu = static_cast<pid_t>(std::stol(children));
  ::kill(runner, SIGKILL);
  EXPECT_EQ(device->process().wait(), -SIGKILL);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!gone(qemu) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(gone(qemu)) << "QEMU (pid " << qemu << ") still runs";
}

}  // namespace
}  // namespace tte::test
