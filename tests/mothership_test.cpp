// tte-mothership as a user runs it: the real daemon on free ports, driven by
// independent clients (curl for HTTPS, libcoap's coap-client-openssl for CoAPS,
// the sqlite3 shell for the database).
#include "support/mothership.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "tte/platform/http_client.hpp"

namespace tte::test {
namespace {

// curl -o body -w "%{http_code}": the status code, with the body in `body`.
int status_and_body(const MotherShipProcess& ms, std::vector<std::string> args, std::string& body,
                    const TempDir& dir) {
  std::string file = dir.file("body");
  args.insert(args.begin(), {"-o", file, "-w", "%{http_code}"});
  RunResult result = ms.curl(args);
  body = read_text(file);
  return std::atoi(result.out.c_str());
}

nlohmann::json json_of(const std::string& text) {
  return nlohmann::json::parse(text);
}

class MotherShipTest : public ::testing::Test {
 protected:
  explicit MotherShipTest(std::vector<std::string> serve_args = {})
      : ms_(dir_, std::move(serve_args)) {}
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- mothership log ---\n" << read_text(ms_.log()) << "\n";
  }
  int post(const std::string& query, std::string& body, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-X", "POST"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(ms_.url("/.well-known/tte?" + query));
    return status_and_body(ms_, args, body, dir_);
  }
  int get(const std::string& path_and_query, std::string& body,
          std::vector<std::string> extra = {}) {
    extra.push_back(ms_.url(path_and_query));
    return status_and_body(ms_, extra, body, dir_);
  }

  TempDir dir_;
  MotherShipProcess ms_;
};

TEST_F(MotherShipTest, EveryHttpsPathAndErrorWithCurl) {
  ms_.import(device_record(1) + device_record(2));
  ms_.start();
  std::string body;

  EXPECT_EQ(get("/.well-known/tte?otp=" + otp_of(1) + "&devid=" + devid_of(1), body,
                {"-H", "Accept: text/html"}),
            200);
  EXPECT_NE(body.find("<form method=\"post\""), std::string::npos);

  EXPECT_EQ(get("/.well-known/tte/status?otp=" + otp_of(1) + "&devid=" + devid_of(1), body), 200);
  EXPECT_EQ(json_of(body)["state"], "unmapped");

  EXPECT_EQ(post(claim_query(1), body), 200);
  EXPECT_EQ(json_of(body)["state"], "mapped");
  EXPECT_EQ(json_of(body)["urn"], "urn:dev:ops:32473-Test-1");
  EXPECT_EQ(json_of(body)["fingerprint"], kDeviceFingerprint);

  EXPECT_EQ(post(claim_query(1), body), 409);
  EXPECT_EQ(json_of(body)["type"], "https://iana.org/assignments/http-problem-types#tte-otp-used");
  EXPECT_EQ(json_of(body)["device"]["state"], "mapped");

  EXPECT_EQ(post(claim_query(2, "00000000000000ff"), body), 403);
  EXPECT_EQ(post(claim_query(3), body), 403);

  EXPECT_EQ(post("otp=" + otp_of(2) + "&devid=" + devid_of(2) +
                     "&cip=127.0.0.1&cport=99999&cfingerprint=" + kControllerFingerprint,
                 body),
            400);
  EXPECT_EQ(json_of(body)["field"], "cport");
  EXPECT_EQ(post("otp=" + otp_of(2) + "&devid=zz", body), 400);
  EXPECT_EQ(json_of(body)["field"], "devid");

  // The claim's fields may come in a form body, as the HTML form sends them.
  EXPECT_EQ(post("otp=" + otp_of(2) + ",DevID=" + devid_of(2), body,
                 {"--data",
                  std::string("cip=%3A%3A1&cport=5684&cfingerprint=") + kControllerFingerprint}),
            200);
  EXPECT_EQ(json_of(body)["state"], "mapped");
  EXPECT_EQ(post(claim_query(2), body, {"-H", "Content-Type: application/json", "--data", "{}"}),
            415);
  EXPECT_EQ(post(claim_query(2), body, {"--data", std::string(10000, 'x')}), 413);

  EXPECT_EQ(get("/.well-known/tte/status?otp=" + otp_of(1) + "&devid=" + devid_of(1), body), 200);
  EXPECT_EQ(json_of(body)["state"], "mapped");
  EXPECT_EQ(get("/nowhere", body), 404);
  EXPECT_EQ(get("/.well-known/tte?" + claim_query(1), body, {"-X", "PUT"}), 405);
  EXPECT_EQ(get("/.well-known/tte/status?x", body, {"-X", "POST"}), 405);
  // The MotherShip's certificate is for its own name only.
  RunResult wrong_name = run({"curl", "-s", "--cacert", ms_.data_dir() + "/ca.crt", "--resolve",
                              "tte-00000B.net:" + std::to_string(ms_.https_port()) + ":127.0.0.1",
                              "https://tte-00000B.net:" + std::to_string(ms_.https_port()) + "/"});
  EXPECT_EQ(wrong_name.exit_code, 60);  // curl: peer certificate cannot be authenticated
  EXPECT_EQ(ms_.stop(), 0);
  // The log names requests and outcomes, never an OTP.
  std::string log = read_text(ms_.log());
  EXPECT_NE(log.find("outcome=mapped"), std::string::npos);
  EXPECT_EQ(log.find(otp_of(1)), std::string::npos);
}

// Issue 15: a bracketed IPv6 cip, as people write an address beside a port, was
// refused. The Device is then given the address itself.
TEST_F(MotherShipTest, ABracketedIpv6ControllerAddressIsAcceptedWithoutItsBrackets) {
  ms_.import(device_record(1) + device_record(2));
  ms_.start();
  std::string body;
  EXPECT_EQ(post("otp=" + otp_of(1) + "&devid=" + devid_of(1) +
                     "&cip=%5B2001:db8::7%5D&cport=5684&cfingerprint=" + kControllerFingerprint,
                 body),
            200)
      << body;
  RunResult answer = ms_.coap_query("urn:dev:ops:32473-Test-1", "device", "50");
  EXPECT_NE(answer.out.find("{\"cip\":\"2001:db8::7\",\"cport\":5684"), std::string::npos)
      << answer.out << answer.err;
  // The same in a form body, brackets as typed.
  EXPECT_EQ(post("otp=" + otp_of(2) + "&devid=" + devid_of(2), body,
                 {"--data", std::string("cip=[2001:db8::8]&cport=5684&cfingerprint=") +
                                kControllerFingerprint}),
            200)
      << body;
  EXPECT_EQ(post("otp=" + otp_of(2) + "&devid=" + devid_of(2) +
                     "&cip=%5B192.0.2.7%5D&cport=5684&cfingerprint=" + kControllerFingerprint,
                 body),
            400);
  EXPECT_EQ(json_of(body)["field"], "cip");
}

TEST_F(MotherShipTest, DevicesAskOverCoapsWithAnIndependentClient) {
  ms_.import(device_record(1));
  ms_.start();
  const std::string urn = "urn:dev:ops:32473-Test-1";

  RunResult unmapped = ms_.coap_query(urn, "device");
  EXPECT_NE(unmapped.out.find("c:5.03"), std::string::npos) << unmapped.out << unmapped.err;
  EXPECT_NE(unmapped.out.find("Max-Age:60"), std::string::npos) << unmapped.out;

  std::string body;
  ASSERT_EQ(post(claim_query(1), body), 200);

  RunResult wrong_key = ms_.coap_query(urn, "controller");
  EXPECT_NE(wrong_key.out.find("4.03"), std::string::npos) << wrong_key.out;
  EXPECT_EQ(wrong_key.out.find("cfingerprint"), std::string::npos);
  RunResult unknown = ms_.coap_query("urn:dev:ops:32473-Test-99", "device");
  EXPECT_NE(unknown.out.find("4.03"), std::string::npos);

  RunResult json = ms_.coap_query(urn, "device", "50");
  EXPECT_NE(json.out.find(std::string("{\"cip\":\"127.0.0.1\",\"cport\":5684,\"cfingerprint\":\"") +
                          kControllerFingerprint + "\"}"),
            std::string::npos)
      << json.out;
  RunResult cbor = ms_.coap_query(urn, "device");
  EXPECT_NE(cbor.out.find("Content-Format:application/cbor"), std::string::npos) << cbor.out;
  EXPECT_NE(cbor.out.find(std::string(
                "a301447f0000010219163403582098a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bc"
                "e9339f66be4")),
            std::string::npos)
      << cbor.out;
  RunResult bad = ms_.coap_query("not-a-urn", "device");
  EXPECT_NE(bad.out.find("4.00"), std::string::npos);
  // A client asking for 16-byte blocks (RFC 7959) gets the answer block by block.
  RunResult blocks = ms_.coap_query(urn, "device", "50", {"-b", "16"});
  std::string joined;  // the payloads of the answers' blocks, as coap-client -v 6 shows them
  for (std::size_t at = blocks.out.find("t:ACK c:2.05"); at != std::string::npos;
       at = blocks.out.find("t:ACK c:2.05", at + 1)) {
    const std::size_t start = blocks.out.find(":: '", at) + 4;
    joined += blocks.out.substr(start, blocks.out.find('\'', start) - start);
  }
  EXPECT_NE(blocks.out.find("Block2:7/_/16"), std::string::npos) << blocks.out;  // the last of 8
  EXPECT_EQ(joined, std::string("{\"cip\":\"127.0.0.1\",\"cport\":5684,\"cfingerprint\":\"") +
                        kControllerFingerprint + "\"}")
      << blocks.out;

  // The successful answer moved the device to registered.
  EXPECT_EQ(get("/.well-known/tte/status?otp=" + otp_of(1) + "&devid=" + devid_of(1), body), 200);
  EXPECT_EQ(json_of(body)["state"], "registered");
  EXPECT_FALSE(json_of(body)["registered_at"].is_null());
}

// A PSK Device (docs/protocol.md 13.3): DTLS-PSK with its Dev URN as identity and its
// factory PSK as key, beside a certificate Device on the same listener. coap-client-openssl
// takes -k as text, so this test's PSK is 16 printable bytes.
TEST_F(MotherShipTest, PskDevicesAskOverDtlsPskBesideCertificateDevices) {
  auto hex_of_text = [](const std::string& text) {
    std::string hex;
    for (unsigned char c : text) {
      char two[3];
      std::snprintf(two, sizeof two, "%02x", c);
      hex += two;
    }
    return hex;
  };
  const std::string psk_text = "tte-psk-test-002";
  const std::string psk_hex = hex_of_text(psk_text);
  // The link PSK the Introducer chose (cpsk), which message 10 hands the Device.
  const std::string link_text = "tte-link-test-02";
  const std::string link_hex = hex_of_text(link_text);
  const std::string psk_urn = "urn:dev:ops:32473-Psk-2";
  ms_.import(device_record(1) + "{\"devid\":\"" + devid_of(2) + "\",\"urn\":\"" + psk_urn +
             "\",\"psk\":\"" + psk_hex + "\",\"otp\":\"" + otp_of(2) + "\"}\n");
  ms_.start();
  std::string body;
  ASSERT_EQ(post(claim_query(1), body), 200);
  // Without a link PSK a PSK Device could never reach its Controller: refused,
  // nothing stored, the OTP still good.
  ASSERT_EQ(post(claim_query(2), body), 400);
  EXPECT_EQ(json_of(body)["type"],
            "https://iana.org/assignments/http-problem-types#tte-psk-required");
  EXPECT_EQ(json_of(body)["field"], "cpsk");
  EXPECT_EQ(get("/.well-known/tte/status?otp=" + otp_of(2) + "&devid=" + devid_of(2), body), 200);
  EXPECT_EQ(json_of(body)["state"], "unmapped") << body;
  ASSERT_EQ(post(claim_query(2) + "&cpsk=" + link_hex, body), 200);
  EXPECT_TRUE(json_of(body)["fingerprint"].is_null()) << body;

  auto psk_query = [&](const std::string& identity, const std::string& key,
                       const std::string& urn) {
    return run(
        {"coap-client-openssl", "-v", "6", "-B", "5", "-m", "get", "-u", identity, "-k", key, "-A",
         "50",
         "coaps://127.0.0.1:" + std::to_string(ms_.coaps_port()) + "/.well-known/tte?urn=" + urn},
        "", std::chrono::seconds(30));
  };
  const std::string answer = std::string("{\"cip\":\"127.0.0.1\",\"cport\":5684,") +
                             "\"cfingerprint\":\"" + kControllerFingerprint + "\"}";
  RunResult good = psk_query(psk_urn, psk_text, psk_urn);
  EXPECT_NE(good.out.find("c:2.05"), std::string::npos) << good.out << good.err;
  EXPECT_NE(
      good.out.find(std::string("{\"cip\":\"127.0.0.1\",\"cport\":5684,") + "\"cfingerprint\":\"" +
                    kControllerFingerprint + "\",\"cpsk\":\"" + link_hex + "\"}"),
      std::string::npos)
      << good.out;

  // Refused in the handshake: no CoAP answer at all.
  RunResult wrong_key = psk_query(psk_urn, "tte-psk-test-00X", psk_urn);
  EXPECT_EQ(wrong_key.out.find("c:2.05"), std::string::npos) << wrong_key.out;
  EXPECT_EQ(wrong_key.out.find("c:4.03"), std::string::npos) << wrong_key.out;
  RunResult unknown = psk_query("urn:dev:ops:32473-Psk-9", psk_text, "urn:dev:ops:32473-Psk-9");
  EXPECT_EQ(unknown.out.find("c:2.05"), std::string::npos) << unknown.out;
  EXPECT_EQ(unknown.out.find("c:4.03"), std::string::npos) << unknown.out;
  // A certificate Device's URN is no PSK identity.
  RunResult certificate_urn =
      psk_query("urn:dev:ops:32473-Test-1", psk_text, "urn:dev:ops:32473-Test-1");
  EXPECT_EQ(certificate_urn.out.find("c:2.05"), std::string::npos) << certificate_urn.out;
  // A PSK session speaks for its own identity only.
  RunResult other = psk_query(psk_urn, psk_text, "urn:dev:ops:32473-Test-1");
  EXPECT_NE(other.out.find("4.03"), std::string::npos) << other.out;
  EXPECT_EQ(other.out.find("cfingerprint"), std::string::npos) << other.out;

  // The certificate Device still enrolls, on the same listener.
  RunResult certificate = ms_.coap_query("urn:dev:ops:32473-Test-1", "device", "50");
  EXPECT_NE(certificate.out.find(answer), std::string::npos) << certificate.out;

  EXPECT_EQ(get("/.well-known/tte/status?otp=" + otp_of(2) + "&devid=" + devid_of(2), body), 200);
  EXPECT_EQ(json_of(body)["state"], "registered") << body;
  ASSERT_EQ(ms_.stop(), 0);
  // Neither the log nor the database holds the PSK, as text or as bytes.
  for (const std::string& file :
       {ms_.log(), ms_.data_dir() + "/mothership.db", ms_.data_dir() + "/mothership.db-wal"}) {
    if (!std::filesystem::exists(file)) continue;  // the WAL is gone after a clean stop
    const std::string bytes = read_text(file);
    EXPECT_EQ(bytes.find(psk_text), std::string::npos) << file;
    EXPECT_EQ(bytes.find(psk_hex), std::string::npos) << file;
    EXPECT_EQ(bytes.find(link_text), std::string::npos) << file;
    EXPECT_EQ(bytes.find(link_hex), std::string::npos) << file;
  }
}

// The HTTPS client keeps one TLS context per trust setting (loading the CAs each
// time bounded the Controller's status poller to some 35 polls a second): a CA
// file that changes is read again, so trust follows the file, not the first load.
TEST_F(MotherShipTest, TheClientsTrustFollowsItsCaFileAsItChanges) {
  ms_.start();
  const std::string ca = dir_.file("trusted-ca.pem");
  write_text(ca, read_text(ms_.ca_file()));
  http::ClientOptions options;
  options.ca_file = ca;
  options.connect_to = ms_.connect_to();
  const std::string url = "https://" + std::string(MotherShipProcess::kHost) + "/health";
  EXPECT_TRUE(http::fetch("GET", url, {}, "", options).ok());
  EXPECT_TRUE(http::fetch("GET", url, {}, "", options).ok());
  // Another CA (the test keys' own self-signed certificate) in the same file: refused.
  write_text(ca, read_text(std::string(TTE_PROTO_DIR) + "/keys/device-test.crt"));
  http::FetchResult refused = http::fetch("GET", url, {}, "", options);
  EXPECT_EQ(refused.failure, http::FetchResult::Failure::tls) << refused.error;
  write_text(ca, read_text(ms_.ca_file()));
  EXPECT_TRUE(http::fetch("GET", url, {}, "", options).ok());
  std::filesystem::remove(ca);
  EXPECT_EQ(http::fetch("GET", url, {}, "", options).failure, http::FetchResult::Failure::tls);
}

TEST_F(MotherShipTest, AdminApiAddsShowsAndRevokes) {
  ms_.start();
  std::string body;
  auto admin = [&](std::vector<std::string> args) {
    auto auth = ms_.admin_auth();
    args.insert(args.begin(), auth.begin(), auth.end());
    return status_and_body(ms_, args, body, dir_);
  };
  EXPECT_EQ(status_and_body(ms_, {ms_.admin_url("/admin/v1/devices/1")}, body, dir_), 401);
  EXPECT_EQ(admin({"--data-binary", device_record(1) + device_record(2),
                   ms_.admin_url("/admin/v1/devices")}),
            200);
  EXPECT_EQ(json_of(body)["added"], 2);
  EXPECT_EQ(admin({"--data-binary", device_record(3) + device_record(2),
                   ms_.admin_url("/admin/v1/devices")}),
            409);
  EXPECT_NE(body.find("00000002"), std::string::npos);
  EXPECT_EQ(admin({ms_.admin_url("/admin/v1/devices/3")}), 404);  // all or nothing
  // The admin API is not on the public listener.
  EXPECT_EQ(get("/admin/v1/devices/1", body, ms_.admin_auth()), 404);

  EXPECT_EQ(admin({"-X", "POST", ms_.admin_url("/admin/v1/devices/1/revoke")}), 200);
  EXPECT_EQ(json_of(body)["state"], "revoked");
  EXPECT_EQ(post(claim_query(1), body), 410);
  EXPECT_EQ(admin({"-X", "POST", ms_.admin_url("/admin/v1/devices/1/unrevoke")}), 200);
  EXPECT_EQ(post(claim_query(1), body), 200);
  EXPECT_EQ(admin({"-X", "POST", ms_.admin_url("/admin/v1/devices/2/revoke")}), 200);
  ASSERT_EQ(post(claim_query(2), body), 410);
  RunResult revoked = ms_.coap_query("urn:dev:ops:32473-Test-2", "device");
  EXPECT_NE(revoked.out.find("4.03"), std::string::npos);
  EXPECT_NE(revoked.out.find("revoked"), std::string::npos) << revoked.out;

  EXPECT_EQ(admin({ms_.admin_url("/admin/v1/devices/1")}), 200);
  EXPECT_EQ(json_of(body)["controller"]["fingerprint"], kControllerFingerprint);
  EXPECT_EQ(admin({ms_.admin_url("/admin/v1/audit?after=0")}), 200);
  auto entries = lines_of(body);
  ASSERT_GE(entries.size(), 5u);
  EXPECT_EQ(json_of(entries[0])["action"], "import");
  EXPECT_EQ(ms_.stop(), 0);
  RunResult verify = ms_.cli({"audit", "verify", "--json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(json_of(verify.out)["ok"], true);
}

// 64 racers a round from one address is the per-client connection budget
// exactly: on a loaded machine the last round's connections were sometimes not
// yet closed server-side when the next round's opened, and the budget refused
// one ("connection budget reached ... refused=1", curl's 000; seen twice in
// 100 rounds at load 8). This test is about the claim, not the budget (which
// robustness_test checks), so it gives the budget room for two rounds.
class MotherShipRaceTest : public MotherShipTest {
 protected:
  MotherShipRaceTest() : MotherShipTest({"--max-connections-per-client", "128"}) {}
};

TEST_F(MotherShipRaceTest, RacingClaimsHaveExactlyOneWinnerEveryTime) {
  constexpr int kRounds = 100;
  constexpr int kRacers = 64;
  std::string records;
  for (int n = 1; n <= kRounds; ++n)
    records += device_record(static_cast<std::uint32_t>(n));
  ms_.import(records);
  ms_.start();
  for (int n = 1; n <= kRounds; ++n) {
    // One curl process, 64 connections at once, all with the right OTP.
    std::vector<std::string> args{
        "--parallel", "--parallel-immediate", "--parallel-max", std::to_string(kRacers),
        "-w",         "%{http_code}\\n"};
    for (int i = 0; i < kRacers; ++i) {
      args.insert(args.end(),
                  {"-X", "POST", "-o", "/dev/null",
                   ms_.url("/.well-known/tte?" + claim_query(static_cast<std::uint32_t>(n)))});
    }
    RunResult result = ms_.curl(args);
    std::map<std::string, int> codes;
    for (const auto& code : lines_of(result.out))
      codes[code]++;
    ASSERT_EQ(codes["200"], 1) << "round " << n << ": " << result.out;
    // The others see it used, or find the Dev ID's checks all in flight (429:
    // each check holds a slot until its answer, protocol.md section 11).
    ASSERT_EQ(codes["409"] + codes["429"], kRacers - 1) << "round " << n << ": " << result.out;
  }
}

TEST_F(MotherShipTest, UnknownDevIdAndWrongOtpAreByteIdentical) {
  ms_.import(device_record(1));
  ms_.start();
  auto raw = [&](const std::string& method, const std::string& target) {
    return ms_.curl({"-i", "-X", method, ms_.url(target)}).out;
  };
  std::string wrong = raw("POST", "/.well-known/tte?" + claim_query(1, "00000000000000ff"));
  std::string unknown = raw("POST", "/.well-known/tte?" + claim_query(2, "00000000000000ff"));
  EXPECT_EQ(wrong, unknown);
  EXPECT_NE(wrong.find("403"), std::string::npos);
  EXPECT_EQ(raw("GET", "/.well-known/tte/status?otp=00000000000000ff&devid=00000001"),
            raw("GET", "/.well-known/tte/status?otp=00000000000000ff&devid=00000002"));
}

TEST_F(MotherShipTest, KillNineDuringClaimsLosesNoAnsweredClaim) {
  constexpr int kDevices = 2000;
  std::string records;
  for (int n = 1; n <= kDevices; ++n)
    records += device_record(static_cast<std::uint32_t>(n));
  ms_.import(records);
  ms_.start();
  // 16 installers at once claim 2,000 devices; the server dies mid-way.
  std::vector<std::string> argv{
      "curl",
      "-s",
      "--cacert",
      ms_.data_dir() + "/ca.crt",
      "--resolve",
      std::string(MotherShipProcess::kHost) + ":" + std::to_string(ms_.https_port()) + ":127.0.0.1",
      "--parallel",
      "--parallel-max",
      "16",
      "-w",
      "%{http_code} %{url}\\n"};
  for (int n = 1; n <= kDevices; ++n) {
    argv.insert(argv.end(),
                {"-X", "POST", "-o", "/dev/null",
                 ms_.url("/.well-known/tte?" + claim_query(static_cast<std::uint32_t>(n)))});
  }
  Process client(argv, dir_.file("curl.log"));
  std::vector<std::string> answers;
  while (answers.size() < 500)
    answers.push_back(client.read_line(60s));
  ms_.kill9();
  while (true) {
    try {
      answers.push_back(client.read_line(60s));
    } catch (const std::exception&) {
      break;  // curl finished: the rest failed to connect
    }
  }
  client.wait(60s);
  std::set<std::string> confirmed;
  for (const auto& answer : answers) {
    if (answer.rfind("200 ", 0) == 0) {
      auto devid = answer.substr(answer.find("devid=") + 6, 8);
      confirmed.insert(devid);
    }
  }
  ASSERT_GE(confirmed.size(), 500u);
  ASSERT_LT(confirmed.size(), static_cast<std::size_t>(kDevices))
      << "the server died too late to test anything";

  RunResult integrity =
      run({"sqlite3", ms_.data_dir() + "/mothership.db", "PRAGMA integrity_check;"});
  EXPECT_EQ(integrity.out, "ok\n") << integrity.err;
  RunResult mapped = run({"sqlite3", ms_.data_dir() + "/mothership.db",
                          "SELECT printf('%08x', devid) FROM devices WHERE state = 1;"});
  std::set<std::string> stored;
  for (const auto& line : lines_of(mapped.out))
    stored.insert(line);
  for (const auto& devid : confirmed)
    EXPECT_TRUE(stored.count(devid)) << devid << " got 200 but is not stored";
  RunResult verify = ms_.cli({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // After a restart the MotherShip answers as before.
  ms_.start();
  std::string body;
  EXPECT_EQ(
      post(claim_query(static_cast<std::uint32_t>(std::stoul(*confirmed.begin(), nullptr, 16))),
           body),
      409);
}

class MotherShipLockTest : public MotherShipTest {
 protected:
  // One check back every 3 s, so that the owner's wait is seen in a test.
  MotherShipLockTest()
      : MotherShipTest({"--client-failure-limit", "0", "--otp-check-interval", "3"}) {}

  int retry_after_of(const std::string& response) {
    auto at = response.find("Retry-After: ");
    return at == std::string::npos ? -1 : std::atoi(response.c_str() + at + 13);
  }
};

TEST_F(MotherShipLockTest, TenWrongOtpsSpendTheChecksAcrossARestartAndTheOwnerWaitsOneInterval) {
  ms_.import(device_record(1));
  ms_.start();
  std::string body;
  for (int i = 0; i < 10; ++i) {
    char wrong[17];
    std::snprintf(wrong, sizeof wrong, "%016x", 0xbad0 + i);
    ASSERT_EQ(post(claim_query(1, wrong), body), 403);
  }
  RunResult locked = ms_.curl({"-i", "-X", "POST", ms_.url("/.well-known/tte?" + claim_query(1))});
  EXPECT_NE(locked.out.find("HTTP/1.1 429"), std::string::npos) << locked.out;
  int retry_after = retry_after_of(locked.out);
  EXPECT_GE(retry_after, 1) << locked.out;
  EXPECT_LE(retry_after, 3) << locked.out;
  EXPECT_EQ(get("/.well-known/tte/status?otp=" + otp_of(1) + "&devid=" + devid_of(1), body), 429);

  // A restart gives nothing back.
  EXPECT_EQ(ms_.stop(), 0);
  ms_.start();
  RunResult still = ms_.curl({"-i", "-X", "POST", ms_.url("/.well-known/tte?" + claim_query(1))});
  ASSERT_NE(still.out.find("HTTP/1.1 429"), std::string::npos) << still.out;
  // The owner, retrying as told, is in after one interval.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 429;
  while (status == 429 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    status = post(claim_query(1), body);
  }
  EXPECT_EQ(status, 200) << body;

  // The database holds no OTP in clear, in any form.
  ms_.stop();
  std::string database = read_text(ms_.data_dir() + "/mothership.db") +
                         read_text(ms_.data_dir() + "/mothership.db-wal");
  ASSERT_GT(database.size(), 0u);
  std::string otp = otp_of(1);
  std::string upper = otp;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(c));
  std::string raw_bytes;
  for (int i = 0; i < 8; ++i)
    raw_bytes += static_cast<char>(std::stoi(otp.substr(2 * i, 2), nullptr, 16));
  EXPECT_EQ(database.find(otp), std::string::npos);
  EXPECT_EQ(database.find(upper), std::string::npos);
  EXPECT_EQ(database.find(raw_bytes), std::string::npos);
}

// Issue 14, 4: parallel guesses on the GET paths (status and form) passed the
// limit; each check now takes its slot before any comparison.
class MotherShipGuessTest : public MotherShipTest {
 protected:
  MotherShipGuessTest() : MotherShipTest({"--client-failure-limit", "0"}) {}
};

TEST_F(MotherShipGuessTest, ParallelGuessesOnEveryPathNeverPassTheLimit) {
  ms_.import(device_record(1) + device_record(2));
  ms_.start();
  for (const std::string path : {"/.well-known/tte/status", "/.well-known/tte"}) {
    const std::uint32_t devid = path == "/.well-known/tte" ? 2 : 1;
    std::vector<std::string> args{"--parallel", "--parallel-immediate", "--parallel-max", "64",
                                  "-w",         "%{http_code}\\n"};
    for (int i = 0; i < 64; ++i) {
      char wrong[17];
      std::snprintf(wrong, sizeof wrong, "%016x", 0xbad00 + i);
      args.insert(args.end(), {"-o", "/dev/null", "-H", "Accept: text/html",
                               ms_.url(path + "?otp=" + wrong + "&devid=" + devid_of(devid))});
    }
    RunResult result = ms_.curl(args);
    std::map<std::string, int> codes;
    for (const auto& code : lines_of(result.out))
      codes[code]++;
    EXPECT_EQ(codes["403"], 10) << path << ": " << result.out;
    EXPECT_EQ(codes["429"], 54) << path << ": " << result.out;
  }
}

TEST_F(MotherShipTest, SigtermFinishesCleanly) {
  ms_.start();
  EXPECT_EQ(ms_.stop(), 0);
  std::string log = read_text(ms_.log());
  EXPECT_NE(log.find("stopping signal=SIGTERM"), std::string::npos);
  EXPECT_NE(log.find("stopped"), std::string::npos);
}

class MotherShipJsonLogTest : public MotherShipTest {
 protected:
  MotherShipJsonLogTest() : MotherShipTest({"--log-format", "json"}) {}
};

TEST_F(MotherShipJsonLogTest, LogsOneJsonLinePerRequest) {
  ms_.import(device_record(1));
  ms_.start();
  std::string body;
  ASSERT_EQ(post(claim_query(1), body), 200);
  ASSERT_EQ(get("/nowhere", body), 404);
  ms_.coap_query("urn:dev:ops:32473-Test-1", "device");
  EXPECT_EQ(ms_.stop(), 0);
  int requests = 0;
  for (const auto& line : lines_of(read_text(ms_.log()))) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << line;
    EXPECT_TRUE(json.contains("time") && json.contains("level") && json.contains("msg")) << line;
    if (json["msg"] != "request") continue;
    ++requests;
    if (json["listener"] == "https" && json["path"] == "/.well-known/tte") {
      EXPECT_EQ(json["status"], 200);
      EXPECT_EQ(json["outcome"], "mapped");
      EXPECT_EQ(json["devid"], devid_of(1));
    }
    if (json["listener"] == "coaps") {
      EXPECT_EQ(json["code"], "2.05");
    }
  }
  EXPECT_EQ(requests, 3);
}

TEST(MotherShipCli, EveryCommandHasHelp) {
  RunResult top = run({TTE_MOTHERSHIP_BIN, "--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* command : {"init", "serve", "import", "device", "audit"}) {
    EXPECT_NE(top.out.find(command), std::string::npos);
    RunResult help = run({TTE_MOTHERSHIP_BIN, command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.out.find("--data-dir"), std::string::npos) << command;
    EXPECT_NE(help.out.find("Exit status"), std::string::npos) << command;
  }
  RunResult serve = run({TTE_MOTHERSHIP_BIN, "serve", "--help"});
  for (const char* flag :
       {"--https", "--coaps", "--admin", "--log-format", "--config", "--max-age"}) {
    EXPECT_NE(serve.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(run({TTE_MOTHERSHIP_BIN, "frobnicate"}).exit_code, 2);
  EXPECT_EQ(run({TTE_MOTHERSHIP_BIN, "serve", "--bogus"}).exit_code, 2);
}

TEST(MotherShipCli, InitRefusesTheExampleIdAndAnExistingDirectory) {
  TempDir dir;
  RunResult example =
      run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir.file("a"), "--ms-id", "0"});
  EXPECT_EQ(example.exit_code, 2);
  EXPECT_NE(example.err.find("--allow-example-id"), std::string::npos) << example.err;
  EXPECT_EQ(run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir.file("a"), "--ms-id", "0x1000000"})
                .exit_code,
            2);
  RunResult ok = run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir.file("a"), "--ms-id", "0",
                      "--allow-example-id", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(json_of(ok.out)["host"], "tte-000000.net");
  EXPECT_EQ(json_of(ok.out)["dtls_fingerprint"].get<std::string>().size(), 64u);
  RunResult again = run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir.file("a"), "--ms-id", "10"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already"), std::string::npos);
  // serve --ms-id must name the MS ID init made the database with.
  RunResult other_id =
      run({TTE_MOTHERSHIP_BIN, "serve", "--data-dir", dir.file("a"), "--ms-id", "5", "--https",
           "127.0.0.1:0", "--coaps", "127.0.0.1:0", "--admin", "127.0.0.1:0"},
          "", std::chrono::seconds(20));
  EXPECT_EQ(other_id.exit_code, 1);
  EXPECT_NE(other_id.err.find("is not the MS ID"), std::string::npos) << other_id.err;
  // No command takes a password in the URI (libpq's messages would quote pieces of it).
  for (const char* uri :
       {"postgresql://tte:S3%ZZCRET@127.0.0.1/tte", "postgresql://tte:S3C@RET@127.0.0.1/tte",
        "postgresql://127.0.0.1/tte?sslpassword=S3CRET"}) {
    RunResult audit = run(
        {TTE_MOTHERSHIP_BIN, "audit", "verify", "--data-dir", dir.file("a"), "--database", uri});
    EXPECT_EQ(audit.exit_code, 2) << uri;
    EXPECT_NE(audit.err.find(".pgpass"), std::string::npos) << audit.err;
    EXPECT_EQ(audit.err.find("S3"), std::string::npos) << audit.err;
    EXPECT_EQ(audit.err.find("RET"), std::string::npos) << audit.err;
  }
  RunResult not_a_dir = run({TTE_MOTHERSHIP_BIN, "serve", "--data-dir", dir.file("b")});
  EXPECT_EQ(not_a_dir.exit_code, 1);
  EXPECT_NE(not_a_dir.err.find("tte-mothership init"), std::string::npos);
}

TEST(MotherShipCli, ImportNamesTheBadLineAndTheDuplicate) {
  TempDir dir;
  MotherShipProcess ms(dir);
  write_text(dir.file("bad.jsonl"), device_record(1) + "{\"devid\":\"2\"}\n");
  RunResult bad = ms.cli({"import", dir.file("bad.jsonl")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad.jsonl:2: urn"), std::string::npos) << bad.err;
  write_text(dir.file("good.jsonl"), device_record(1) + device_record(2));
  RunResult good = ms.cli({"import", dir.file("good.jsonl"), "--json"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(json_of(good.out)["imported"], 2);
  write_text(dir.file("dup.jsonl"), device_record(3) + device_record(2));
  RunResult duplicate = ms.cli({"import", dir.file("dup.jsonl")});
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_NE(duplicate.err.find("00000002"), std::string::npos) << duplicate.err;
  RunResult shown = ms.cli({"device", "show", "3", "--json"});
  EXPECT_EQ(shown.exit_code, 1);  // the duplicate file imported nothing
  RunResult revoke = ms.cli({"device", "revoke", "1", "--json"});
  EXPECT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(json_of(revoke.out)["state"], "revoked");
  EXPECT_EQ(ms.cli({"audit", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace tte::test
