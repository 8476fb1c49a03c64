// The Controller's Resource Directory against RFC 9176 and RFC 7959, with
// libcoap's own clients (coap-client-openssl and coap-client-gnutls) as the
// registrants and lookup clients, and tte-test-device where a registrant must
// serve its /.well-known/core (simple registration). Each test starts a real
// tte-controller on free ports.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/controller.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"

namespace tte::test {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

std::vector<std::string> split_links(const std::string& text) {
  std::vector<std::string> links;
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '"') quoted = !quoted;
    if (i == text.size() || (text[i] == ',' && !quoted)) {
      if (i > start) links.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return links;
}

// A registrant or lookup client: libcoap's coap-client in one TLS flavour,
// with the test device key (proto/keys/device-test) or another key pair.
class Client {
 public:
  Client(const ControllerProcess& controller, std::string flavour, std::string key_files = "")
      : origin_("coaps://" + controller.coaps()),
        flavour_(std::move(flavour)),
        keys_(key_files.empty() ? std::string(TTE_PROTO_DIR) + "/keys/device-test" : key_files) {}

  // The method on a path with a query ("rd?ep=..&lt=.."); extra: coap-client options.
  RunResult request(const std::string& method, const std::string& target,
                    std::vector<std::string> extra = {}, const std::string& payload = "",
                    bool link_format = false) const {
    // -v 2: libcoap logs its warnings on stdout, among the payload (a
    // retransmission under load); an answer's code and diagnostic come on stderr.
    std::vector<std::string> argv{"coap-client-" + flavour_, "-v", "2", "-B", "10", "-m", method};
    argv.insert(argv.end(), {"-c", keys_ + ".crt", "-j", keys_ + ".key"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (link_format) argv.insert(argv.end(), {"-t", "40"});
    if (!payload.empty()) argv.insert(argv.end(), {"-e", payload});
    argv.push_back(origin_ + "/" + target);
    return run(argv, "", 30s);
  }
  std::string get(const std::string& target, std::vector<std::string> extra = {}) const {
    RunResult result = request("get", target, std::move(extra));
    EXPECT_EQ(result.exit_code, 0) << target << ": " << result.err;
    return trim(result.out);
  }
  // coap-client prints an error answer's code and diagnostic on stderr.
  std::string error_of(const RunResult& result) const { return trim(result.err); }

 private:
  static std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
      text.pop_back();
    return text;
  }
  std::string origin_, flavour_, keys_;
};

std::string many_links(int count, const std::string& prefix = "/sensor/") {
  std::string links;
  for (int i = 0; i < count; ++i) {
    if (i) links += ',';
    links += "<" + prefix + std::to_string(i) + ">;rt=tte.temp;if=core.s;title=\"Sensor " +
             std::to_string(i) + " on the north wall\"";
  }
  return links;
}

class RdConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    if (HasFailure() && std::filesystem::exists(dir_.file("controller.log")))
      std::cerr << "--- controller.log ---\n" << read_text(dir_.file("controller.log")) << "\n";
  }
  TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Flavours, RdConformance, ::testing::Values("openssl", "gnutls"),
                         [](const auto& flavour) { return flavour.param; });

TEST_P(RdConformance, BlockwiseRegistrationsAreReassembledNeverHalfStored) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  Client client(controller, GetParam());
  // 30 links, about 2 KB, in 64-byte blocks: most blocks end inside a link.
  const std::string links = many_links(30);
  ASSERT_GT(links.size(), 1500u);
  RunResult registered =
      client.request("post", "rd?ep=urn:dev:ops:32473-Test-1&lt=600", {"-b", "64"}, links, true);
  ASSERT_EQ(registered.exit_code, 0) << registered.err;
  EXPECT_EQ(client.error_of(registered), "");
  Json device = controller.device("urn:dev:ops:32473-Test-1");
  EXPECT_EQ(device["state"], "registered") << device.dump();
  EXPECT_EQ(split_links(device["registration"]["links"]).size(), 30u);
  EXPECT_EQ(device["registration"]["links"], links);

  // Past the RD's limit (4096 bytes of links): 4.13, and nothing of it is kept.
  RunResult too_big =
      client.request("post", "rd?ep=urn:dev:ops:32473-Test-2", {"-b", "64"}, many_links(80), true);
  EXPECT_TRUE(contains(client.error_of(too_big), "4.13")) << too_big.err;
  EXPECT_EQ(client.get("rd-lookup/ep?ep=urn:dev:ops:32473-Test-2"), "");
  // A lone middle block, no transfer begun: 4.08 (Request Entity Incomplete).
  RunResult orphan = client.request("post", "rd?ep=urn:dev:ops:32473-Test-3", {"-O", "27,0x12"},
                                    "</x>;rt=tte.light", true);
  EXPECT_TRUE(contains(client.error_of(orphan), "4.08")) << orphan.err << orphan.out;
  EXPECT_EQ(client.get("rd-lookup/ep?ep=urn:dev:ops:32473-Test-3"), "");
}

TEST_P(RdConformance, LongAnswersGoBlockwiseAndReassembleToTheSameText) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  Client client(controller, GetParam());
  ASSERT_EQ(
      client.request("post", "rd?ep=urn:dev:ops:32473-Test-1", {"-b", "1024"}, many_links(30), true)
          .exit_code,
      0);
  const std::string whole = client.get("rd-lookup/res");  // > 1024 bytes: Block2 unasked
  ASSERT_GT(whole.size(), 3000u);
  EXPECT_EQ(split_links(whole).size(), 30u);
  EXPECT_EQ(client.get("rd-lookup/res", {"-b", "16"}), whole);
  EXPECT_EQ(client.get("rd-lookup/res", {"-b", "256"}), whole);
  // A registration resource reads back as link-format, block-wise too.
  EXPECT_EQ(client.get("rd/1", {"-b", "32"}), many_links(30));
}

TEST_P(RdConformance, WellKnownCoreAdvertisesTheDirectory) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  Client client(controller, GetParam());
  // RFC 9176 section 4.3: discovery with rt=core.rd*.
  const std::string all = client.get(".well-known/core?rt=core.rd*");
  EXPECT_EQ(all,
            "</rd>;rt=core.rd;ct=40,</rd-lookup/ep>;rt=core.rd-lookup-ep;ct=40;obs,"
            "</rd-lookup/res>;rt=core.rd-lookup-res;ct=40;obs");
  EXPECT_EQ(client.get(".well-known/core?rt=core.rd-lookup-ep"),
            "</rd-lookup/ep>;rt=core.rd-lookup-ep;ct=40;obs");
  EXPECT_EQ(client.get(".well-known/core", {"-b", "16"}), all);
}

TEST_P(RdConformance, LookupsFilterOnEveryAttributeAndPage) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  Client client(controller, GetParam());
  // Two Devices, two keys (a key is one endpoint).
  Client sensor(controller, GetParam(), std::string(TTE_PROTO_DIR) + "/keys/controller-test");
  auto post = [&](const std::string& target, const std::string& links) {
    const Client& registrant = contains(target, "Sensor") ? sensor : client;
    RunResult result = registrant.request("post", target, {}, links, true);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(registrant.error_of(result), "") << target;
  };
  // RFC 9176 section 7.3's shape: a light, and a sensor in a sector with an
  // endpoint type and an explicit base.
  post("rd?ep=urn:dev:ops:32473-Light-1&lt=600", "</light>;rt=tte.light;if=core.a");
  post(
      "rd?ep=urn:dev:ops:32473-Sensor-2&d=floor-3&et=oic.d.sensor&base=coap://"
      "[2001:db8:3::127]:61616",
      "</temp>;rt=\"tte.temp temperature\";if=core.s;obs,</hum>;rt=tte.humidity;if=core.s");

  const std::vector<std::string> endpoints = split_links(client.get("rd-lookup/ep"));
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_TRUE(
      contains(endpoints[0], "</rd/1>;ep=urn:dev:ops:32473-Light-1;base=\"coaps://127.0.0.1:"))
      << endpoints[0];
  EXPECT_TRUE(contains(endpoints[0], ";lt=600;rt=core.rd-ep")) << endpoints[0];
  EXPECT_EQ(
      endpoints[1],
      "</rd/2>;ep=urn:dev:ops:32473-Sensor-2;d=floor-3;base=\"coap://[2001:db8:3::127]:61616\";"
      "lt=90000;et=oic.d.sensor;rt=core.rd-ep");

  auto first = [&](const std::string& target) {
    const auto links = split_links(client.get(target));
    return links.empty() ? std::string("(none)") : links[0].substr(0, links[0].find('>') + 1);
  };
  EXPECT_EQ(first("rd-lookup/ep?ep=urn:dev:ops:32473-Sensor-2"), "</rd/2>");
  EXPECT_EQ(first("rd-lookup/ep?ep=urn:dev:ops:32473-Light*"), "</rd/1>");
  EXPECT_EQ(first("rd-lookup/ep?d=floor-3"), "</rd/2>");
  EXPECT_EQ(first("rd-lookup/ep?et=oic.d.sensor"), "</rd/2>");
  EXPECT_EQ(first("rd-lookup/ep?rt=tte.light"), "</rd/1>");
  EXPECT_EQ(first("rd-lookup/ep?if=core.s"), "</rd/2>");
  EXPECT_EQ(first("rd-lookup/ep?href=/rd/2"), "</rd/2>");
  EXPECT_EQ(first("rd-lookup/ep?page=1&count=1"), "</rd/2>");
  EXPECT_EQ(first("rd-lookup/ep?page=2&count=1"), "(none)");
  EXPECT_EQ(first("rd-lookup/ep?d=floor-3&rt=tte.light"), "(none)");

  EXPECT_EQ(client.get("rd-lookup/res?rt=temperature"),
            "<coap://[2001:db8:3::127]:61616/temp>;rt=\"tte.temp temperature\";if=core.s;obs;"
            "anchor=\"coap://[2001:db8:3::127]:61616\"");
  // Without a base, links resolve against the address the registration came from.
  const std::string light = first("rd-lookup/res?rt=tte.light");
  EXPECT_EQ(light.rfind("<coaps://127.0.0.1:", 0), 0u) << light;
  EXPECT_TRUE(contains(light, "/light>")) << light;
  EXPECT_EQ(first("rd-lookup/res?if=core.s&page=1&count=1"),
            "<coap://[2001:db8:3::127]:61616/hum>");
  EXPECT_EQ(first("rd-lookup/res?ep=urn:dev:ops:32473-Sensor-2&href=/hum"),
            "<coap://[2001:db8:3::127]:61616/hum>");
  EXPECT_EQ(first("rd-lookup/res?href=coap://[2001:db8:3::127]:61616/t*"),
            "<coap://[2001:db8:3::127]:61616/temp>");
  EXPECT_EQ(first("rd-lookup/res?d=floor-3&obs"), "<coap://[2001:db8:3::127]:61616/temp>");
  EXPECT_EQ(split_links(client.get("rd-lookup/res?rt=tte.*")).size(), 3u);
  EXPECT_TRUE(contains(client.error_of(client.request("get", "rd-lookup/res?page=1")), "4.00"));
}

TEST_P(RdConformance, SectorsUpdatesLifetimesAndRemoval) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  Client client(controller, GetParam());
  auto post = [&](const std::string& target, const std::string& links) {
    RunResult result = client.request("post", target, {}, links, !links.empty());
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return client.error_of(result);
  };
  // The same endpoint name in two sectors: two registrations (RFC 9176 section 5).
  EXPECT_EQ(post("rd?ep=urn:dev:ops:32473-Test-1&lt=600", "</a>"), "");
  EXPECT_EQ(post("rd?ep=urn:dev:ops:32473-Test-1&d=floor-3&lt=2", "</b>"), "");
  EXPECT_EQ(split_links(client.get("rd-lookup/ep?ep=urn:dev:ops:32473-Test-1")).size(), 2u);
  // Registering again in a sector replaces that registration, in place.
  EXPECT_EQ(post("rd?ep=urn:dev:ops:32473-Test-1&d=floor-3&lt=2", "</c>"), "");
  EXPECT_EQ(client.get("rd-lookup/res?d=floor-3").substr(0, 1), "<");
  EXPECT_TRUE(contains(client.get("rd-lookup/res?d=floor-3"), "/c>"));
  EXPECT_EQ(split_links(client.get("rd-lookup/ep")).size(), 2u);
  // An update (empty POST to the registration resource) with a new lifetime.
  EXPECT_EQ(post("rd/1?lt=900", ""), "");
  EXPECT_TRUE(contains(client.get("rd-lookup/ep?href=/rd/1"), ";lt=900;"));
  EXPECT_TRUE(contains(client.error_of(client.request("post", "rd/1?d=other")), "4.00"));
  EXPECT_TRUE(contains(client.error_of(client.request("post", "rd/1?page=1")), "4.00"));
  // Endpoint attributes change with an update (RFC 9176 section 5.3.1).
  EXPECT_EQ(post("rd/1?et=oic.d.light", ""), "");
  EXPECT_TRUE(contains(client.get("rd-lookup/ep?et=oic.d.light"), "</rd/1>"));
  // The name is this key's in every sector: another key cannot take it anywhere.
  Client impostor(controller, GetParam(), std::string(TTE_PROTO_DIR) + "/keys/controller-test");
  for (const char* sector : {"", "&d=floor-3", "&d=zzz"}) {
    RunResult taken = impostor.request(
        "post", std::string("rd?ep=urn:dev:ops:32473-Test-1") + sector, {}, "</x>", true);
    EXPECT_TRUE(contains(impostor.error_of(taken), "4.03")) << sector << ": " << taken.err;
  }
  EXPECT_EQ(split_links(client.get("rd-lookup/ep")).size(), 2u);
  // The sector's registration lives 2 s without updates, then is gone; the
  // Device stays registered with the other one.
  EXPECT_TRUE(eventually([&] { return client.get("rd-lookup/ep?d=floor-3").empty(); }, 15s));
  Json device = controller.device("urn:dev:ops:32473-Test-1");
  EXPECT_EQ(device["state"], "registered") << device.dump();
  EXPECT_EQ(device["registration"]["location"], "/rd/1") << device.dump();
  EXPECT_TRUE(contains(client.error_of(client.request("post", "rd/2")), "4.04"));
  // DELETE removes at once.
  RunResult removed = client.request("delete", "rd/1");
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(client.get("rd-lookup/ep"), "");
  EXPECT_EQ(controller.device("urn:dev:ops:32473-Test-1")["state"], "deregistered");
  // Another key may not touch a registration.
  EXPECT_EQ(post("rd?ep=urn:dev:ops:32473-Test-1", "</a>"), "");
  Client stranger(controller, GetParam(), std::string(TTE_PROTO_DIR) + "/keys/controller-test");
  EXPECT_TRUE(contains(stranger.error_of(stranger.request("delete", "rd/3")), "4.03"));
}

TEST_P(RdConformance, SimpleRegistrationReadsTheEndpointsOwnLinks) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  Client client(controller, GetParam());
  // coap-client serves no resources: libcoap answers its /.well-known/core
  // empty, and the registration holds no links.
  RunResult simple = client.request("post", ".well-known/rd?ep=urn:dev:ops:32473-Test-1&lt=60");
  EXPECT_EQ(simple.exit_code, 0) << simple.err;
  EXPECT_EQ(client.error_of(simple), "");
  EXPECT_TRUE(contains(client.get("rd-lookup/ep"), "</rd/1>;ep=urn:dev:ops:32473-Test-1;"));
  // base is not allowed, nor a payload.
  EXPECT_TRUE(contains(client.error_of(client.request(
                           "post", ".well-known/rd?ep=urn:dev:ops:32473-Test-1&base=coap://x")),
                       "4.00"));
  EXPECT_TRUE(contains(client.error_of(client.request(
                           "post", ".well-known/rd?ep=urn:dev:ops:32473-Test-1", {}, "</a>", true)),
                       "4.00"));
}

TEST_P(RdConformance, LookupsAreObservable) {
  ControllerProcess controller(dir_, "open");
  controller.start();
  Client client(controller, GetParam());
  ASSERT_EQ(
      client.error_of(client.request("post", "rd?ep=urn:dev:ops:32473-Test-0", {}, "</a>", true)),
      "");
  // An observer for 4 s (coap-client -s) while the endpoint keeps registering
  // in more sectors: each change reaches it as a notification (at most one a second).
  auto observed = std::async(std::launch::async, [&] {
    return client.request("get", "rd-lookup/ep?ep=urn:dev:ops:32473-Test-*", {"-s", "4"});
  });
  int registered = 0;
  while (observed.wait_for(300ms) != std::future_status::ready && registered < 7) {
    ++registered;
    client.request("post", "rd?ep=urn:dev:ops:32473-Test-0&d=s" + std::to_string(registered), {},
                   "</a>", true);
  }
  RunResult notifications = observed.get();
  ASSERT_EQ(notifications.exit_code, 0) << notifications.err;
  // The first answer and every notification list /rd/1 (the default sector) again.
  std::size_t answers = 0;
  for (std::size_t at = notifications.out.find("</rd/1>;"); at != std::string::npos;
       at = notifications.out.find("</rd/1>;", at + 1))
    ++answers;
  EXPECT_GE(answers, 2u) << notifications.out;
  EXPECT_TRUE(contains(notifications.out, "ep=urn:dev:ops:32473-Test-0;d=s2;"))
      << notifications.out;
}

class RdSimpleRegistration : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && std::filesystem::exists(dir_.file("controller.log")))
      std::cerr << "--- controller.log ---\n" << read_text(dir_.file("controller.log")) << "\n";
  }
  TempDir dir_;
};

TEST_F(RdSimpleRegistration, ADeviceThatServesItsLinksIsRegisteredWithThem) {
  const std::string batch = manufacture_batch(dir_, 1);
  ControllerProcess controller(dir_);
  controller.start();
  const Json bundle = read_bundle(batch, 1);
  ASSERT_EQ(controller.announce(notice_for(bundle)).exit_code, 0);
  TestDevice light(dir_, bundle_path(batch, 1), controller, "light", 60);
  light.send("simple-register floor-2");
  Json answered = light.wait_for("simple_registered");
  EXPECT_EQ(answered["code"], "2.04") << answered.dump();
  Json device = controller.device(bundle["urn"]);
  EXPECT_EQ(device["state"], "registered") << device.dump();
  EXPECT_TRUE(contains(device["registration"]["links"], "</light>")) << device.dump();
  EXPECT_TRUE(contains(device["registration"]["links"], "rt=tte.light")) << device.dump();
  // The Device's own requests still work over the session that registered.
  RunResult read =
      controller.curl({"-H", "Authorization: Bearer " + controller.api_token()},
                      "/api/v1/devices/" + std::string(bundle["urn"]) + "/resources/light");
  EXPECT_TRUE(contains(read.out, "off")) << read.out;
}

}  // namespace
}  // namespace tte::test
