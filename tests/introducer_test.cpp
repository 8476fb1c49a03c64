// tte-introducer as an installer runs it, against a real MotherShip with a
// factory batch: labels from `tte-mothership manufacture`, photos of them made
// with ImageMagick, an independent HTTP peer standing in for a Controller.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/http_peer.hpp"
#include "support/mothership.hpp"
#include "support/process.hpp"

namespace tte::test {
namespace {

constexpr const char* kController = "192.0.2.7:5684";

unsigned mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

int count_of(const std::string& text, const std::string& part) {
  int count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

class IntroducerTest : public ::testing::Test {
 protected:
  IntroducerTest() : ms_(dir_) {}

  void SetUp() override {
    ms_.start();
    RunResult minted =
        ms_.cli({"manufacture", "--count", "4", "--out", dir_.file("batch"), "--json"});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- mothership log ---\n" << read_text(ms_.log()) << "\n";
  }

  nlohmann::json bundle(int n) const {
    char name[32];
    std::snprintf(name, sizeof name, "batch/bundles/%08x.json", n);
    return nlohmann::json::parse(read_text(dir_.file(name)));
  }
  std::string label(int n) const {
    char name[32];
    std::snprintf(name, sizeof name, "batch/labels/%08x.png", n);
    return dir_.file(name);
  }
  std::string url(int n) const { return bundle(n)["enrollment_url"]; }
  std::string fingerprint(int n) const { return bundle(n)["device"]["fingerprint"]; }
  std::string urn(int n) const { return bundle(n)["urn"]; }

  // tte-introducer with its own data dir, trusting the MotherShip's CA and reaching it on loopback.
  RunResult introducer(std::vector<std::string> args, bool trust_mothership = true) const {
    std::vector<std::string> argv{TTE_INTRODUCER_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--data-dir", dir_.file("introducer")});
    if (trust_mothership)
      argv.insert(argv.end(), {"--cafile", ms_.ca_file(), "--connect-to", ms_.connect_to()});
    return run(argv);
  }
  RunResult enroll(const std::string& device, std::vector<std::string> more = {}) const {
    std::vector<std::string> args{"enroll",
                                  device,
                                  "--controller",
                                  kController,
                                  "--controller-fingerprint",
                                  kControllerFingerprint};
    args.insert(args.end(), more.begin(), more.end());
    return introducer(args);
  }
  std::string state_at_mothership(int n) const {
    RunResult shown =
        ms_.cli({"device", "show", devid_of(static_cast<std::uint32_t>(n)), "--json"});
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    return nlohmann::json::parse(shown.out)["state"];
  }
  // The MotherShip's request log lines that name device n.
  int requests_seen_for(const MotherShipProcess& ms, int n) const {
    return count_of(read_text(ms.log()), "devid=" + devid_of(static_cast<std::uint32_t>(n)));
  }

  TempDir dir_;
  MotherShipProcess ms_;
};

TEST_F(IntroducerTest, EnrollsFromTheEnrollmentUrl) {
  RunResult result = enroll(url(1), {"--description", "BLD30/2/361 - Thermostat"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, urn(1))) << result.out;
  EXPECT_TRUE(contains(result.out, fingerprint(1))) << result.out;
  EXPECT_TRUE(contains(result.out, kController)) << result.out;
  EXPECT_EQ(state_at_mothership(1), "mapped");
}

TEST_F(IntroducerTest, EnrollsFromTheFactorysLabelImage) {
  RunResult result = enroll(label(2), {"--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto out = nlohmann::json::parse(result.out);
  EXPECT_EQ(out["outcome"], "mapped");
  EXPECT_EQ(out["device"]["urn"], urn(2));
  EXPECT_EQ(out["device"]["fingerprint"], fingerprint(2));
  EXPECT_EQ(out["device"]["state"], "mapped");
  EXPECT_EQ(out["notice"], "none");
  EXPECT_EQ(state_at_mothership(2), "mapped");
}

TEST_F(IntroducerTest, EnrollsFromAPhotoOfTheLabel) {
  // The label enlarged, seen at a slant, turned, out of focus, grainy, on a
  // larger brown background, saved as a lossy JPEG: what a phone camera gives.
  const std::string photo = dir_.file("photo.jpg");
  RunResult made =
      run({"convert",    label(3),      "-bordercolor",
           "white",      "-border",     "40",
           "-resize",    "180%",        "-virtual-pixel",
           "white",      "-background", "white",
           "-distort",   "Perspective", "0,0 30,0  533,0 500,40  0,647 0,600  533,647 533,647",
           "-rotate",    "23",          "-blur",
           "0x2",        "-attenuate",  "0.6",
           "+noise",     "Gaussian",    "(",
           "-size",      "1600x1200",   "gradient:#9a8f80-#4a4038",
           "-attenuate", "0.8",         "+noise",
           "Gaussian",   ")",           "+swap",
           "-gravity",   "center",      "-geometry",
           "+160-80",    "-composite",  "-quality",
           "75",         photo});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  RunResult decoded = run({TTE_INTRODUCER_BIN, "decode", photo});
  ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, url(3) + "\n");

  RunResult result = enroll(photo);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, urn(3))) << result.out;
  EXPECT_EQ(state_at_mothership(3), "mapped");
}

// Message 3 by LED (docs/introducer.md "From a recording of the LED"): a
// recording of device 3 blinking, made by tte-led-video, read through FFmpeg.
TEST_F(IntroducerTest, EnrollsFromARecordingOfTheLed) {
  RunResult made = run({TTE_LED_VIDEO_BIN, "--url", url(3), "--out", dir_.file("led.mkv"),
                        "--noise", "medium", "--fps", "60", "--seconds", "24", "--seed", "3"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  RunResult result = enroll("", {"--json"});  // no DEVICE and no --video: wrong usage
  EXPECT_EQ(result.exit_code, 2);
  result = introducer({"enroll", "--video", dir_.file("led.mkv"), "--controller", kController,
                       "--controller-fingerprint", kControllerFingerprint, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto out = nlohmann::json::parse(result.out);
  EXPECT_EQ(out["outcome"], "mapped");
  EXPECT_EQ(out["device"]["urn"], urn(3));
  EXPECT_TRUE(contains(result.err, "read from the LED at")) << result.err;
  EXPECT_EQ(state_at_mothership(3), "mapped");
  // The same recording again: the OTP is used.
  result = introducer({"enroll", "--video", dir_.file("led.mkv"), "--controller", kController,
                       "--controller-fingerprint", kControllerFingerprint});
  EXPECT_EQ(result.exit_code, 3) << result.err;
}

TEST_F(IntroducerTest, DecodesARecordingReencodedByFfmpegAndSaysWhyOthersFail) {
  auto decode = [](std::vector<std::string> args) {
    args.insert(args.begin(), {TTE_INTRODUCER_BIN, "decode"});
    return run(args);
  };
  RunResult made = run({TTE_LED_VIDEO_BIN, "--url", url(4), "--out", dir_.file("led.mp4"),
                        "--frame-version", "2", "--seconds", "24", "--seed", "4"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // An independent encoder: FFmpeg's own program, VP9 in WebM at another frame rate.
  RunResult transcoded = run({"ffmpeg", "-loglevel", "error", "-i", dir_.file("led.mp4"), "-r",
                              "50", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                              "-b:v", "400k", dir_.file("led.webm")});
  ASSERT_EQ(transcoded.exit_code, 0) << transcoded.err;
  RunResult result = decode({"--video", dir_.file("led.webm"), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto out = nlohmann::json::parse(result.out);
  EXPECT_EQ(out["url"], url(4));
  EXPECT_EQ(out["frame_version"], 2);
  EXPECT_EQ(out["video"]["codec"], "vp9");
  EXPECT_NEAR(out["bit_rate"].get<double>(), 15, 0.1);
  EXPECT_GT(out["confidence"].get<double>(), 0.3);

  // No LED; two Devices blinking; not a video; a bad --roi.
  made = run({TTE_LED_VIDEO_BIN, "--leds", "0", "--out", dir_.file("dark.mp4"), "--seconds", "12"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  result = decode({"--video", dir_.file("dark.mp4")});
  EXPECT_EQ(result.exit_code, 12);
  EXPECT_TRUE(contains(result.err, "nothing in the picture blinks")) << result.err;
  EXPECT_TRUE(contains(result.err, "manual code")) << result.err;
  made = run({TTE_LED_VIDEO_BIN, "--leds", "2", "--frame-version", "2", "--out",
              dir_.file("two.mp4"), "--seconds", "24"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  result = decode({"--video", dir_.file("two.mp4"), "--allow-example-id", "--json"});
  EXPECT_EQ(result.exit_code, 12);
  EXPECT_TRUE(contains(result.out, "two LEDs blink")) << result.out;
  EXPECT_TRUE(contains(result.out, "--roi")) << result.out;
  result = decode({"--video", label(1)});  // a still picture: one video frame
  EXPECT_EQ(result.exit_code, 12) << result.err;
  EXPECT_TRUE(contains(result.err, "too few video frames")) << result.err;
  result = decode({"--video", dir_.file("batch/bundles/00000001.json")});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_TRUE(contains(result.err, "00000001.json")) << result.err;
  result = decode({"--video", dir_.file("led.mp4"), "--roi", "1,2,3"});
  EXPECT_EQ(result.exit_code, 2);
  result = decode({label(1), "--video", dir_.file("led.mp4")});
  EXPECT_EQ(result.exit_code, 2);
}

TEST_F(IntroducerTest, EnrollsFromTheManualCodeTypedByHand) {
  std::string code = bundle(4)["manual_code"];
  // As typed on a phone: lower case, spaces for hyphens, O for 0.
  std::string typed;
  for (char c : code.substr(4))
    typed += c == '-' ? ' ' : c == '0' ? 'O' : static_cast<char>(std::tolower(c));
  RunResult result = enroll(typed);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, urn(4))) << result.out;
  EXPECT_EQ(state_at_mothership(4), "mapped");
}

TEST_F(IntroducerTest, StatusFollowsTheDevice) {
  RunResult before = introducer({"status", url(1), "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(nlohmann::json::parse(before.out)["state"], "unmapped");
  ASSERT_EQ(enroll(url(1)).exit_code, 0);
  RunResult after = introducer({"status", label(1)});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(contains(after.out, ": mapped")) << after.out;
  // Host names are case-insensitive: a --connect-to written in lower case still applies.
  std::string lower = ms_.connect_to();
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  RunResult lowered =
      run({TTE_INTRODUCER_BIN, "status", url(1), "--data-dir", dir_.file("introducer"), "--cafile",
           ms_.ca_file(), "--connect-to", lower});
  EXPECT_EQ(lowered.exit_code, 0) << lowered.err;
}

TEST_F(IntroducerTest, AUsedOtpIsReportedLoudlyWithItsOwnExitCode) {
  ASSERT_EQ(enroll(url(1)).exit_code, 0);
  RunResult again = enroll(label(1));
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_TRUE(contains(again.err, "ONE-TIME PASSWORD HAS ALREADY BEEN USED")) << again.err;
  EXPECT_TRUE(contains(again.err, "may be compromised")) << again.err;
  RunResult as_json = enroll(url(1), {"--json"});
  EXPECT_EQ(as_json.exit_code, 3);
  auto out = nlohmann::json::parse(as_json.out);
  EXPECT_EQ(out["outcome"], "already_used");
  EXPECT_EQ(out["device"]["state"], "mapped");
}

TEST_F(IntroducerTest, RevokedAndUnknownDevicesHaveTheirOwnExitCodes) {
  ASSERT_EQ(ms_.cli({"device", "revoke", devid_of(2)}).exit_code, 0);
  RunResult revoked = enroll(url(2));
  EXPECT_EQ(revoked.exit_code, 5) << revoked.err;
  EXPECT_TRUE(contains(revoked.err, "revoked")) << revoked.err;

  std::string wrong_otp = url(1);
  std::size_t otp = wrong_otp.find("otp=") + 4;
  wrong_otp[otp] = wrong_otp[otp] == '0' ? '1' : '0';
  RunResult unknown = enroll(wrong_otp);
  EXPECT_EQ(unknown.exit_code, 4) << unknown.err;
  EXPECT_EQ(state_at_mothership(1), "unmapped");
}

TEST_F(IntroducerTest, AnUntrustedCertificateAuthorityIsRefusedBeforeTheOtpIsSent) {
  TempDir other_dir;
  MotherShipProcess other(other_dir, {},
                          11);  // its CA is not the one that signed our MotherShip's certificate
  const int seen_before = requests_seen_for(ms_, 1);
  RunResult result =
      run({TTE_INTRODUCER_BIN, "enroll", url(1), "--controller", kController,
           "--controller-fingerprint", kControllerFingerprint, "--data-dir",
           dir_.file("introducer"), "--cafile", other.ca_file(), "--connect-to", ms_.connect_to()});
  EXPECT_EQ(result.exit_code, 8) << result.err;
  EXPECT_TRUE(contains(result.err, "nothing was sent")) << result.err;
  // The system's CAs do not know the test CA either.
  RunResult system_cas = run({TTE_INTRODUCER_BIN, "enroll", url(1), "--controller", kController,
                              "--controller-fingerprint", kControllerFingerprint, "--data-dir",
                              dir_.file("introducer"), "--connect-to", ms_.connect_to()});
  EXPECT_EQ(system_cas.exit_code, 8) << system_cas.err;
  // The MotherShip never saw a request for the device, and the OTP is still good.
  EXPECT_EQ(requests_seen_for(ms_, 1), seen_before);
  EXPECT_EQ(state_at_mothership(1), "unmapped");
  EXPECT_EQ(enroll(url(1)).exit_code, 0);
}

TEST_F(IntroducerTest, ACertificateForAnotherHostIsRefusedBeforeTheOtpIsSent) {
  // A server with a valid certificate, but for tte-00000B.net, answering for our device's
  // tte-00000A.net.
  TempDir other_dir;
  MotherShipProcess impostor(other_dir, {}, 11);
  impostor.start();
  std::string redirect = std::string(MotherShipProcess::kHost) +
                         ":443:127.0.0.1:" + std::to_string(impostor.https_port());
  RunResult result =
      run({TTE_INTRODUCER_BIN, "enroll", url(1), "--controller", kController,
           "--controller-fingerprint", kControllerFingerprint, "--data-dir",
           dir_.file("introducer"), "--cafile", impostor.ca_file(), "--connect-to", redirect});
  EXPECT_EQ(result.exit_code, 8) << result.err;
  EXPECT_TRUE(contains(result.err, "nothing was sent")) << result.err;
  EXPECT_EQ(impostor.stop(), 0);
  // The impostor logs every request it answers: it answered none.
  EXPECT_FALSE(contains(read_text(impostor.log()), "request ")) << read_text(impostor.log());
  EXPECT_EQ(state_at_mothership(1), "unmapped");
}

TEST_F(IntroducerTest, AMotherShipThatIsDownIsReportedAsUnreachable) {
  HttpPeer closed;  // bound, not listening: connections are refused
  RunResult result = run(
      {TTE_INTRODUCER_BIN, "enroll", url(1), "--controller", kController,
       "--controller-fingerprint", kControllerFingerprint, "--data-dir", dir_.file("introducer"),
       "--cafile", ms_.ca_file(), "--connect-to",
       std::string(MotherShipProcess::kHost) + ":443:127.0.0.1:" + std::to_string(closed.port())});
  EXPECT_EQ(result.exit_code, 9) << result.err;
  EXPECT_TRUE(contains(result.err, "cannot be reached")) << result.err;
}

// Issue 14, 7: against a server that accepts and never answers, enroll ran
// for good. Each phase has its own deadline and the documented exit status.
TEST_F(IntroducerTest, AMotherShipThatNeverFinishesTheHandshakeIsGivenUpInTime) {
  HttpPeer silent;
  silent.listen_silently();  // accepts, reads, never answers: no TLS ServerHello either
  auto started = std::chrono::steady_clock::now();
  RunResult result = run(
      {TTE_INTRODUCER_BIN, "enroll", url(1), "--controller", kController,
       "--controller-fingerprint", kControllerFingerprint, "--data-dir", dir_.file("introducer"),
       "--cafile", ms_.ca_file(), "--tls-timeout", "2", "--connect-to",
       std::string(MotherShipProcess::kHost) + ":443:127.0.0.1:" + std::to_string(silent.port())},
      "", 60s);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(result.exit_code, 9) << result.err;
  EXPECT_TRUE(contains(result.err, "no TLS handshake")) << result.err;
  EXPECT_FALSE(contains(result.err, "may have reached")) << result.err;  // nothing was sent
  EXPECT_LT(seconds, 10.0);
}

TEST_F(IntroducerTest, AMotherShipThatNeverAnswersTheClaimIsGivenUpInTimeAndSaysHowToCheck) {
  // A TLS server with the MotherShip's own certificate that reads and never answers.
  std::string port;
  {
    HttpPeer reserved;  // a free port, released for openssl to take
    port = std::to_string(reserved.port());
  }
  Process server({"openssl", "s_server", "-quiet", "-accept", "127.0.0.1:" + port, "-cert",
                  ms_.data_dir() + "/https.crt", "-key", ms_.data_dir() + "/https.key"},
                 dir_.file("s_server.log"), /*with_stdin=*/true);
  // Ready once it accepts connections.
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    ready = run({"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port}, "", 5s).exit_code == 0;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ready);
  auto started = std::chrono::steady_clock::now();
  RunResult result =
      run({TTE_INTRODUCER_BIN, "enroll", url(1), "--controller", kController,
           "--controller-fingerprint", kControllerFingerprint, "--data-dir",
           dir_.file("introducer"), "--cafile", ms_.ca_file(), "--timeout", "2", "--connect-to",
           std::string(MotherShipProcess::kHost) + ":443:127.0.0.1:" + port},
          "", 60s);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(result.exit_code, 9) << result.err;
  EXPECT_TRUE(contains(result.err, "no answer within 2 s")) << result.err;
  EXPECT_TRUE(contains(result.err, "tte-introducer status")) << result.err;
  EXPECT_LT(seconds, 10.0);
}

TEST_F(IntroducerTest, AControllerIntakeThatNeverAnswersLeavesTheNoticeQueuedInTime) {
  HttpPeer controller;
  controller.listen_silently();
  auto started = std::chrono::steady_clock::now();
  RunResult result = enroll(label(1), {"--notify", controller.origin(), "--token", "intake-secret",
                                       "--timeout", "2", "--json"});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["notice"], "queued");
  EXPECT_EQ(state_at_mothership(1), "mapped");
  EXPECT_LT(seconds, 10.0);
}

TEST_F(IntroducerTest, ANoticeForAControllerThatIsDownWaitsAndIsDeliveredLater) {
  HttpPeer controller;  // not accepting yet: the Controller is down
  RunResult result = enroll(label(1), {"--notify", controller.origin(), "--token", "intake-secret",
                                       "--description", "Hall light", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["notice"], "queued");
  EXPECT_EQ(mode_of(dir_.file("introducer/notices.db")), 0600u);  // it holds the OTP and the token

  RunResult still_down = introducer({"notify", "--pending", "--json"});
  ASSERT_EQ(still_down.exit_code, 0) << still_down.err;
  EXPECT_EQ(nlohmann::json::parse(still_down.out)["waiting"], 1);

  controller.listen(201);
  RunResult sent = introducer({"notify", "--pending", "--json"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(nlohmann::json::parse(sent.out)["delivered"], 1);

  auto requests = controller.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/.well-known/tte/devices");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer intake-secret");
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  auto notice = nlohmann::json::parse(requests[0].body);
  EXPECT_EQ(notice["urn"], urn(1));
  EXPECT_EQ(notice["fingerprint"], fingerprint(1));
  EXPECT_EQ(notice["devid"], devid_of(1));
  EXPECT_EQ(notice["otp"], bundle(1)["otp"]);
  EXPECT_EQ(notice["mothership"], MotherShipProcess::kHost);
  EXPECT_EQ(notice["description"], "Hall light");

  RunResult empty = introducer({"notify", "--pending", "--json"});
  EXPECT_EQ(nlohmann::json::parse(empty.out)["delivered"], 0);
  EXPECT_EQ(controller.requests().size(), 1u);
}

// A queue with two sites' notices: a new token or intake must say whose notices
// it is for (each carries its Device's OTP), and then changes only those.
TEST_F(IntroducerTest, ARetargetNamesWhichControllersNoticesItChanges) {
  HttpPeer site_a, site_b;  // both down
  ASSERT_EQ(enroll(label(1), {"--notify", site_a.origin(), "--token", "a-token"}).exit_code, 0);
  ASSERT_EQ(enroll(label(2), {"--notify", site_b.origin(), "--token", "b-token"}).exit_code, 0);
  RunResult ambiguous = introducer({"notify", "--pending", "--token", "new-token"});
  EXPECT_EQ(ambiguous.exit_code, 2) << ambiguous.err;
  EXPECT_TRUE(contains(ambiguous.err, "--for URL")) << ambiguous.err;
  EXPECT_TRUE(contains(ambiguous.err, site_a.origin()) && contains(ambiguous.err, site_b.origin()))
      << ambiguous.err;

  site_a.listen(201);
  site_b.listen(201);
  RunResult sent = introducer(
      {"notify", "--pending", "--token", "new-token", "--for", site_a.origin(), "--json"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(nlohmann::json::parse(sent.out)["delivered"], 2);
  ASSERT_EQ(site_a.requests().size(), 1u);
  EXPECT_EQ(site_a.requests()[0].headers["authorization"], "Bearer new-token");
  ASSERT_EQ(site_b.requests().size(), 1u);
  EXPECT_EQ(site_b.requests()[0].headers["authorization"], "Bearer b-token");
}

TEST_F(IntroducerTest, ANoticeSurvivesTheIntroducerDyingWhileSendingIt) {
  HttpPeer controller;
  controller.listen_silently();  // takes the notice, never answers
  std::vector<std::string> argv{TTE_INTRODUCER_BIN,
                                "enroll",
                                url(1),
                                "--controller",
                                kController,
                                "--controller-fingerprint",
                                kControllerFingerprint,
                                "--notify",
                                controller.origin(),
                                "--token",
                                "t",
                                "--data-dir",
                                dir_.file("introducer"),
                                "--cafile",
                                ms_.ca_file(),
                                "--connect-to",
                                ms_.connect_to()};
  Process introducer_process(argv, dir_.file("introducer.err"));
  // Once the notice is on the wire, pull the plug.
  ASSERT_TRUE(controller.wait_for_requests(1, 30s)) << read_text(dir_.file("introducer.err"));
  introducer_process.signal(SIGKILL);
  EXPECT_EQ(introducer_process.wait(), -SIGKILL);

  auto queue = nlohmann::json::parse(introducer({"notify", "--list", "--json"}).out);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0]["devid"], devid_of(1));
  EXPECT_EQ(queue[0]["controller"], controller.origin());
}

TEST_F(IntroducerTest, ANoticeTheControllerRefusesIsKeptUntilTheTokenIsFixed) {
  HttpPeer controller;
  controller.listen(201, "{}", "right-token");
  RunResult result = enroll(url(1), {"--notify", controller.origin(), "--token", "wrong-token"});
  EXPECT_EQ(result.exit_code, 11) << result.err;
  EXPECT_TRUE(contains(result.err, "wrong intake token")) << result.err;
  EXPECT_EQ(state_at_mothership(1), "mapped");  // the mapping itself stands

  RunResult listed = introducer({"notify", "--list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto queue = nlohmann::json::parse(listed.out);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0]["devid"], devid_of(1));
  EXPECT_EQ(queue[0]["last_error"], "wrong intake token");

  RunResult again = introducer({"notify", "--pending", "--json"});
  EXPECT_EQ(again.exit_code, 11);
  EXPECT_EQ(nlohmann::json::parse(again.out)["refused"], 1);

  RunResult fixed = introducer({"notify", "--pending", "--token", "right-token", "--json"});
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(nlohmann::json::parse(fixed.out)["delivered"], 1);
  auto requests = controller.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].headers["authorization"], "Bearer right-token");
  EXPECT_EQ(nlohmann::json::parse(introducer({"notify", "--list", "--json"}).out).size(), 0u);
}

TEST_F(IntroducerTest, ASiteProfileHoldsTheControllersDetails) {
  HttpPeer controller;
  controller.listen(201);
  RunResult added =
      introducer({"site", "add", "bld30", "--controller", kController, "--controller-fingerprint",
                  kControllerFingerprint, "--notify", controller.origin(), "--token", "site-token"},
                 false);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(mode_of(dir_.file("introducer/sites.json")), 0600u);
  RunResult listed = introducer({"site", "list"}, false);
  EXPECT_TRUE(contains(listed.out, "bld30")) << listed.out;
  RunResult shown = introducer({"site", "show", "bld30", "--json"}, false);
  EXPECT_FALSE(contains(shown.out, "site-token")) << "tokens are not echoed: " << shown.out;

  RunResult result = introducer({"enroll", "--site", "bld30", label(2), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto out = nlohmann::json::parse(result.out);
  EXPECT_EQ(out["controller"], kController);
  EXPECT_EQ(out["notice"], "delivered");
  ASSERT_EQ(controller.requests().size(), 1u);
  EXPECT_EQ(controller.requests()[0].headers["authorization"], "Bearer site-token");

  RunResult missing = introducer({"enroll", "--site", "nowhere", label(3)});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.err, "no site called 'nowhere'")) << missing.err;
  EXPECT_EQ(introducer({"site", "remove", "bld30"}, false).exit_code, 0);
  EXPECT_FALSE(contains(introducer({"site", "list"}, false).out, "bld30"));
}

TEST_F(IntroducerTest, BadInputGetsAClearMessage) {
  std::string code = bundle(1)["manual_code"];
  code[6] = code[6] == 'A' ? 'B' : 'A';
  RunResult typo = enroll(code);
  EXPECT_EQ(typo.exit_code, 12);
  EXPECT_TRUE(contains(typo.err, "check the characters you typed")) << typo.err;

  RunResult missing_file = enroll(dir_.file("no-such-photo.jpg"));
  EXPECT_EQ(missing_file.exit_code, 1);
  EXPECT_TRUE(contains(missing_file.err, "no-such-photo.jpg")) << missing_file.err;

  const std::string blank = dir_.file("blank.png");
  ASSERT_EQ(run({"convert", "-size", "300x300", "xc:white", blank}).exit_code, 0);
  RunResult no_label = enroll(blank);
  EXPECT_EQ(no_label.exit_code, 12);
  EXPECT_TRUE(contains(no_label.err, "no TTE label")) << no_label.err;
  EXPECT_EQ(run({TTE_INTRODUCER_BIN, "decode", blank}).exit_code, 12);

  RunResult no_controller = introducer({"enroll", url(1)});
  EXPECT_EQ(no_controller.exit_code, 2);
  EXPECT_TRUE(contains(no_controller.err, "controller")) << no_controller.err;
  RunResult bad_fingerprint = introducer(
      {"enroll", url(1), "--controller", kController, "--controller-fingerprint", "abc"});
  EXPECT_EQ(bad_fingerprint.exit_code, 2);
  EXPECT_EQ(state_at_mothership(1), "unmapped");
  EXPECT_EQ(run({TTE_INTRODUCER_BIN, "frobnicate"}).exit_code, 2);

  // Deadlines are whole seconds, 1 to 3600: anything else is a usage error naming the option.
  for (const char* seconds : {"soon", "1.5", "3601", "99999999999999999999"}) {
    RunResult bad_timeout = enroll(url(1), {"--connect-timeout", seconds});
    EXPECT_EQ(bad_timeout.exit_code, 2) << seconds << ": " << bad_timeout.err;
    EXPECT_TRUE(
        contains(bad_timeout.err, "--connect-timeout must be a whole number from 1 to 3600"))
        << bad_timeout.err;
  }
  EXPECT_EQ(state_at_mothership(1), "unmapped");
}

// With --json, stdout is exactly one JSON document (one line), or the test fails.
nlohmann::json one_document(const RunResult& result) {
  EXPECT_EQ(count_of(result.out, "\n"), 1)
      << "stdout: " << result.out << "\nstderr: " << result.err;
  auto document = nlohmann::json::parse(result.out, nullptr, false);
  EXPECT_FALSE(document.is_discarded()) << "stdout: " << result.out;
  return document;
}

// The failure document of docs/introducer.md: outcome, exit (the status), error.
void expect_failure(const RunResult& result, const std::string& outcome, int exit,
                    const std::string& error_part) {
  EXPECT_EQ(result.exit_code, exit) << result.err;
  nlohmann::json document = one_document(result);
  ASSERT_TRUE(document.is_object()) << "stdout: " << result.out << "\nstderr: " << result.err;
  EXPECT_EQ(document.value("outcome", ""), outcome) << document;
  EXPECT_EQ(document.value("exit", -1), exit) << document;
  EXPECT_TRUE(contains(document.value("error", ""), error_part)) << document;
}

// Issue 15: --json printed nothing on stdout for some failures.
TEST_F(IntroducerTest, WithJsonEveryOutcomeIsOneJsonDocument) {
  // Wrong usage, wherever it is found.
  expect_failure(introducer({"enroll", url(1), "--bogus", "--json"}), "usage", 2,
                 "unknown option --bogus");
  expect_failure(run({TTE_INTRODUCER_BIN, "frobnicate", "--json"}), "usage", 2,
                 "unknown command 'frobnicate'");
  expect_failure(run({TTE_INTRODUCER_BIN, "decode", "--json"}), "usage", 2, "missing IMAGE");
  expect_failure(introducer({"enroll", url(1), "--json"}), "usage", 2, "--controller");
  RunResult xml = introducer({"status", url(1), "--json", "--log-format", "xml"});
  expect_failure(xml, "usage", 2, "--log-format must be text or json");
  EXPECT_EQ(count_of(xml.err, "--log-format"), 1) << xml.err;
  expect_failure(introducer({"enroll", url(1), "--json", "--controller", kController,
                             "--controller-fingerprint", kControllerFingerprint, "--timeout", "0"}),
                 "usage", 2, "--timeout");
  RunResult no_site = introducer({"site", "show", "nowhere", "--json"}, false);
  expect_failure(no_site, "usage", 2, "no site called 'nowhere'");
  EXPECT_EQ(count_of(no_site.err, "(see "), 1) << no_site.err;  // one pointer: site list
  // Files that cannot be read; no label.
  expect_failure(enroll(dir_.file("no-such-photo.jpg"), {"--json"}), "failure", 1,
                 "no-such-photo.jpg");
  const std::string blank = dir_.file("blank.png");
  ASSERT_EQ(run({"convert", "-size", "300x300", "xc:white", blank}).exit_code, 0);
  expect_failure(run({TTE_INTRODUCER_BIN, "decode", blank, "--json"}), "no_label", 12,
                 "no TTE label");
  expect_failure(enroll(blank, {"--json"}), "no_label", 12, "no TTE label");
  std::string typo = bundle(1)["manual_code"];
  typo[6] = typo[6] == 'A' ? 'B' : 'A';
  expect_failure(enroll(typo, {"--json"}), "no_label", 12, "check the characters you typed");

  // The MotherShip down, too slow, refusing.
  HttpPeer closed;
  expect_failure(run({TTE_INTRODUCER_BIN, "status", url(1), "--json", "--data-dir",
                      dir_.file("introducer"), "--cafile", ms_.ca_file(), "--connect-to",
                      std::string(MotherShipProcess::kHost) +
                          ":443:127.0.0.1:" + std::to_string(closed.port())}),
                 "unreachable", 9, "cannot be reached");
  HttpPeer silent;
  silent.listen_silently();
  expect_failure(
      run({TTE_INTRODUCER_BIN, "enroll", url(1), "--json", "--controller", kController,
           "--controller-fingerprint", kControllerFingerprint, "--data-dir",
           dir_.file("introducer"), "--cafile", ms_.ca_file(), "--tls-timeout", "1", "--connect-to",
           std::string(MotherShipProcess::kHost) +
               ":443:127.0.0.1:" + std::to_string(silent.port())},
          "", 60s),
      "unreachable", 9, "no TLS handshake");
  std::string wrong_otp = url(1);
  std::size_t otp = wrong_otp.find("otp=") + 4;
  wrong_otp[otp] = wrong_otp[otp] == '0' ? '1' : '0';
  expect_failure(enroll(wrong_otp, {"--json"}), "not_recognised", 4, "does not recognise");
  ASSERT_EQ(enroll(url(1)).exit_code, 0);
  RunResult used = enroll(url(1), {"--json"});
  expect_failure(used, "already_used", 3, "ALREADY BEEN USED");
  EXPECT_EQ(nlohmann::json::parse(used.out)["device"]["state"], "mapped");

  // Mapped, but the Controller refused the notice.
  HttpPeer controller;
  controller.listen(201, "{}", "right-token");
  RunResult refused =
      enroll(url(2), {"--notify", controller.origin(), "--token", "wrong-token", "--json"});
  expect_failure(refused, "mapped", 11, "refused the notice");
  EXPECT_EQ(nlohmann::json::parse(refused.out)["notice"], "refused");
  expect_failure(introducer({"notify", "--pending", "--json"}), "", 11, "Refused notices");

  // Success: one document too, without exit or error.
  nlohmann::json status = one_document(introducer({"status", url(1), "--json"}));
  EXPECT_EQ(status["state"], "mapped");
  EXPECT_FALSE(status.contains("exit"));
  EXPECT_EQ(one_document(run({TTE_INTRODUCER_BIN, "decode", label(3), "--json"}))[0]["url"],
            url(3));
}

TEST_F(IntroducerTest, MessagesCanBeJsonLinesForScripts) {
  ASSERT_EQ(enroll(url(1)).exit_code, 0);
  RunResult again = enroll(url(1), {"--json", "--log-format", "json"});
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_EQ(nlohmann::json::parse(again.out)["outcome"], "already_used");
  auto line = nlohmann::json::parse(again.err);  // one JSON line, no banner
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["outcome"], "already_used");
  EXPECT_TRUE(contains(line["msg"], "ALREADY BEEN USED")) << again.err;
  EXPECT_EQ(introducer({"status", url(1), "--log-format", "xml"}).exit_code, 2);
}

// Issue 15: a label of the example MotherShip (MS ID 0, the demo's) read as
// "no TTE label found"; the Introducer says what it is and which option reads it.
TEST(IntroducerExampleLabels, AreNamedAsTheExampleMotherShipsWithTheOptionThatReadsThem) {
  TempDir dir;
  RunResult init = run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir.file("ms0"), "--ms-id", "0",
                        "--allow-example-id", "--coaps-public", "127.0.0.1:5684"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  RunResult minted = run({TTE_MOTHERSHIP_BIN, "manufacture", "--data-dir", dir.file("ms0"),
                          "--allow-example-id", "--count", "1", "--out", dir.file("batch")});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  const std::string label = dir.file("batch/labels/00000001.png");
  const auto bundle = nlohmann::json::parse(read_text(dir.file("batch/bundles/00000001.json")));
  const std::string url = bundle["enrollment_url"], code = bundle["manual_code"];

  RunResult refused = run({TTE_INTRODUCER_BIN, "decode", label});
  EXPECT_EQ(refused.exit_code, 12);
  EXPECT_FALSE(contains(refused.err, "no TTE label")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "reserved example MotherShip (MS ID 0")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--allow-example-id")) << refused.err;
  RunResult decoded = run({TTE_INTRODUCER_BIN, "decode", label, "--allow-example-id"});
  EXPECT_EQ(decoded.exit_code, 0) << decoded.err;
  EXPECT_EQ(decoded.out, url + "\n");

  // enroll and status read labels the same way: from the image, the URL and the manual code.
  for (const std::string& device : {label, url, code}) {
    RunResult enroll = run({TTE_INTRODUCER_BIN, "enroll", device, "--controller", kController,
                            "--controller-fingerprint", kControllerFingerprint, "--data-dir",
                            dir.file("introducer")});
    EXPECT_EQ(enroll.exit_code, 12) << enroll.err;
    EXPECT_TRUE(contains(enroll.err, "--allow-example-id")) << enroll.err;
    RunResult status =
        run({TTE_INTRODUCER_BIN, "status", device, "--data-dir", dir.file("introducer")});
    EXPECT_EQ(status.exit_code, 12) << status.err;
    EXPECT_TRUE(contains(status.err, "--allow-example-id")) << status.err;
  }
}

TEST(IntroducerHelp, EveryCommandHasHelpWithTheExitStatuses) {
  RunResult top = run({TTE_INTRODUCER_BIN, "--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* command : {"enroll", "status", "decode", "notify", "site"}) {
    EXPECT_TRUE(contains(top.out, command)) << command;
    RunResult help = run({TTE_INTRODUCER_BIN, command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_TRUE(contains(help.out, "Usage: tte-introducer " + std::string(command))) << help.out;
    EXPECT_TRUE(contains(help.out, "THE OTP HAS ALREADY BEEN USED")) << command;
  }
}

TEST(IntroducerHelp, TheDocumentListsEveryExitStatusOfTheHelp) {
  const std::string document = read_text(std::string(TTE_DOCS_DIR) + "/introducer.md");
  std::istringstream help(run({TTE_INTRODUCER_BIN, "enroll", "--help"}).out);
  std::string line;
  int statuses = 0;
  bool in_statuses = false;
  while (std::getline(help, line)) {
    if (line == "Exit status:") {
      in_statuses = true;
      continue;
    }
    if (!in_statuses || line.empty()) continue;
    int status = std::stoi(line);
    EXPECT_TRUE(contains(document, "\n| " + std::to_string(status) + " | "))
        << "docs/introducer.md lacks " << line;
    ++statuses;
  }
  EXPECT_EQ(statuses, 14);
}

}  // namespace
}  // namespace tte::test
