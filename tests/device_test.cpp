// tte-device (the firmware's core on the POSIX HAL) against the real
// MotherShip, Controller and Introducer: waits while unmapped, enrolls within
// one retry once mapped, joins, serves; goes straight to its Controller after a
// reboot; refuses a Controller or MotherShip with the wrong key and keeps its
// record; factory reset; many Devices in one process.
#include "support/device.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/controller.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"

namespace tte::test {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

class DeviceTest : public ::testing::Test {
 protected:
  RunResult enroll(const MotherShipProcess& ms, const ControllerProcess& controller,
                   const std::string& batch, int n, const std::string& fingerprint = "") {
    return test::enroll(dir_, ms, controller, batch, n, fingerprint);
  }
  TempDir dir_;
};

TEST_F(DeviceTest, WaitsWhileUnmappedEnrollsWithinOneRetryJoinsAndServes) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});
  ms.start();
  const std::string batch = mint(ms, dir_, 1);
  ControllerProcess controller(dir_);
  controller.start();
  DeviceProcess device(dir_, device_args(ms, bundle_path(batch, 1), dir_.file("light.nv")));
  // Unmapped: the MotherShip says 5.03 and the Device waits and asks again.
  Json waiting = device.wait_for("state", "waiting_for_mapping");
  EXPECT_EQ(waiting["detail"], "not mapped yet (5.03)");
  device.wait_for("state", "waiting_for_mapping");  // asked again, still unmapped

  RunResult enrolled = enroll(ms, controller, batch, 1);
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  const auto mapped_at = Clock::now();
  Json stored = device.wait_for("stored");
  // Within one retry (at most max(Max-Age 1 s, back-off 2 s + 25 %)) plus the round trip.
  EXPECT_LT(Clock::now() - mapped_at, std::chrono::milliseconds(4000));
  EXPECT_EQ(stored["controller"], controller.coaps());
  EXPECT_EQ(stored["fingerprint"], controller.fingerprint());
  Json registered = device.wait_for("state", "registered");
  const std::string urn = registered["urn"];

  // The Controller reaches it over its session (strict: the Introducer announced it).
  RunResult got = controller.cli({"device", "get", urn, "/light"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "off\n");
  ASSERT_EQ(controller.cli({"device", "put", urn, "/light", "on"}).exit_code, 0);
  EXPECT_TRUE(device.wait_for("light")["on"].get<bool>());
  EXPECT_EQ(controller.device(urn)["state"], "registered");
  // Its /.well-known/core lists exactly what it serves and registered (issue 15).
  RunResult core = controller.cli({"device", "get", urn, "/.well-known/core"});
  ASSERT_EQ(core.exit_code, 0) << core.err;
  EXPECT_NE(core.out.find("</light>"), std::string::npos) << core.out;
  EXPECT_NE(core.out.find("rt=tte.light"), std::string::npos) << core.out;
  EXPECT_EQ(core.out.find("/switch"), std::string::npos) << core.out;
  EXPECT_EQ(core.out.find("/temp"), std::string::npos) << core.out;
  EXPECT_EQ(controller.cli({"device", "get", urn, "/switch"}).exit_code,
            controller.cli({"device", "get", urn, "/nothing"}).exit_code);  // 4.04 alike
}

TEST_F(DeviceTest, AfterARebootItGoesStraightToItsControllerEvenWithTheMotherShipDown) {
  auto ms = std::make_unique<MotherShipProcess>(dir_);
  ms->start();
  const std::string batch = mint(*ms, dir_, 1);
  ControllerProcess controller(dir_);
  controller.start();
  ASSERT_EQ(enroll(*ms, controller, batch, 1).exit_code, 0);
  const auto args = device_args(*ms, bundle_path(batch, 1), dir_.file("light.nv"));
  {
    DeviceProcess device(dir_, args, "first-boot");
    device.wait_for("state", "registered");
    device.process().signal(SIGTERM);
    EXPECT_EQ(device.process().wait(), 0);
  }
  ms->stop();
  ms.reset();
  DeviceProcess rebooted(dir_, args, "second-boot");
  Json first = rebooted.wait_for("state");
  EXPECT_EQ(first["state"], "connecting");
  EXPECT_EQ(first["detail"], "stored Controller");
  rebooted.wait_for("state", "registered");
  for (const Json& line : rebooted.seen)
    EXPECT_NE(line.value("state", ""), "asking_mothership");
}

TEST_F(DeviceTest, AControllerWithTheWrongKeyIsRefusedAndTheRecordKept) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1);
  ControllerProcess controller(dir_, "open");
  controller.start();
  // The MotherShip tells the Device a fingerprint that is not this Controller's key.
  const std::string other(64, 'e');
  ASSERT_EQ(enroll(ms, controller, batch, 1, other).exit_code, 0);
  const auto args = device_args(ms, bundle_path(batch, 1), dir_.file("light.nv"));
  {
    DeviceProcess device(dir_, args, "first");
    EXPECT_EQ(device.wait_for("stored")["fingerprint"], other);
    Json refused = device.wait_for("state", "controller_unreachable");
    EXPECT_NE(refused["detail"].get<std::string>().find("wrong key"), std::string::npos);
    device.process().signal(SIGTERM);
    device.process().wait();
  }
  // The handshake completes (libcoap checks the key only after it), then the Device leaves:
  // it never registers.
  EXPECT_NE(controller.device(read_bundle(batch, 1)["urn"])["state"], "registered");
  DeviceProcess again(dir_, args, "again");
  EXPECT_EQ(again.wait_for("state")["state"], "connecting");  // the stored record, unchanged
  again.wait_for("state", "controller_unreachable");
}

TEST_F(DeviceTest, AMotherShipWithTheWrongKeyIsNotBelieved) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1);
  MotherShipProcess impostor(dir_, {}, 11);
  impostor.start();
  auto args = device_args(ms, bundle_path(batch, 1), dir_.file("light.nv"));
  args.back() = "60";
  args[7] = "127.0.0.1:" + std::to_string(impostor.coaps_port());  // --mothership
  DeviceProcess device(dir_, args);
  Json refused = device.wait_for("state", "waiting_for_mapping");
  EXPECT_EQ(refused["detail"], "the MotherShip showed the wrong key");
}

// Issue 14, 7: a peer that reads and never answers; the exchange ends at
// --exchange-timeout with "no answer", and the Device backs off and asks again.
TEST_F(DeviceTest, ASilentMotherShipIsGivenUpAtTheExchangeTimeout) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1);
  // A UDP socket that is bound and never answers.
  int silent = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length);
  auto args = device_args(ms, bundle_path(batch, 1), dir_.file("light.nv"));
  args[7] = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));  // --mothership
  args.insert(args.end(), {"--exchange-timeout", "2"});
  DeviceProcess device(dir_, args);
  auto started = Clock::now();
  Json gave_up = device.wait_for("state", "waiting_for_mapping", std::chrono::seconds(15));
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_EQ(gave_up["detail"], "no answer from the MotherShip");
  EXPECT_GE(seconds, 1.5);
  EXPECT_LT(seconds, 6.0);
  device.wait_for("state", "asking_mothership", std::chrono::seconds(10));
  ::close(silent);
}

TEST_F(DeviceTest, ALongPressErasesTheControllerAndTheDeviceAsksAgain) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1, "switches");
  ControllerProcess controller(dir_);
  controller.start();
  ASSERT_EQ(enroll(ms, controller, batch, 1).exit_code, 0);
  DeviceProcess device(dir_,
                       device_args(ms, bundle_path(batch, 1), dir_.file("switch.nv"), "switch"));
  device.wait_for("state", "registered");
  device.send("press");
  EXPECT_TRUE(device.wait_for("switch")["on"].get<bool>());
  device.send("long-press");
  device.wait_for("factory_reset", "", std::chrono::seconds(10));
  device.wait_for("state", "asking_mothership");
  // The MotherShip still maps it (the OTP is spent): it gets the same Controller again.
  device.wait_for("stored");
  device.wait_for("state", "registered");
}

TEST_F(DeviceTest, ManyDevicesRunInOneProcess) {
  MotherShipProcess ms(dir_);
  ms.start();
  const int count = 20;
  const std::string batch = mint(ms, dir_, count);
  ControllerProcess controller(dir_);
  controller.start();
  for (int n = 1; n <= count; ++n)
    ASSERT_EQ(enroll(ms, controller, batch, n).exit_code, 0) << n;
  auto args = device_args(ms, batch + "/bundles", dir_.file("nv"), "sensor");
  args.insert(args.end(), {"--count", std::to_string(count)});
  DeviceProcess devices(dir_, args);
  std::set<std::string> registered;
  while (registered.size() < static_cast<std::size_t>(count))
    registered.insert(devices.wait_for("state", "registered", std::chrono::seconds(60))["devid"]);
  Json listed = Json::parse(controller.cli({"device", "list", "--json"}).out);
  int at_controller = 0;
  for (const Json& d : listed["devices"])
    at_controller += d["state"] == "registered";
  EXPECT_EQ(at_controller, count);
  RunResult temp = controller.cli({"device", "get", read_bundle(batch, 7)["urn"], "/temp"});
  ASSERT_EQ(temp.exit_code, 0) << temp.err;
  EXPECT_NE(temp.out.find('.'), std::string::npos) << temp.out;  // "21.5"
}

// --status FILE: each Device's state and a heartbeat, for container health checks.
TEST_F(DeviceTest, TheStatusFileFollowsEveryDeviceAndBeats) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});
  ms.start();
  const std::string batch = mint(ms, dir_, 2);
  ControllerProcess controller(dir_);
  controller.start();
  auto args = device_args(ms, batch + "/bundles", dir_.file("nv"), "sensor");
  const std::string status_file = dir_.file("status.json");
  args.insert(args.end(), {"--status", status_file});
  DeviceProcess devices(dir_, args);
  devices.wait_for("state", "waiting_for_mapping");
  auto status = [&] { return Json::parse(read_text(status_file)); };
  auto state_of = [&](const Json& s, const std::string& urn) {
    for (const Json& d : s["devices"])
      if (d["urn"] == urn) return d["state"].get<std::string>();
    return std::string("(absent)");
  };
  // The file follows the states (written on each change, so it may lag an event by a poll).
  const std::string urn1 = read_bundle(batch, 1)["urn"], urn2 = read_bundle(batch, 2)["urn"];
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (state_of(status(), urn1) != "waiting_for_mapping" && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Json first = status();
  ASSERT_EQ(first["devices"].size(), 2u) << first;
  EXPECT_EQ(state_of(first, urn1), "waiting_for_mapping");
  EXPECT_NEAR(first["updated_at"].get<double>(), static_cast<double>(std::time(nullptr)), 2);
  struct stat st {};
  ASSERT_EQ(::stat(status_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);

  ASSERT_EQ(enroll(ms, controller, batch, 1).exit_code, 0);
  devices.wait_for("state", "registered");
  const auto registered_by = Clock::now() + std::chrono::seconds(10);
  while (state_of(status(), urn1) != "registered" && Clock::now() < registered_by)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(state_of(status(), urn1), "registered");
  EXPECT_EQ(state_of(status(), urn2), "waiting_for_mapping");
  // Nothing changes for device 2 now; the heartbeat still rewrites the file within 5 s.
  const std::int64_t before = status()["updated_at"];
  const auto beat_by = Clock::now() + std::chrono::seconds(8);
  while (status()["updated_at"].get<std::int64_t>() == before && Clock::now() < beat_by)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_GT(status()["updated_at"].get<std::int64_t>(), before);
}

TEST(DeviceHelp, HelpAndBadInput) {
  RunResult help = run({TTE_DEVICE_BIN, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: tte-device"), std::string::npos);
  EXPECT_EQ(run({TTE_DEVICE_BIN, "--bundle", "/nonexistent.json", "--nv", "/tmp/x.nv"}).exit_code,
            1);
  EXPECT_EQ(
      run({TTE_DEVICE_BIN, "--bundle", "/x.json", "--nv", "/tmp/x.nv", "--profile", "toaster"})
          .exit_code,
      2);
}

// A number that is not one, or out of its range, is a usage error naming the
// option (--count was read with strtol: "two" was 0, "5x" was 5).
TEST(DeviceHelp, NumbersMustBeNumbersInTheirRange) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("bundles"));
  write_text(dir.file("bundles/00000001.json"), "{}");
  const std::vector<std::string> base{TTE_DEVICE_BIN, "--bundle", dir.file("bundles"), "--nv",
                                      dir.file("nv")};
  auto refused = [&](const std::string& option, const std::string& value,
                     const std::string& message) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), {"--" + option, value});
    RunResult result = run(argv);
    EXPECT_EQ(result.exit_code, 2) << option << " " << value << ": " << result.err;
    EXPECT_TRUE(contains(result.err, message)) << option << " " << value << ": " << result.err;
  };
  for (const char* count : {"two", "5x", "0", "99999999999999999999"})
    refused("count", count, "--count must be a whole number from 1 to 4294967295");
  refused("count", "2", "holds only 1 bundles");
  for (const char* seconds : {"soon", "nan", "inf", "0", "-1", "1e3", "0x10", "20000000"}) {
    refused("retry-min", seconds, "--retry-min must be a number of seconds");
    refused("exchange-timeout", seconds, "--exchange-timeout must be a number of seconds");
  }
  refused("lifetime", "59", "--lifetime: at least 60 seconds");
  EXPECT_FALSE(std::filesystem::exists(dir.file("nv")));
}

}  // namespace
}  // namespace tte::test
