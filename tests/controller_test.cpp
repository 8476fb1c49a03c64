// tte-controller as its operator and its Devices see it: the real daemon, with
// independent peers (libcoap's coap-client-openssl as a Device that only asks,
// curl for the intake and API, zbarimg for the QR code), tte-test-device for
// Devices that register and serve, a real MotherShip and tte-introducer.
#include "support/controller.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/mothership.hpp"
#include "support/process.hpp"

namespace tte::test {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

std::string test_notice(const std::string& description = "Hall light") {
  // The notice for proto/keys/device-test (what coap-client-openssl presents).
  return Json{{"urn", "urn:dev:ops:32473-Test-1"},
              {"fingerprint", kDeviceFingerprint},
              {"devid", devid_of(1)},
              {"otp", otp_of(1)},
              {"mothership", MotherShipProcess::kHost},
              {"description", description}}
      .dump();
}

// libcoap's client as a Device that only asks: GET /.well-known/core over DTLS
// with the test device's key. Admitted Devices see the Resource Directory.
RunResult coap_get_core(const ControllerProcess& controller) {
  std::string keys = std::string(TTE_PROTO_DIR) + "/keys/device-test";
  return run({"coap-client-openssl", "-v", "3", "-B", "5", "-m", "get", "-c", keys + ".crt", "-j",
              keys + ".key", "coaps://" + controller.coaps() + "/.well-known/core"},
             "", 30s);
}

int status_of(const RunResult& curl_with_code) {
  std::size_t split = curl_with_code.out.rfind('\n');
  return std::stoi(curl_with_code.out.substr(split + 1));
}

class ControllerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& name : {"controller.log", "mothership.log"}) {
        if (std::filesystem::exists(dir_.file(name))) {
          std::cerr << "--- " << name << " ---\n" << read_text(dir_.file(name)) << "\n";
        }
      }
    }
  }
  // tte-introducer maps device 1 (its label's URL) to `controller` at the
  // MotherShip `ms` and tells the Controller (message 6).
  RunResult enroll_device_1(const MotherShipProcess& ms, const ControllerProcess& controller,
                            std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{
        TTE_INTRODUCER_BIN,
        "enroll",
        "https://tte-00000A.net/.well-known/tte?otp=" + otp_of(1) + "&devid=" + devid_of(1),
        "--controller",
        controller.coaps(),
        "--controller-fingerprint",
        controller.fingerprint(),
        "--notify",
        controller.http_origin(),
        "--token",
        controller.intake_token(),
        "--cafile",
        ms.ca_file(),
        "--connect-to",
        ms.connect_to(),
        "--data-dir",
        dir_.file("introducer"),
        "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  }
  TempDir dir_;
};

TEST_F(ControllerTest, StrictRefusesADeviceUntilAnIntroducerAnnouncesIt) {
  ControllerProcess controller(dir_, "strict");
  controller.start();
  RunResult refused = coap_get_core(controller);
  EXPECT_FALSE(contains(refused.out, "core.rd")) << refused.out;
  EXPECT_TRUE(contains(read_text(controller.log()), "reason=\"not announced (policy strict)\""));
  EXPECT_TRUE(controller.device("urn:dev:ops:32473-Test-1").is_null());

  RunResult announced = controller.announce(test_notice());
  ASSERT_EQ(status_of(announced), 201) << announced.out;
  RunResult admitted = coap_get_core(controller);
  EXPECT_TRUE(contains(admitted.out, "</rd>;rt=core.rd;ct=40")) << admitted.out << admitted.err;
  Json device = controller.device("urn:dev:ops:32473-Test-1");
  EXPECT_EQ(device["state"], "joined");
  EXPECT_EQ(device["description"], "Hall light");
  EXPECT_EQ(controller.stop(), 0);
}

// The PSK variant (docs/protocol.md 13.3) with independent peers: curl sends the
// notice (message 6) with the link PSK, libcoap's client is the Device, its PSK
// identity its Dev URN. Under both policies only an announced identity with its
// PSK gets in; the Controller keeps the PSK sealed, never in its database or log.
TEST_F(ControllerTest, APskDeviceJoinsWithTheLinkPskOfItsNotice) {
  for (const std::string policy : {"strict", "open"}) {
    SCOPED_TRACE(policy);
    TempDir dir;
    ControllerProcess controller(dir, policy);
    controller.start({"--half-open-timeout", "1"});
    const std::string urn = "urn:dev:ops:32473-Psk-7";
    const std::string link_text = "tte-link-psk-007";  // coap-client takes -k as text
    std::string link_hex;
    for (unsigned char c : link_text) {
      char two[3];
      std::snprintf(two, sizeof two, "%02x", c);
      link_hex += two;
    }
    auto register_over_psk = [&](const std::string& identity, const std::string& key,
                                 const std::string& ep) {
      return run({"coap-client-openssl", "-v", "6", "-B", "5", "-m", "post", "-u", identity, "-k",
                  key, "-t", "40", "-e", "</light>;rt=tte.light;if=core.a",
                  "coaps://" + controller.coaps() + "/rd?ep=" + ep + "&lt=60"},
                 "", 30s);
    };
    // Nobody announced it: no PSK, no session (under open too: there is no key to check).
    RunResult unknown = register_over_psk(urn, link_text, urn);
    EXPECT_FALSE(contains(unknown.out, "2.01")) << unknown.out;
    EXPECT_TRUE(
        contains(read_text(controller.log()), "no Device announced with this PSK identity"));

    const Json notice{{"urn", urn},
                      {"fingerprint", nullptr},
                      {"devid", devid_of(7)},
                      {"otp", otp_of(7)},
                      {"mothership", MotherShipProcess::kHost},
                      {"psk", link_hex}};
    RunResult announced = controller.announce(notice.dump());
    ASSERT_EQ(status_of(announced), 201) << announced.out;
    // A notice with neither a fingerprint nor a PSK names what is missing.
    Json neither = notice;
    neither.erase("psk");
    neither["urn"] = "urn:dev:ops:32473-Psk-8";
    RunResult refused = controller.announce(neither.dump());
    EXPECT_EQ(status_of(refused), 400) << refused.out;
    EXPECT_TRUE(contains(refused.out, "psk")) << refused.out;
    EXPECT_TRUE(contains(refused.out, "\"field\":\"psk\"")) << refused.out;

    // A black-box test found that a second notice could replace the PSK, or give a
    // certificate Device one: whoever held the intake token could then join as it.
    Json another = notice;
    another["psk"] = std::string(32, 'a');
    RunResult replaced = controller.announce(another.dump());
    EXPECT_EQ(status_of(replaced), 409) << replaced.out;
    ASSERT_EQ(status_of(controller.announce(test_notice())), 201);
    Json back_door = Json::parse(test_notice());
    back_door["psk"] = link_hex;
    RunResult added = controller.announce(back_door.dump());
    EXPECT_EQ(status_of(added), 409) << added.out;
    RunResult as_certificate_device =
        register_over_psk("urn:dev:ops:32473-Test-1", link_text, "urn:dev:ops:32473-Test-1");
    EXPECT_FALSE(contains(as_certificate_device.out, "2.01")) << as_certificate_device.out;
    // A member given twice says two things at once: refused.
    const std::string twice =
        "{\"urn\":\"urn:dev:ops:32473-Psk-6\",\"fingerprint\":null,\"devid\":\"" + devid_of(6) +
        "\",\"otp\":\"" + otp_of(6) + "\",\"mothership\":\"" + MotherShipProcess::kHost +
        "\",\"psk\":\"" + link_hex + "\",\"psk\":\"" + std::string(32, 'b') + "\"}";
    RunResult doubled = controller.announce(twice);
    EXPECT_EQ(status_of(doubled), 400) << doubled.out;
    EXPECT_TRUE(controller.device("urn:dev:ops:32473-Psk-6").is_null());
    Json zeros = notice;
    zeros["urn"] = "urn:dev:ops:32473-Psk-5";
    zeros["psk"] = std::string(32, '0');
    EXPECT_EQ(status_of(controller.announce(zeros.dump())), 400);

    RunResult wrong_key = register_over_psk(urn, "tte-link-psk-00X", urn);
    EXPECT_FALSE(contains(wrong_key.out, "2.01")) << wrong_key.out;
    // DTLS answers a wrong PSK with silence; the log names the identity that never completed.
    EXPECT_TRUE(eventually(
        [&] { return contains(read_text(controller.log()), "did not complete (a wrong PSK?)"); },
        10s))
        << read_text(controller.log());
    RunResult wrong_identity = register_over_psk("urn:dev:ops:32473-Psk-9", link_text, urn);
    EXPECT_FALSE(contains(wrong_identity.out, "2.01")) << wrong_identity.out;
    // The session is the announced Device's: it registers under its own URN only.
    RunResult other_name = register_over_psk(urn, link_text, "urn:dev:ops:32473-Other-1");
    EXPECT_FALSE(contains(other_name.out, "2.01")) << other_name.out;
    RunResult good = register_over_psk(urn, link_text, urn);
    EXPECT_TRUE(contains(good.out, "2.01")) << good.out << good.err;

    Json device = controller.device(urn);
    EXPECT_TRUE(device["fingerprint"].is_null()) << device;
    EXPECT_EQ(device["psk"], true) << device;
    EXPECT_EQ(device["registration"]["links"], "</light>;rt=tte.light;if=core.a") << device;
    EXPECT_TRUE(contains(read_text(controller.log()), "psk_identity=" + urn));

    // A restart keeps the sealed PSK: the Device gets in again.
    ASSERT_EQ(controller.stop(), 0);
    controller.start();
    RunResult again = register_over_psk(urn, link_text, urn);
    EXPECT_TRUE(contains(again.out, "2.01")) << again.out;
    ASSERT_EQ(controller.stop(), 0);
    for (const std::string& file : {controller.log(), controller.data_dir() + "/controller.db",
                                    controller.data_dir() + "/controller.db-wal"}) {
      if (!std::filesystem::exists(file)) continue;
      const std::string bytes = read_text(file);
      EXPECT_FALSE(contains(bytes, link_text)) << file;
      EXPECT_FALSE(contains(bytes, link_hex)) << file;
    }
  }
}

TEST_F(ControllerTest, OpenAdmitsAnyDeviceAtOnce) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  RunResult admitted = coap_get_core(controller);
  EXPECT_TRUE(contains(admitted.out, "core.rd")) << admitted.out << admitted.err;
  RunResult list = controller.cli({"device", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto devices = Json::parse(list.out)["devices"];
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]["fingerprint"], kDeviceFingerprint);
  EXPECT_EQ(devices[0]["state"], "joined");
}

TEST_F(ControllerTest, TheIntakeChecksItsTokenAndInputAndIsIdempotent) {
  ControllerProcess controller(dir_);
  controller.start();
  EXPECT_EQ(status_of(controller.announce(test_notice(), "wrong-token")), 401);
  EXPECT_EQ(status_of(controller.curl({"-w", "\n%{http_code}", "-X", "POST", "-H",
                                       "Content-Type: application/json", "--data", test_notice()},
                                      "/.well-known/tte/devices")),
            401);
  RunResult malformed = controller.announce("{\"urn\": ");
  EXPECT_EQ(status_of(malformed), 400) << malformed.out;
  RunResult missing = controller.announce("{\"urn\":\"urn:dev:ops:32473-Test-1\"}");
  EXPECT_EQ(status_of(missing), 400);
  EXPECT_TRUE(contains(missing.out, "\"field\":\"fingerprint\"")) << missing.out;
  EXPECT_EQ(status_of(controller.announce(test_notice())), 201);
  EXPECT_EQ(status_of(controller.announce(test_notice())), 200);  // the same notice again
  auto other_key = Json::parse(test_notice());
  other_key["fingerprint"] = std::string(64, 'b');
  RunResult conflict = controller.announce(other_key.dump());
  EXPECT_EQ(status_of(conflict), 409) << conflict.out;
  // Announcements survive a restart (committed before the 201).
  EXPECT_EQ(controller.stop(), 0);
  controller.start();
  EXPECT_TRUE(contains(coap_get_core(controller).out, "core.rd"));
}

// The batch intake (docs/protocol.md §10.2): one request, one transaction, a
// result per notice; the good notices of a partly bad batch are stored.
TEST_F(ControllerTest, TheBatchIntakeStoresTheGoodNoticesAndNamesTheBadOnes) {
  ControllerProcess controller(dir_, "strict");
  controller.start();
  auto post = [&](const std::string& file, const std::string& token) {
    return controller.curl(
        {"-w", "\n%{http_code}", "-X", "POST", "-H", "Authorization: Bearer " + token, "-H",
         "Content-Type: application/json", "--data-binary", "@" + file},
        "/.well-known/tte/devices/batch");
  };
  Json bad = Json::parse(test_notice());
  bad["devid"] = "not-hex";
  write_text(
      dir_.file("batch.json"),
      Json{{"notices", {Json::parse(test_notice()), bad, Json::parse(test_notice())}}}.dump());
  EXPECT_EQ(status_of(post(dir_.file("batch.json"), "wrong-token")), 401);
  RunResult answered = post(dir_.file("batch.json"), controller.intake_token());
  ASSERT_EQ(status_of(answered), 200) << answered.out;
  Json body = Json::parse(answered.out.substr(0, answered.out.rfind('\n')));
  ASSERT_EQ(body["results"].size(), 3u);
  EXPECT_EQ(body["results"][0]["status"], 201);
  EXPECT_EQ(body["results"][1]["status"], 400);
  EXPECT_EQ(body["results"][1]["problem"]["field"], "devid");
  EXPECT_EQ(body["results"][2]["status"], 200);  // the same notice again
  // The announced Device may join at once, as after a single notice.
  RunResult admitted = coap_get_core(controller);
  EXPECT_TRUE(contains(admitted.out, "</rd>;rt=core.rd;ct=40")) << admitted.out << admitted.err;
  EXPECT_EQ(controller.device("urn:dev:ops:32473-Test-1")["description"], "Hall light");

  write_text(dir_.file("malformed.json"), "[{\"urn\":");
  EXPECT_EQ(status_of(post(dir_.file("malformed.json"), controller.intake_token())), 400);
  // Over 8 MiB: refused before the body is stored, and the Controller keeps serving.
  write_text(dir_.file("huge.json"),
             "{\"notices\":[\"" + std::string(8 * 1024 * 1024, 'x') + "\"]}");
  EXPECT_EQ(status_of(post(dir_.file("huge.json"), controller.intake_token())), 413);
  EXPECT_EQ(status_of(controller.announce(test_notice())), 200);
  EXPECT_EQ(controller.stop(), 0);
}

TEST_F(ControllerTest, DevicesRegisterUpdateExpireAndDeregister) {
  const std::string batch = manufacture_batch(dir_, 2);
  ControllerProcess controller(dir_);
  controller.start();
  ASSERT_EQ(status_of(controller.announce(notice_for(read_bundle(batch, 1)))), 201);
  const std::string urn = read_bundle(batch, 1)["urn"];

  TestDevice light(dir_, bundle_path(batch, 1), controller, "light", 2);
  light.send("register");
  Json registered = light.wait_for("registered");
  EXPECT_EQ(registered["code"], "2.01");
  Json device = controller.device(urn);
  EXPECT_EQ(device["state"], "registered");
  EXPECT_EQ(device["registration"]["lifetime"], 2);
  EXPECT_EQ(device["registration"]["links"], "</light>;rt=tte.light;if=core.a");

  light.send("update 3");
  EXPECT_EQ(light.wait_for("updated")["code"], "2.04");
  EXPECT_EQ(controller.device(urn)["registration"]["lifetime"], 3);

  // Without updates the lifetime runs out (RFC 9176) and the registration is removed.
  EXPECT_TRUE(
      eventually([&] { return controller.device(urn)["state"] == "lifetime expired"; }, 15s))
      << controller.device(urn).dump();
  light.send("update");
  EXPECT_EQ(light.wait_for("updated")["code"], "4.04");  // gone: the device must register again
  light.send("register");
  light.wait_for("registered");
  EXPECT_EQ(controller.device(urn)["state"], "registered");
  light.send("deregister");
  EXPECT_EQ(light.wait_for("deregistered")["code"], "2.02");
  EXPECT_EQ(controller.device(urn)["state"], "deregistered");
}

TEST_F(ControllerTest, AnEndpointNameMustBeTheAnnouncedUrn) {
  const std::string batch = manufacture_batch(dir_, 1);
  ControllerProcess controller(dir_);
  controller.start();
  ASSERT_EQ(status_of(controller.announce(notice_for(read_bundle(batch, 1)))), 201);
  Process impostor(
      {TTE_TEST_DEVICE_BIN, "--bundle", bundle_path(batch, 1), "--controller", controller.coaps(),
       "--controller-fingerprint", controller.fingerprint(), "--urn", "urn:dev:ops:32473-Other-1"},
      dir_.file("impostor.log"), true);
  ASSERT_TRUE(contains(impostor.read_line(), "ready"));
  impostor.write_line("register");
  std::string line;
  do {
    line = impostor.read_line();
  } while (!contains(line, "register_failed") && !contains(line, "registered"));
  EXPECT_TRUE(contains(line, "\"code\":\"4.03\"")) << line;
  EXPECT_TRUE(contains(line, "announced")) << line;
}

TEST_F(ControllerTest, TheControllerReachesDevicesOverTheirOwnSessions) {
  const std::string batch = manufacture_batch(dir_, 2);
  ControllerProcess controller(dir_);
  controller.start({"--request-timeout", "2"});
  const std::string light_urn = read_bundle(batch, 1)["urn"],
                    switch_urn = read_bundle(batch, 2)["urn"];
  ASSERT_EQ(status_of(controller.announce(notice_for(read_bundle(batch, 1), "Hall light"))), 201);
  ASSERT_EQ(status_of(controller.announce(notice_for(read_bundle(batch, 2), "Hall switch"))), 201);
  TestDevice light(dir_, bundle_path(batch, 1), controller, "light", 60, "light");
  TestDevice button(dir_, bundle_path(batch, 2), controller, "switch", 60, "switch");
  light.send("register");
  button.send("register");
  light.wait_for("registered");
  button.wait_for("registered");

  // The test device opened the only connection; the Controller's requests arrive on it.
  RunResult got = controller.cli({"device", "get", light_urn, "/light"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "off\n");
  RunResult put = controller.cli({"device", "put", light_urn, "/light", "on"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(light.wait_for("request")["method"], "GET");
  Json request = light.wait_for("request");
  EXPECT_EQ(request["method"], "PUT");
  EXPECT_EQ(request["payload"], "on");
  EXPECT_TRUE(light.wait_for("light")["on"].get<bool>());
  RunResult bad = controller.cli({"device", "put", light_urn, "/light", "purple", "--json"});
  EXPECT_EQ(bad.exit_code, 3);  // the device answered 4.00
  EXPECT_EQ(Json::parse(bad.out)["code"], "4.00");
  RunResult unknown = controller.cli({"device", "get", "urn:dev:ops:32473-Nobody-1", "/light"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.err;

  // A batch to one Device: its requests go one at a time (NSTART = 1), in order,
  // and every one is answered; a GET sees the PUT before it.
  Json batch_body{{"requests", Json::array()}};
  for (int i = 0; i < 10; ++i) {
    const std::string value = i % 2 ? "off" : "on";
    batch_body["requests"].push_back(
        {{"urn", light_urn}, {"method", "PUT"}, {"path", "/light"}, {"payload", value}});
    batch_body["requests"].push_back({{"urn", light_urn}, {"path", "/light"}});
  }
  RunResult batch_run =
      controller.curl({"-X", "POST", "-H", "Authorization: Bearer " + controller.api_token(), "-H",
                       "Content-Type: application/json", "--data-binary", batch_body.dump()},
                      "/api/v1/requests");
  ASSERT_EQ(batch_run.exit_code, 0) << batch_run.err;
  const Json replies = Json::parse(batch_run.out)["replies"];
  ASSERT_EQ(replies.size(), 20u) << batch_run.out;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(replies[2 * i]["code"], "2.04") << replies[2 * i];
    EXPECT_EQ(replies[2 * i + 1]["code"], "2.05") << replies[2 * i + 1];
    EXPECT_EQ(replies[2 * i + 1]["payload"], i % 2 ? "off" : "on") << i;
  }
  for (int i = 0; i < 10; ++i)  // the device saw them in the same order
    EXPECT_EQ(light.wait_for("light")["on"].get<bool>(), i % 2 == 0) << i;

  // The draft's example: switch S controls light L.
  RunResult bound = controller.cli({"binding", "add", switch_urn, "/switch", light_urn, "/light"});
  ASSERT_EQ(bound.exit_code, 0) << bound.err;
  EXPECT_FALSE(light.wait_for("light")["on"].get<bool>());  // the switch's current state: off
  button.send("press");
  EXPECT_TRUE(light.wait_for("light")["on"].get<bool>());
  button.send("press");
  EXPECT_FALSE(light.wait_for("light")["on"].get<bool>());
  auto bindings = Json::parse(controller.cli({"binding", "list", "--json"}).out)["bindings"];
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0]["last_value"], "off");
  EXPECT_EQ(bindings[0]["last_error"], "");

  // Observing from the command line: the current value, then each new one.
  Process observer({TTE_CONTROLLER_BIN, "device", "observe", switch_urn, "/switch", "--count", "2",
                    "--data-dir", controller.data_dir()},
                   dir_.file("observe.log"));
  EXPECT_TRUE(contains(observer.read_line(), "off"));
  button.send("press");
  EXPECT_TRUE(contains(observer.read_line(), "on"));
  EXPECT_EQ(observer.wait(), 0);

  // A device that is gone: the Controller says so instead of hanging.
  light.process().signal(SIGKILL);
  light.process().wait();
  RunResult gone = controller.cli({"device", "get", light_urn, "/light"});
  EXPECT_EQ(gone.exit_code, 4) << gone.out << gone.err;
  EXPECT_EQ(controller.stop(), 0);
  EXPECT_FALSE(std::filesystem::exists(controller.data_dir() + "/run.json"));
}

TEST_F(ControllerTest, ItAsksTheMotherShipAboutAnnouncedDevicesUntilTheyJoin) {
  MotherShipProcess ms(dir_);
  ms.import(device_record(1));
  ms.start();
  ControllerProcess controller(dir_);
  controller.start({"--mothership-cafile", ms.ca_file(), "--mothership-connect-to", ms.connect_to(),
                    "--poll-min", "1", "--poll-max", "2"});
  // An installer maps the device with the Introducer, which tells the Controller (message 6).
  RunResult enrolled = enroll_device_1(ms, controller, {"--description", "Hall light"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  EXPECT_EQ(Json::parse(enrolled.out)["notice"], "delivered");
  const std::string urn = "urn:dev:ops:32473-Test-1";
  EXPECT_TRUE(eventually([&] {
    return controller.device(urn)["at_mothership"]["state"] == "mapped";
  })) << controller.device(urn).dump();

  // The device asks the MotherShip where its Controller is (message 9/10).
  RunResult asked = ms.coap_query(urn, "device", "50");
  ASSERT_TRUE(contains(asked.out, controller.fingerprint())) << asked.out << asked.err;
  EXPECT_TRUE(eventually([&] {
    return controller.device(urn)["at_mothership"]["state"] == "registered";
  })) << controller.device(urn).dump();
  EXPECT_TRUE(
      controller.device(urn)["at_mothership"]["next_check_at"].is_null());  // nothing more to learn
}

// Issue 15: what the API shows is true of the sessions. A second DTLS
// session with a Device's key (here libcoap's client with the key from the
// Device's bundle) does not move the Device's address; a Device that is gone
// without a word (kill -9) is shown gone once its session is silent for
// --session-timeout; the registration stays until its lifetime ends.
TEST_F(ControllerTest, TheViewFollowsTheSessionsThatAreReallyThere) {
  const std::string batch = manufacture_batch(dir_, 1);
  ControllerProcess controller(dir_);
  controller.start({"--session-timeout", "3"});
  const Json bundle = read_bundle(batch, 1);
  const std::string urn = bundle["urn"];
  ASSERT_EQ(status_of(controller.announce(notice_for(bundle))), 201);
  TestDevice light(dir_, bundle_path(batch, 1), controller, "light", 600);
  light.send("register");
  light.wait_for("registered");
  Json device = controller.device(urn);
  const std::string address = device["address"];
  EXPECT_TRUE(device["connected"]);
  EXPECT_EQ(device["sessions"], 1);

  write_text(dir_.file("same-key.crt"), bundle["device"]["certificate_pem"]);
  write_text(dir_.file("same-key.key"), bundle["device"]["private_key_pem"]);
  RunResult other =
      run({"coap-client-openssl", "-B", "5", "-m", "get", "-c", dir_.file("same-key.crt"), "-j",
           dir_.file("same-key.key"), "coaps://" + controller.coaps() + "/.well-known/core"},
          "", 30s);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  device = controller.device(urn);
  EXPECT_EQ(device["address"], address) << "the second session moved the address";
  // The Device still answers over its own session.
  RunResult read = controller.curl({"-H", "Authorization: Bearer " + controller.api_token()},
                                   "/api/v1/devices/" + urn + "/resources/light");
  EXPECT_TRUE(contains(read.out, "off")) << read.out;

  ::kill(light.process().pid(), SIGKILL);
  EXPECT_TRUE(eventually([&] { return controller.device(urn)["connected"] == false; }, 15s))
      << controller.device(urn).dump();
  device = controller.device(urn);
  EXPECT_EQ(device["sessions"], 0);
  EXPECT_EQ(device["state"], "registered");  // the registration outlives the session
  EXPECT_EQ(device["address"], address);     // the last one known
  RunResult unreachable = controller.curl({"-o", "/dev/null", "-w", "%{http_code}", "-H",
                                           "Authorization: Bearer " + controller.api_token()},
                                          "/api/v1/devices/" + urn + "/resources/light");
  EXPECT_EQ(unreachable.out, "409");
}

// Issue 15: a Device that joins before the Controller's next status poll has
// its state at the MotherShip refreshed at once, not left at "mapped".
TEST_F(ControllerTest, TheMotherShipStateIsRefreshedWhenTheDeviceJoins) {
  MotherShipProcess ms(dir_);
  ms.import(device_record(1));
  ms.start();
  ControllerProcess controller(dir_);
  controller.start({"--mothership-cafile", ms.ca_file(), "--mothership-connect-to", ms.connect_to(),
                    "--poll-min", "3600", "--poll-max", "3600"});
  RunResult enrolled = enroll_device_1(ms, controller);
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  const std::string urn = "urn:dev:ops:32473-Test-1";
  ASSERT_TRUE(eventually([&] {
    return controller.device(urn)["at_mothership"]["state"] == "mapped";
  })) << controller.device(urn).dump();
  // The next poll is an hour away. The Device asks its MotherShip, then joins.
  RunResult asked = ms.coap_query(urn, "device", "50");
  ASSERT_TRUE(contains(asked.out, controller.fingerprint())) << asked.out << asked.err;
  ASSERT_EQ(coap_get_core(controller).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return controller.device(urn)["at_mothership"]["state"] == "registered";
  })) << controller.device(urn).dump();
  EXPECT_TRUE(controller.device(urn)["at_mothership"]["next_check_at"].is_null());
}

TEST_F(ControllerTest, InfoGivesInstallersACodeAndAQrCode) {
  ControllerProcess controller(dir_, "strict", {"--coaps-public", "192.0.2.7:5684"});
  RunResult info = controller.cli({"info", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  Json out = Json::parse(info.out);
  EXPECT_EQ(out["coaps"], "192.0.2.7:5684");
  const std::string code = out["code"];
  EXPECT_EQ(code.rfind("tte:controller?c=192.0.2.7%3A5684&fp=", 0), 0u) << code;
  EXPECT_FALSE(contains(code, "token="));
  RunResult scanned = run({"zbarimg", "-q", "--raw", out["qr"].get<std::string>()});
  EXPECT_EQ(scanned.out, code + "\n");

  RunResult secret =
      controller.cli({"info", "--with-token", "--json", "--qr", dir_.file("secret.png")});
  ASSERT_EQ(secret.exit_code, 0) << secret.err;
  EXPECT_TRUE(contains(Json::parse(secret.out)["code"].get<std::string>(),
                       "token=" + controller.intake_token()));
  struct stat st {};
  ::stat(dir_.file("secret.png").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The installer's side takes the code (text or image) as a site.
  RunResult site = run({TTE_INTRODUCER_BIN, "site", "add", "bld30", "--code",
                        dir_.file("secret.png"), "--data-dir", dir_.file("introducer"), "--json"});
  ASSERT_EQ(site.exit_code, 0) << site.err;
  RunResult shown = run({TTE_INTRODUCER_BIN, "site", "show", "bld30", "--json", "--data-dir",
                         dir_.file("introducer")});
  Json saved = Json::parse(shown.out);
  EXPECT_EQ(saved["controller"], "192.0.2.7:5684");
  EXPECT_EQ(saved["controller_fingerprint"], out["fingerprint"]);
  EXPECT_EQ(saved["notify"], out["intake"]);
  EXPECT_EQ(saved["token"], "(set)");
  RunResult both = run({TTE_INTRODUCER_BIN, "site", "add", "bld31", "--code", code, "--controller",
                        "192.0.2.8:5684", "--data-dir", dir_.file("introducer")});
  EXPECT_EQ(both.exit_code, 2);  // ambiguous: which Controller?
  EXPECT_TRUE(contains(both.err, "--code already gives the Controller")) << both.err;
}

// A Controller listening on every address (as in a container) is reached, for
// the intake too, where Devices reach it: `info` run on another host (the
// installer's container) must not name that host's own address.
TEST_F(ControllerTest, AnIntakeOnEveryAddressIsGivenAtThePublicAddress) {
  ControllerProcess controller(dir_, "strict",
                               {"--http", "0.0.0.0:0", "--coaps-public", "192.0.2.7:5684"});
  controller.start();
  Json identity = Json::parse(
      controller
          .curl({"-H", "Authorization: Bearer " + controller.api_token()}, "/api/v1/controller")
          .out);
  EXPECT_EQ(identity["intake"], "http://192.0.2.7:" + controller.http_origin().substr(
                                                          controller.http_origin().rfind(':') + 1));
  RunResult info = controller.cli({"info", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(Json::parse(info.out)["intake"], identity["intake"]);  // the port serve bound
  RunResult given = controller.cli({"info", "--json", "--intake", "https://ctl.example.net:8443"});
  EXPECT_EQ(Json::parse(given.out)["intake"], "https://ctl.example.net:8443");
  EXPECT_EQ(controller.stop(), 0);
  RunResult stopped = controller.cli({"info", "--json"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(Json::parse(stopped.out)["intake"], "http://192.0.2.7:0");  // the configured port
  EXPECT_TRUE(contains(Json::parse(stopped.out)["code"].get<std::string>(),
                       "notify=http%3A%2F%2F192.0.2.7%3A0"));
}

// Issue 15: GET /api/v1/controller and `info` disagreed on the intake URL. While
// the Controller serves, both give the listener it bound (HTTP, or HTTPS when
// there is one), the URL an Introducer reaches.
TEST_F(ControllerTest, InfoAndTheApiGiveTheSameIntakeUrl) {
  for (const std::vector<std::string>& listeners :
       {std::vector<std::string>{}, std::vector<std::string>{"--https", "127.0.0.1:0"}}) {
    TempDir dir;
    std::vector<std::string> init_args{"--coaps-public", "192.0.2.7:5684"};
    init_args.insert(init_args.end(), listeners.begin(), listeners.end());
    ControllerProcess controller(dir, "strict", init_args);
    controller.start();
    Json identity = Json::parse(
        controller
            .curl({"-H", "Authorization: Bearer " + controller.api_token()}, "/api/v1/controller")
            .out);
    const std::string expected =
        listeners.empty() ? controller.http_origin()
                          : "https://127.0.0.1:" + std::to_string(controller.https_port());
    EXPECT_EQ(identity["intake"], expected);
    RunResult info = controller.cli({"info", "--json"});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_EQ(Json::parse(info.out)["intake"], expected);
    RunResult text = controller.cli({"info"});
    EXPECT_TRUE(contains(text.out, "Intake (message 6): " + expected + " ")) << text.out;
    // What an installer takes from the code reaches the intake.
    RunResult site =
        run({TTE_INTRODUCER_BIN, "site", "add", "here", "--code",
             Json::parse(info.out)["code"].get<std::string>(), "--data-dir", dir.file("i")});
    ASSERT_EQ(site.exit_code, 0) << site.err;
    RunResult shown =
        run({TTE_INTRODUCER_BIN, "site", "show", "here", "--json", "--data-dir", dir.file("i")});
    EXPECT_EQ(Json::parse(shown.out)["notify"], expected);
  }
}

TEST_F(ControllerTest, InitKeepsTheIntakeUrlItIsGiven) {
  ControllerProcess controller(
      dir_, "strict",
      {"--coaps-public", "192.0.2.7:5684", "--intake", "https://ctl.example.net:8443"});
  RunResult info = controller.cli({"info", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(Json::parse(info.out)["intake"], "https://ctl.example.net:8443");
  controller.start();
  Json identity = Json::parse(
      controller
          .curl({"-H", "Authorization: Bearer " + controller.api_token()}, "/api/v1/controller")
          .out);
  EXPECT_EQ(identity["intake"], "https://ctl.example.net:8443");
  TempDir other;
  RunResult bad = run({TTE_CONTROLLER_BIN, "init", "--data-dir", other.file("c"), "--intake",
                       "ctl.example.net:8443"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(contains(bad.err, "--intake must be an http:// or https:// URL")) << bad.err;
}

TEST_F(ControllerTest, TheIntakeWorksOverHttpsWithTheControllersCertificate) {
  ControllerProcess controller(dir_, "strict", {"--https", "127.0.0.1:0"});
  controller.start();
  ASSERT_NE(controller.https_port(), 0);
  MotherShipProcess ms(dir_);
  ms.import(device_record(1));
  ms.start();
  const std::string intake = "https://127.0.0.1:" + std::to_string(controller.https_port());
  RunResult enrolled =
      run({TTE_INTRODUCER_BIN,
           "enroll",
           "https://tte-00000A.net/.well-known/tte?otp=" + otp_of(1) + "&devid=" + devid_of(1),
           "--controller",
           controller.coaps(),
           "--controller-fingerprint",
           controller.fingerprint(),
           "--notify",
           intake,
           "--token",
           controller.intake_token(),
           "--notify-cafile",
           controller.data_dir() + "/https.crt",
           "--cafile",
           ms.ca_file(),
           "--connect-to",
           ms.connect_to(),
           "--data-dir",
           dir_.file("introducer"),
           "--json"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
  EXPECT_EQ(Json::parse(enrolled.out)["notice"], "delivered");
  EXPECT_FALSE(controller.device("urn:dev:ops:32473-Test-1").is_null());
}

TEST(ControllerHelp, EveryCommandHasHelp) {
  RunResult top = run({TTE_CONTROLLER_BIN, "--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* command : {"init", "info", "serve", "device", "binding"}) {
    EXPECT_TRUE(contains(top.out, command)) << command;
    RunResult help = run({TTE_CONTROLLER_BIN, command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_TRUE(contains(help.out, std::string("Usage: tte-controller ") + command)) << help.out;
  }
  EXPECT_EQ(run({TTE_CONTROLLER_BIN, "serve", "--data-dir", "/nonexistent"}).exit_code, 1);
  EXPECT_EQ(run({TTE_CONTROLLER_BIN, "serve", "--bogus"}).exit_code, 2);
}

TEST(ControllerHelp, TheDocumentListsEveryExitStatusOfTheHelp) {
  const std::string document = read_text(std::string(TTE_DOCS_DIR) + "/controller.md");
  const std::string help = run({TTE_CONTROLLER_BIN, "device", "--help"}).out;
  const std::string statuses = help.substr(help.find("Exit status:"));
  int found = 0;
  for (int status = 0; status <= 9; ++status) {
    const std::string in_help = std::to_string(status) + " ";
    if (statuses.find(" " + in_help) == std::string::npos &&
        statuses.find("\n" + in_help) == std::string::npos)
      continue;
    EXPECT_TRUE(contains(document, "\n| " + std::to_string(status) + " | "))
        << "docs/controller.md lacks exit status " << status;
    ++found;
  }
  EXPECT_EQ(found, 5);
}

}  // namespace
}  // namespace tte::test
