// The whole story with every program running: the MotherShip, Controllers,
// the Introducer and simulated Devices (tte-device). The reboot with the
// MotherShip stopped and the factory reset are in device_test.cpp; the demo
// itself runs as demo_runs_to_the_end.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/device.hpp"

namespace tte::test {
namespace {

using Json = nlohmann::json;

class SystemTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(SystemTest, AStolenOtpIsReportedLoudlyAndTheRightfulControllerNeverAdmitsTheDevice) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1);
  const Json bundle = read_bundle(batch, 1);
  const std::string urn = bundle["urn"];
  TempDir thief_dir;
  ControllerProcess mine(dir_, "strict"), theirs(thief_dir, "strict");
  mine.start();
  theirs.start();

  // Someone photographed the label in the warehouse and claims the device first.
  RunResult stolen = enroll(thief_dir, ms, theirs, batch, 1);
  ASSERT_EQ(stolen.exit_code, 0) << stolen.err;
  // The installer, later: the loud warning, its own exit status, nothing sent to the Controller.
  RunResult installer = enroll(dir_, ms, mine, batch, 1);
  EXPECT_EQ(installer.exit_code, 3);
  EXPECT_EQ(Json::parse(installer.out)["outcome"], "already_used");
  EXPECT_TRUE(mine.device(urn).is_null());

  // The device follows the MotherShip's mapping: to the thief's Controller.
  DeviceProcess device(dir_, device_args(ms, bundle_path(batch, 1), dir_.file("light.nv")));
  EXPECT_EQ(device.wait_for("stored")["controller"], theirs.coaps());
  device.wait_for("state", "registered");
  EXPECT_EQ(theirs.device(urn)["state"], "registered");

  // The installer's Controller, strict, refuses the device's key outright.
  // The device's own key, from its bundle, knocking with libcoap's client.
  std::ofstream(dir_.file("device.crt")) << bundle["device"]["certificate_pem"].get<std::string>();
  std::ofstream(dir_.file("device.key")) << bundle["device"]["private_key_pem"].get<std::string>();
  RunResult refused =
      run({"coap-client-openssl", "-v", "3", "-B", "5", "-m", "get", "-c", dir_.file("device.crt"),
           "-j", dir_.file("device.key"), "coaps://" + mine.coaps() + "/.well-known/core"},
          "", std::chrono::seconds(30));
  EXPECT_FALSE(contains(refused.out, "core.rd")) << refused.out;
  EXPECT_TRUE(contains(read_text(mine.log()), "not announced (policy strict)"));
  EXPECT_TRUE(mine.device(urn).is_null());
}

TEST_F(SystemTest, ARevokedDeviceIsRefusedByTheMotherShipAndReportsIt) {
  MotherShipProcess ms(dir_);
  ms.start();
  const std::string batch = mint(ms, dir_, 1);
  const std::string devid = read_bundle(batch, 1)["devid"];
  RunResult revoked = ms.cli({"device", "revoke", devid});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  DeviceProcess device(dir_, device_args(ms, bundle_path(batch, 1), dir_.file("light.nv")));
  Json stopped = device.wait_for("state", "revoked");
  EXPECT_TRUE(contains(stopped["detail"], "4.03")) << stopped;
  device.process().signal(SIGTERM);
  EXPECT_EQ(device.process().wait(), 0);
  for (const Json& line : device.seen)
    EXPECT_NE(line.value("event", ""), "stored");
}

TEST_F(SystemTest, TwoHundredDevicesInOneProcessAllJoin) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});  // unmapped devices ask again after 1 s
  ms.start();
  const int count = 200;
  const std::string batch = mint(ms, dir_, count);
  ControllerProcess controller(dir_);
  controller.start();
  // They all power up first and wait; then the installer enrolls them one by one.
  auto args = device_args(ms, batch + "/bundles", dir_.file("nv"), "sensor");
  args.insert(args.end(), {"--count", std::to_string(count)});
  DeviceProcess devices(dir_, args);
  for (int n = 1; n <= count; ++n)
    ASSERT_EQ(enroll(dir_, ms, controller, batch, n).exit_code, 0) << n;
  std::set<std::string> registered;
  while (registered.size() < static_cast<std::size_t>(count))
    registered.insert(devices.wait_for("state", "registered", std::chrono::seconds(120))["devid"]);
  Json listed = Json::parse(controller.cli({"device", "list", "--json"}).out);
  int at_controller = 0;
  for (const Json& d : listed["devices"])
    at_controller += d["state"] == "registered";
  EXPECT_EQ(at_controller, count);
  RunResult temp = controller.cli({"device", "get", read_bundle(batch, 150)["urn"], "/temp"});
  ASSERT_EQ(temp.exit_code, 0) << temp.err;
}

// Bulk enrollment (docs/protocol.md section 13.2): the Devices of a box, powered
// up and waiting, join once the installer enrolls the box from its one label.
TEST_F(SystemTest, ABoxOfDevicesJoinsOnceItsOneLabelIsEnrolled) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});
  ms.start();
  const int count = 30;
  const std::string batch = dir_.file("box");
  RunResult minted = ms.cli({"manufacture", "--count", std::to_string(count), "--box",
                             std::to_string(count), "--out", batch, "--urn", "ops:32473-Box",
                             "--mothership-coaps", "127.0.0.1:" + std::to_string(ms.coaps_port())});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  const Json first = read_bundle(batch, 1);
  const std::string box_label = batch + "/boxes/" + first["devid"].get<std::string>() + ".png";
  ASSERT_TRUE(std::ifstream(box_label).good()) << box_label;
  ControllerProcess controller(dir_);
  controller.start();
  auto args = device_args(ms, batch + "/bundles", dir_.file("nv"), "sensor");
  args.insert(args.end(), {"--count", std::to_string(count)});
  DeviceProcess devices(dir_, args);
  devices.wait_for("state", "waiting_for_mapping");

  RunResult enrolled =
      run({TTE_INTRODUCER_BIN, "enroll", box_label, "--controller", controller.coaps(),
           "--controller-fingerprint", controller.fingerprint(), "--notify",
           controller.http_origin(), "--token", controller.intake_token(), "--cafile", ms.ca_file(),
           "--connect-to", ms.connect_to(), "--data-dir", dir_.file("introducer"), "--json"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err << enrolled.out;
  EXPECT_EQ(Json::parse(enrolled.out)["notices"]["delivered"], count);

  std::set<std::string> registered;
  while (registered.size() < static_cast<std::size_t>(count))
    registered.insert(devices.wait_for("state", "registered", std::chrono::seconds(120))["devid"]);
  Json listed = Json::parse(controller.cli({"device", "list", "--json"}).out);
  int at_controller = 0;
  for (const Json& d : listed["devices"])
    at_controller += d["state"] == "registered";
  EXPECT_EQ(at_controller, count);
  // Each of them is registered at the MotherShip too.
  for (int n = 1; n <= count; ++n) {
    RunResult shown = ms.cli({"device", "show", read_bundle(batch, n)["devid"], "--json"});
    EXPECT_EQ(Json::parse(shown.out)["state"], "registered") << n;
  }
}

// The PSK variant (docs/protocol.md section 13.3) with the project's programs: a
// Device with no key pair, minted with --psk, asks its MotherShip over its factory
// PSK and joins its Controller over the link PSK the Introducer chose (--psk).
// Neither PSK is in clear in any database or log; the Introducer shows the link
// PSK once.
TEST_F(SystemTest, APskDeviceEnrollsEndToEndOverTheLinkPskTheIntroducerChose) {
  MotherShipProcess ms(dir_, {"--max-age", "1"});
  ms.start();
  const std::string batch = dir_.file("psk");
  RunResult minted =
      ms.cli({"manufacture", "--psk", "--count", "1", "--out", batch, "--urn", "ops:32473-Psk",
              "--mothership-coaps", "127.0.0.1:" + std::to_string(ms.coaps_port())});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  const Json bundle = read_bundle(batch, 1);
  const std::string urn = bundle["urn"];
  const std::string factory_psk = bundle["device"]["psk"];
  ASSERT_EQ(factory_psk.size(), 32u);
  ControllerProcess controller(dir_);
  controller.start();
  DeviceProcess device(dir_, device_args(ms, bundle_path(batch, 1), dir_.file("psk.nv")));
  device.wait_for("state", "waiting_for_mapping");

  // Without --psk the MotherShip refuses to map a PSK Device, and says how to do it.
  RunResult without = enroll(dir_, ms, controller, batch, 1);
  EXPECT_NE(without.exit_code, 0);
  EXPECT_TRUE(contains(without.err, "--psk")) << without.err;
  EXPECT_TRUE(controller.device(urn).is_null());

  RunResult enrolled = enroll(dir_, ms, controller, batch, 1, "", "", {"--psk"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err << enrolled.out;
  const Json answer = Json::parse(enrolled.out);
  EXPECT_EQ(answer["notice"], "delivered") << answer;
  const std::string link_psk = answer["psk"];
  ASSERT_EQ(link_psk.size(), 32u);
  EXPECT_NE(link_psk, factory_psk);

  EXPECT_EQ(device.wait_for("stored")["controller"], controller.coaps());
  device.wait_for("state", "registered", std::chrono::seconds(60));
  Json at_controller = controller.device(urn);
  EXPECT_EQ(at_controller["state"], "registered") << at_controller;
  EXPECT_TRUE(at_controller["fingerprint"].is_null()) << at_controller;
  EXPECT_EQ(at_controller["psk"], true);
  RunResult shown = ms.cli({"device", "show", bundle["devid"], "--json"});
  EXPECT_EQ(Json::parse(shown.out)["state"], "registered") << shown.out;
  // The Controller reaches the Device over its PSK session.
  RunResult light = controller.cli({"device", "put", urn, "/light", "on"});
  EXPECT_EQ(light.exit_code, 0) << light.err;

  device.process().signal(SIGTERM);
  EXPECT_EQ(device.process().wait(), 0);
  ASSERT_EQ(controller.stop(), 0);
  ASSERT_EQ(ms.stop(), 0);
  std::vector<std::string> files;
  for (const std::string& root : {ms.data_dir(), controller.data_dir(), dir_.file("introducer")}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
      if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  files.push_back(ms.log());
  files.push_back(controller.log());
  auto raw = [](const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return bytes;
  };
  for (const std::string& file : files) {
    if (contains(file, "/psk.key")) continue;  // the sealing key itself
    const std::string bytes = read_text(file);
    for (const std::string& psk : {factory_psk, link_psk}) {
      EXPECT_FALSE(contains(bytes, psk)) << file;
      EXPECT_FALSE(contains(bytes, raw(psk))) << file;
    }
  }
}

// Issue 15: "unknown option --bogus (see --help) (see --help)". Every program
// names a wrong option once, with one pointer to --help, and exits 2.
TEST(EveryProgram, AnUnknownOptionIsNamedOnceWithOneHintToTheHelp) {
  const std::vector<std::vector<std::string>> commands{{TTE_INTRODUCER_BIN, "enroll"},
                                                       {TTE_INTRODUCER_BIN, "status"},
                                                       {TTE_INTRODUCER_BIN, "decode"},
                                                       {TTE_INTRODUCER_BIN, "notify"},
                                                       {TTE_INTRODUCER_BIN, "site"},
                                                       {TTE_MOTHERSHIP_BIN, "init"},
                                                       {TTE_MOTHERSHIP_BIN, "serve"},
                                                       {TTE_MOTHERSHIP_BIN, "import"},
                                                       {TTE_MOTHERSHIP_BIN, "manufacture"},
                                                       {TTE_MOTHERSHIP_BIN, "device"},
                                                       {TTE_MOTHERSHIP_BIN, "audit"},
                                                       {TTE_CONTROLLER_BIN, "init"},
                                                       {TTE_CONTROLLER_BIN, "info"},
                                                       {TTE_CONTROLLER_BIN, "serve"},
                                                       {TTE_CONTROLLER_BIN, "device"},
                                                       {TTE_CONTROLLER_BIN, "binding"},
                                                       {TTE_DEVICE_BIN}};
  for (auto argv : commands) {
    argv.push_back("--bogus");
    const std::string name =
        argv[0].substr(argv[0].rfind('/') + 1) + (argv.size() > 2 ? " " + argv[1] : std::string());
    RunResult result = run(argv);
    EXPECT_EQ(result.exit_code, 2) << name << ": " << result.err;
    EXPECT_TRUE(contains(result.err, "unknown option --bogus")) << name << ": " << result.err;
    std::size_t hints = 0;
    for (std::size_t at = result.err.find("--help"); at != std::string::npos;
         at = result.err.find("--help", at + 1))
      ++hints;
    EXPECT_EQ(hints, 1u) << name << ": " << result.err;
  }
}

}  // namespace
}  // namespace tte::test
