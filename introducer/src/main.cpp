// tte-introducer: the installer's agent (draft messages 3-6 and the status
// query). Options and printing only, over device input, the enrollment
// workflow (enrollment.hpp), the MotherShip client, the notice queue and site
// profiles.
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "device_input.hpp"
#include "enrollment.hpp"
#include "led_recording.hpp"
#include "mothership_client.hpp"
#include "notices.hpp"
#include "sites.hpp"
#include "tte/hex.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/host/rfc3339.hpp"
#include "tte/manual_code.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/log.hpp"

namespace tte::introducer {
namespace {

constexpr const char* kExitCodes =
    "Exit status:\n"
    "   0  done (enroll: the device is mapped; with --notify the Controller has the notice or it "
    "is queued)\n"
    "   1  failure the message explains (a file, the queue, ...)\n"
    "   2  wrong usage\n"
    "   3  THE OTP HAS ALREADY BEEN USED: someone mapped this device (of a box: the Devices named) "
    "first; it may be compromised\n"
    "   4  the MotherShip does not recognise the device (unknown Dev ID or wrong OTP)\n"
    "   5  the manufacturer has revoked the device\n"
    "   6  too many attempts: the MotherShip asks to wait (Retry-After)\n"
    "   7  the MotherShip refused a field (it is named)\n"
    "   8  the MotherShip's certificate cannot be trusted (wrong name or unknown CA): nothing was "
    "sent\n"
    "   9  the MotherShip cannot be reached, or did not answer in time (--connect-timeout, "
    "--tls-timeout, --timeout; after a sent claim, run `tte-introducer status`)\n"
    "  10  the MotherShip failed (5xx) or answered nonsense\n"
    "  11  mapped, but the Controller refused the notice (wrong token?); notify: a notice was "
    "refused\n"
    "  12  no valid TTE label: none in the image, the URL or manual code is malformed, or no LED "
    "frame could be read from the recording (--video)\n"
    "  13  a box is mapped, but the Controller refused some of its notices (those are listed)";

// Messages for the installer on stderr: plain text, or JSON lines with --log-format json.
class Say {
 public:
  void set_format(LogFormat format) { format_ = format; }
  void error(const std::string& message, std::initializer_list<LogField> fields = {}) const {
    if (format_ == LogFormat::json) {
      Logger("tte-introducer", LogFormat::json).log(LogLevel::error, message, fields);
    } else {
      std::cerr << message << "\n";
    }
  }
  void note(const std::string& message) const {
    if (format_ == LogFormat::json) {
      Logger("tte-introducer", LogFormat::json).log(LogLevel::warning, message);
    } else {
      std::cerr << message << "\n";
    }
  }
  // A warning no installer can miss.
  void alarm(const std::vector<std::string>& lines, std::initializer_list<LogField> fields) const {
    if (format_ == LogFormat::json) {
      std::string message;
      for (const auto& line : lines)
        message += (message.empty() ? "" : " ") + line;
      Logger("tte-introducer", LogFormat::json).log(LogLevel::error, message, fields);
      return;
    }
    std::size_t width = 0;
    for (const auto& line : lines)
      width = std::max(width, line.size());
    const std::string rule(width + 8, '!');
    std::cerr << "\n" << rule << "\n";
    for (const auto& line : lines)
      std::cerr << "!!  " << line << std::string(width - line.size(), ' ') << "  !!\n";
    std::cerr << rule << "\n\n";
  }

 private:
  LogFormat format_ = LogFormat::text;
};
Say say;

// With --json, stdout holds one JSON document whatever the outcome
// (docs/introducer.md): a command prints its own, and main() prints the failure
// document of a command that failed before it did.
class JsonOutput {
 public:
  // Before the command line is parsed (it may be what fails): whether it asks for JSON.
  void guess_from(const std::vector<std::string>& args) {
    for (const auto& arg : args) {
      if (arg == "--") break;
      if (arg == "--json") json_ = true;
    }
  }
  void set_wanted(bool json) { json_ = json; }
  bool wanted() const { return json_; }
  void print(const nlohmann::ordered_json& document) {
    std::cout << document.dump() << "\n";
    printed_ = true;
  }
  bool printed() const { return printed_; }

 private:
  bool json_ = false;
  bool printed_ = false;
};
JsonOutput json_output;

std::string default_data_dir() {
  const char* config = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  if (config && *config) return std::string(config) + "/tte-introducer";
  return std::string(home && *home ? home : ".") + "/.config/tte-introducer";
}

void output_options(CommandLine& cli) {
  cli.flag("json", "print the result on stdout as one JSON document")
      .option("log-format", "text|json", "how messages on stderr look", "text")
      .epilog(kExitCodes);
}

void common_options(CommandLine& cli) {
  cli.option("data-dir", "DIR", "where site profiles and queued notices live", default_data_dir())
      .option("cafile", "PEM", "trust only this CA for the MotherShip (default: the system's CAs)")
      .option("connect-to", "HOST:PORT:ADDR:PORT",
              "reach HOST:PORT at ADDR:PORT, still checking HOST's certificate (like curl; for "
              "test beds "
              "without DNS)")
      .flag("allow-example-id", "accept labels of the example MotherShip ID 0 (demos and tests)")
      .option("connect-timeout", "SECONDS",
              "give up on a connection (MotherShip or Controller) not made in this time", "10")
      .option("tls-timeout", "SECONDS", "give up on a TLS handshake not finished in this time",
              "10")
      .option("timeout", "SECONDS",
              "give up on an answer (the request sent, the whole answer read) not in this time",
              "30");
  output_options(cli);
}

bool parse(CommandLine& cli, const std::vector<std::string>& args) {
  if (!cli.parse(args)) return false;
  json_output.set_wanted(cli.has("json"));
  try {
    say.set_format(parse_log_format(cli.require("log-format")));
  } catch (const UsageError&) {
    throw;
  } catch (const StartupError& e) {
    throw UsageError(e.what());  // it names --log-format
  }
  return true;
}

http::ClientOptions client_options(const CommandLine& cli) {
  http::ClientOptions options;
  options.ca_file = cli.get("cafile");
  options.connect_to = cli.get("connect-to");
  auto seconds = [&](const char* name) {
    return std::chrono::seconds(cli.require_int(name, 1, 3600));
  };
  options.connect_timeout = seconds("connect-timeout");
  options.tls_timeout = seconds("tls-timeout");
  options.timeout = seconds("timeout");
  return options;
}

IdPolicy policy_of(const CommandLine& cli) {
  return cli.has("allow-example-id") ? IdPolicy::allow_example : IdPolicy::operational;
}

std::string data_file(const CommandLine& cli, const char* name) {
  std::string dir = cli.require("data-dir");
  make_private_directory(dir);
  return dir + "/" + name;
}

// A file name as stored for later runs (from any working directory).
std::string absolute_path(const std::string& path) {
  return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

// --controller and --controller-fingerprint, as a site without an intake.
Site controller_of(const CommandLine& cli) {
  auto controller = ControllerAddress::parse(cli.require("controller"));
  if (!controller.ok())
    throw UsageError(std::string("--controller: ") + controller.error().message);
  auto fingerprint = Fingerprint::parse(cli.require("controller-fingerprint"));
  if (!fingerprint.ok())
    throw UsageError(std::string("--controller-fingerprint: ") + fingerprint.error().message);
  Site site{};
  site.controller = controller.value();
  site.controller_fingerprint = fingerprint.value();
  return site;
}

// --notify, --token and --notify-cafile over what a site holds.
void apply_notice_options(const CommandLine& cli, Site& site) {
  if (auto notify = cli.get("notify")) site.notify_url = *notify;
  if (auto token = cli.get("token")) site.token = *token;
  if (auto ca = cli.get("notify-cafile")) site.notify_ca_file = absolute_path(*ca);
}

nlohmann::ordered_json state_json(const StateObject& state) {
  return nlohmann::ordered_json::parse(state.to_json());
}

std::string when(const std::optional<std::int64_t>& time) {
  return time ? format_rfc3339(*time) : "-";
}

// Says what went wrong at the MotherShip, loudly for a used OTP. Returns the exit code.
int report_problem(const MotherShipAnswer& answer, const EnrollmentUrl& device, bool json,
                   bool claiming) {
  const std::string devid(device.dev_id().to_string().view());
  const std::string host(device.ms_id().host().view());
  const char* outcome = verdict_name(answer.verdict);
  std::string message;  // what stderr says, and --json's "error"
  switch (answer.verdict) {
    case Verdict::already_used: {
      std::string when_mapped = answer.device && answer.device->mapped_at
                                    ? " on " + when(answer.device->mapped_at)
                                    : std::string();
      const std::vector<std::string> lines{
          "WARNING: THIS DEVICE'S ONE-TIME PASSWORD HAS ALREADY BEEN USED.",
          "Someone mapped device " + devid + " to a Controller before you" + when_mapped + ".",
          "If that was not you or your organisation, the device may be compromised:",
          "do not install it; return it to the manufacturer."};
      for (const auto& line : lines)
        message += (message.empty() ? "" : " ") + line;
      say.alarm(lines, {{"outcome", outcome}, {"devid", devid}});
      break;
    }
    case Verdict::not_recognised:
      message = "The MotherShip does not recognise device " + devid +
                ": the label is not from it, or its OTP is wrong. Check that the whole label "
                "was read.";
      say.error(message, {{"outcome", outcome}, {"devid", devid}});
      break;
    case Verdict::revoked:
      message = "The manufacturer has revoked device " + devid + ". Do not install it.";
      say.error(message, {{"outcome", outcome}, {"devid", devid}});
      break;
    case Verdict::throttled:
      message = "Too many attempts for device " + devid + ": the MotherShip asks to wait " +
                std::to_string(answer.retry_after) + " seconds.";
      say.error(message,
                {{"outcome", outcome}, {"devid", devid}, {"retry_after", answer.retry_after}});
      break;
    case Verdict::rejected:
      message = "The MotherShip refused the request: " + answer.detail;
      say.error(message, {{"outcome", outcome}, {"devid", devid}, {"field", answer.field}});
      break;
    case Verdict::certificate:
      message = "The MotherShip " + host +
                " could not be verified, so nothing was sent to it: " + answer.detail +
                "\n(Is this really the manufacturer's server? Use --cafile for a private CA.)";
      say.error(message, {{"outcome", outcome}, {"devid", devid}});
      break;
    case Verdict::unreachable:
      message = "The MotherShip " + host + " cannot be reached: " + answer.detail;
      say.error(message, {{"outcome", outcome}, {"devid", devid}});
      break;
    case Verdict::mothership_error:
      message = "The MotherShip failed: " + answer.detail;
      say.error(message, {{"outcome", outcome}, {"devid", devid}});
      break;
    case Verdict::ok:
      break;
  }
  const bool claim_may_be_stored = answer.answer_lost && claiming;
  if (claim_may_be_stored) {
    say.note(
        "The claim may have reached the MotherShip before the connection failed. Run "
        "`tte-introducer status` "
        "first: if the device shows as mapped just now, this claim was probably stored, and "
        "enrolling again will "
        "report its OTP as used.");
  }
  const int exit = exit_code_of(answer.verdict);
  if (json) {
    nlohmann::ordered_json out{{"outcome", outcome},
                               {"exit", exit},
                               {"error", message},
                               {"devid", devid},
                               {"detail", answer.detail}};
    if (!answer.field.empty()) out["field"] = answer.field;
    if (answer.device) out["device"] = state_json(*answer.device);
    if (answer.verdict == Verdict::throttled) out["retry_after"] = answer.retry_after;
    if (claim_may_be_stored) out["claim_may_be_stored"] = true;
    json_output.print(out);
  }
  return exit;
}

// --- enroll a box ----------------------------------------------------------

// Says what went wrong with a box claim, loudly for Devices already used. Returns the exit code.
int report_box_problem(const BoxAnswer& answer, const BoxUrl& box, bool json) {
  const std::string first(box.first().to_string().view());
  const std::string range = first + " and the " + std::to_string(box.count() - 1) + " after it";
  const std::string host(box.ms_id().host().view());
  const char* outcome = verdict_name(answer.verdict);
  std::string message;
  switch (answer.verdict) {
    case Verdict::already_used: {
      std::vector<std::string> lines{
          "WARNING: DEVICES OF THIS BOX HAVE ALREADY BEEN USED.",
          "The MotherShip refused the whole box (Dev IDs " + range + "): nothing was mapped.",
          std::to_string(answer.devices.size()) + " Device(s) were mapped or revoked before:"};
      for (const StateObject& state : answer.devices) {
        lines.push_back("  " + std::string(state.dev_id.to_string().view()) + "  " +
                        std::string(state.urn.view()) + "  " + device_state_name(state.state) +
                        (state.mapped_at ? " since " + when(state.mapped_at) : ""));
      }
      lines.push_back(
          "If that was not you or your organisation, these Devices may be compromised:");
      lines.push_back("do not install them; return them to the manufacturer. Enroll the others");
      lines.push_back("one by one from their own labels.");
      for (const auto& line : lines)
        message += (message.empty() ? "" : " ") + line;
      say.alarm(lines, {{"outcome", outcome}, {"first", first}, {"count", box.count()}});
      break;
    }
    case Verdict::not_recognised:
      message = "The MotherShip does not recognise the box " + range +
                ": the label is not from it, or its key is wrong.";
      break;
    case Verdict::revoked:
      message = "The manufacturer has revoked Devices of the box " + range + ".";
      break;
    case Verdict::throttled:
      message = "Too many attempts for the box " + range + ": the MotherShip asks to wait " +
                std::to_string(answer.retry_after) + " seconds.";
      break;
    case Verdict::rejected:
      message = "The MotherShip refused the request: " + answer.detail;
      break;
    case Verdict::certificate:
      message = "The MotherShip " + host +
                " could not be verified, so nothing was sent to it: " + answer.detail +
                "\n(Is this really the manufacturer's server? Use --cafile for a private CA.)";
      break;
    case Verdict::unreachable:
      message = "The MotherShip " + host + " cannot be reached: " + answer.detail;
      break;
    case Verdict::mothership_error:
      message = "The MotherShip failed: " + answer.detail;
      break;
    case Verdict::ok:
      break;
  }
  if (answer.verdict != Verdict::already_used)
    say.error(message, {{"outcome", outcome}, {"first", first}, {"count", box.count()}});
  if (answer.answer_lost) {
    say.note(
        "The box claim may have reached the MotherShip before the connection failed: if you "
        "enroll the box again and its Devices show as used just now, this claim was probably "
        "stored.");
  }
  const int exit = exit_code_of(answer.verdict);
  if (json) {
    nlohmann::ordered_json out{{"outcome", outcome},   {"exit", exit},
                               {"error", message},     {"first", first},
                               {"count", box.count()}, {"detail", answer.detail}};
    if (!answer.field.empty()) out["field"] = answer.field;
    if (answer.verdict == Verdict::already_used) {
      nlohmann::ordered_json used = nlohmann::ordered_json::array();
      for (const StateObject& state : answer.devices)
        used.push_back(state_json(state));
      out["devices"] = used;
    }
    if (answer.verdict == Verdict::throttled) out["retry_after"] = answer.retry_after;
    if (answer.answer_lost) out["claim_may_be_stored"] = true;
    json_output.print(out);
  }
  return exit;
}

// enroll with a box label (docs/introducer.md "A whole box").
int enroll_whole_box(const BoxUrl& box, const Site& site, const std::string& description,
                     const http::ClientOptions& client, NoticeQueue* queue, bool json) {
  Progress progress;
  if (box.count() > kNoticesPerBatch && !site.notify_url.empty()) {
    progress = [](std::size_t done, std::size_t total) {
      say.note("told the Controller about " + std::to_string(done) + " of " +
               std::to_string(total) + " Devices");
    };
  }
  const BoxEnrollmentOutcome outcome =
      enroll_box(box, site, description, peers_over(client), queue, std::time(nullptr), progress);
  if (!outcome.mapped()) return report_box_problem(outcome.claim, box, json);
  const std::string first(box.first().to_string().view());
  std::string refused;
  if (outcome.refused > 0) {
    refused = "The box is mapped, but the Controller refused " + std::to_string(outcome.refused) +
              " of its " + std::to_string(outcome.notices.size()) +
              " notices (listed). They are kept: fix the token or address, then run "
              "`tte-introducer notify --pending --token ...`.";
  }
  if (json) {
    nlohmann::ordered_json devices = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < outcome.claim.devices.size(); ++i) {
      const StateObject& state = outcome.claim.devices[i];
      nlohmann::ordered_json device{
          {"devid", std::string(state.dev_id.to_string().view())},
          {"urn", std::string(state.urn.view())},
          {"fingerprint", state.fingerprint ? nlohmann::ordered_json(std::string(
                                                  state.fingerprint->to_string().view()))
                                            : nlohmann::ordered_json(nullptr)},
          {"state", device_state_name(state.state)}};
      if (!outcome.told) {
        device["notice"] = "none";
      } else {
        const DeliveryReport& report = outcome.delivery[i];
        device["notice"] = report.delivery == Delivery::delivered   ? "delivered"
                           : report.delivery == Delivery::transient ? "queued"
                                                                    : "refused";
        if (!report.detail.empty()) device["notice_detail"] = report.detail;
      }
      devices.push_back(device);
    }
    nlohmann::ordered_json out{{"outcome", "mapped"},
                               {"first", first},
                               {"count", box.count()},
                               {"controller", std::string(site.controller.to_string().view())},
                               {"notices",
                                {{"delivered", outcome.delivered},
                                 {"queued", outcome.queued},
                                 {"refused", outcome.refused}}},
                               {"devices", devices}};
    if (!refused.empty()) {
      out["exit"] = outcome.exit_status();
      out["error"] = refused;
    }
    json_output.print(out);
  } else {
    std::cout << "Mapped the box of " << box.count() << " Devices (" << first
              << " on) to Controller " << site.controller.to_string().view() << ".\n";
    for (std::size_t i = 0; i < outcome.claim.devices.size(); ++i) {
      const StateObject& state = outcome.claim.devices[i];
      std::cout << "  " << state.dev_id.to_string().view() << "  " << state.urn.view() << "  "
                << (state.fingerprint ? std::string(state.fingerprint->to_string().view())
                                      : std::string("none (a PSK Device)"));
      if (outcome.told && outcome.delivery[i].delivery == Delivery::refused)
        std::cout << "  notice refused: " << outcome.delivery[i].detail;
      std::cout << "\n";
    }
    if (outcome.told) {
      std::cout << "  The Controller has been told to expect " << outcome.delivered << " of them";
      if (outcome.fell_back) std::cout << " (one notice at a time: it has no batch intake)";
      std::cout << ".\n";
      if (outcome.queued > 0) {
        std::cout << "  " << outcome.queued
                  << " notices could not be delivered and are queued: run `tte-introducer notify "
                     "--pending` later.\n";
      }
    }
  }
  if (!refused.empty()) say.error(refused, {{"outcome", "notice_refused"}, {"first", first}});
  return outcome.exit_status();
}

// --- the LED, from a recording (docs/introducer.md "From a recording of the LED") ---

void video_options(CommandLine& cli) {
  cli.option("video", "FILE",
             "read the Device from a recording of its blinking LED (any container and codec "
             "FFmpeg reads) instead of its label")
      .option("roi", "X,Y,W,H",
              "with --video: look for the LED only in this rectangle of the picture (pixels)");
}

// The Device in the recording named by --video. Throws CommandFailure{no_label}
// saying why none could be read.
LedRecording read_led(const CommandLine& cli) {
  const std::string path = cli.require("video");
  std::optional<led_video::Roi> roi;
  if (auto text = cli.get("roi")) {
    auto parsed = led_video::parse_roi(*text);
    if (!parsed.ok()) throw UsageError(parsed.error().message);
    roi = *parsed;
  }
  LedRecording recording =
      read_led_recording(path, roi, policy_of(cli), [&](double seconds, double duration) {
        char line[160];
        if (duration > 0) {
          std::snprintf(line, sizeof line, "%s: read %.0f s of %.0f s of video, no LED frame yet",
                        path.c_str(), seconds, duration);
        } else {
          std::snprintf(line, sizeof line, "%s: read %.0f s of video, no LED frame yet",
                        path.c_str(), seconds);
        }
        say.note(line);
      });
  if (!recording.reading.decoded)
    throw CommandFailure{exit_code::no_label, led_failure_message(path, recording)};
  return recording;
}

nlohmann::ordered_json led_json(const LedRecording& recording) {
  const led_video::Reading& r = recording.reading;
  const EnrollmentUrl& device = r.decoded->device;
  auto rounded = [](double value, double scale) { return std::round(value * scale) / scale; };
  return {{"url", std::string(device.to_string().view())},
          {"ms_id", device.ms_id().value()},
          {"devid", std::string(device.dev_id().to_string().view())},
          {"otp", std::string(device.otp().to_string().view())},
          {"code", std::string(manual_code::encode(device).view())},
          {"frame_version", static_cast<int>(r.decoded->version)},
          {"bit_rate", rounded(r.clock.bit_rate, 100)},
          {"led", {{"x", std::lround(r.x)}, {"y", std::lround(r.y)}}},
          {"confidence", rounded(r.confidence, 100)},
          {"frames_read", r.frames_read},
          {"video_time", rounded(r.video_time, 10)},
          {"video",
           {{"container", recording.info.container},
            {"codec", recording.info.codec},
            {"width", recording.info.width},
            {"height", recording.info.height},
            {"frames", recording.frames}}}};
}

std::string led_summary(const LedRecording& recording) {
  const led_video::Reading& r = recording.reading;
  char line[200];
  std::snprintf(line, sizeof line,
                "read from the LED at (%ld, %ld): %.1f bit/s, frame version %d, confidence %.2f, "
                "%zu frame%s, after %.1f s of video",
                std::lround(r.x), std::lround(r.y), r.clock.bit_rate,
                static_cast<int>(r.decoded->version), r.confidence, r.frames_read,
                r.frames_read == 1 ? "" : "s", r.video_time);
  return line;
}

// --- enroll ----------------------------------------------------------------

int run_enroll(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-introducer enroll <URL|IMAGE|CODE> (--controller IP:PORT --controller-fingerprint HEX | "
      "--site NAME) [options]",
      "Maps a device to a Controller at its MotherShip (draft messages 4 and 5). The device comes "
      "from "
      "its label: the Enrollment URL, a photo or scan of the QR code (PNG or JPEG), or the manual "
      "code "
      "typed by hand. The MotherShip's certificate must verify and name the label's host before "
      "anything "
      "is sent. With --notify (or a site that has one), the Controller is then told to expect the "
      "device "
      "(message 6); if it cannot be reached, the notice is queued for `tte-introducer notify "
      "--pending`. A box label maps every Device of the box in one claim, all or none, and tells "
      "the Controller about all of them in batches.");
  cli.positional("DEVICE",
                 "the Enrollment URL, an image of the label, or the manual code; or a box's "
                 "(box URL, box label image, TTB- code): every Device of the box (or --video)",
                 false)
      .option("controller", "IP:PORT",
              "the Controller's CoAPS address, e.g. 192.0.2.7:5684 or [2001:db8::7]:5684")
      .option("controller-fingerprint", "HEX",
              "the fingerprint of the Controller's DTLS key (tte-controller info)")
      .option("site", "NAME", "take the Controller (and notice) settings from a site profile")
      .option("description", "TEXT",
              "where the device is, e.g. \"BLD30/2/361 - Thermostat\" (at most 256 bytes)")
      .option("notify", "URL",
              "the Controller's intake, e.g. http://192.0.2.7:8080, to send message 6 to")
      .option("token", "TOKEN", "the Controller's intake token")
      .option("notify-cafile", "PEM",
              "trust this CA for an https:// intake (default: the system's CAs)")
      .flag("psk",
            "generate a 16-byte PSK for the Device-Controller link (docs/protocol.md 13.3): sent "
            "to the MotherShip (cpsk) and in the notice, printed once; required for a PSK Device");
  video_options(cli);
  common_options(cli);
  if (!parse(cli, args)) return exit_code::ok;
  const bool json = cli.has("json");
  if (!cli.given("DEVICE") && !cli.given("video"))
    throw UsageError(
        "missing DEVICE (the label's URL, an image of it, or its manual code) or "
        "--video FILE");
  if (cli.given("DEVICE") && cli.given("video"))
    throw UsageError("name the Device by its label or by --video FILE, not both");
  if (cli.given("roi") && !cli.given("video")) throw UsageError("--roi goes with --video");
  // A recording is read once the other options have been checked.
  std::optional<EnrollTarget> target;
  if (!cli.given("video")) target = target_from_input(cli.require("DEVICE"), policy_of(cli));
  if (cli.has("psk") && target && std::holds_alternative<BoxUrl>(*target))
    throw UsageError("--psk is for one Device: boxes hold no PSK Devices");

  Site site{};
  if (auto name = cli.get("site")) {
    if (cli.given("controller") || cli.given("controller-fingerprint")) {
      throw UsageError("give either --site or --controller and --controller-fingerprint, not both");
    }
    Sites sites(data_file(cli, "sites.json"));
    auto found = sites.find(*name);
    if (!found) throw UsageError("no site called '" + *name + "' (see tte-introducer site list)");
    site = *found;
  } else {
    site = controller_of(cli);
  }
  apply_notice_options(cli, site);
  std::string description = cli.get_or("description", "");
  if (auto valid = validate_description(description); !valid.ok()) {
    throw UsageError(std::string("--description: ") + valid.error().message);
  }

  const http::ClientOptions client = client_options(cli);

  // Open the queue before the OTP is spent, so that a queue that cannot be
  // written is found while the claim can still be made.
  std::unique_ptr<NoticeQueue> queue;
  if (!site.notify_url.empty()) queue = std::make_unique<NoticeQueue>(data_file(cli, "notices.db"));
  if (!target) {
    const LedRecording recording = read_led(cli);
    say.note(std::string(recording.reading.decoded->device.to_string().view()) + " " +
             led_summary(recording));
    target = recording.reading.decoded->device;
  }
  if (const BoxUrl* box = std::get_if<BoxUrl>(&*target))
    return enroll_whole_box(*box, site, description, client, queue.get(), json);
  const EnrollmentUrl& device = std::get<EnrollmentUrl>(*target);
  std::optional<Psk> link_psk;
  if (cli.has("psk")) {
    Psk fresh{};
    if (!random_bytes(fresh).ok()) throw StartupError("the CSPRNG failed");
    link_psk = fresh;
  }
  const EnrollmentOutcome outcome = enroll(device, site, description, peers_over(client),
                                           queue.get(), std::time(nullptr), link_psk);
  if (!outcome.mapped()) return report_problem(outcome.claim, device, json, true);
  std::string psk_hex;
  if (link_psk) {
    psk_hex.assign(2 * link_psk->size(), '0');
    write_hex_lower(*link_psk, psk_hex.data());
  }
  const StateObject& state = *outcome.claim.device;
  const DeliveryReport& delivery = outcome.delivery;

  std::string refused;
  if (outcome.notice == NoticeOutcome::refused) {
    refused = "The device is mapped, but the Controller refused the notice: " + delivery.detail +
              "\nThe notice is kept: fix the token or address, then run `tte-introducer notify "
              "--pending --token ...`.";
  }
  if (json) {
    nlohmann::ordered_json out{{"outcome", "mapped"},
                               {"device", state_json(state)},
                               {"controller", std::string(site.controller.to_string().view())},
                               {"notice", notice_outcome_name(outcome.notice)}};
    if (link_psk) out["psk"] = psk_hex;
    if (!delivery.detail.empty()) out["notice_detail"] = delivery.detail;
    if (!refused.empty()) {
      out["exit"] = outcome.exit_status();
      out["error"] = refused;
    }
    json_output.print(out);
  } else {
    std::cout << "Mapped device " << state.dev_id.to_string().view() << " (" << state.urn.view()
              << ") to Controller " << site.controller.to_string().view() << ".\n"
              << "  Device key fingerprint: "
              << (state.fingerprint ? std::string(state.fingerprint->to_string().view())
                                    : std::string("none (a PSK Device)"))
              << "\n";
    if (link_psk) {
      std::cout << "  Device-Controller PSK:  " << psk_hex
                << "\n  (shown once: the Device gets it from its MotherShip"
                << (outcome.notice == NoticeOutcome::none
                        ? "; give it to the Controller yourself, nothing else keeps it)\n"
                        : ", the Controller from the notice; nothing else keeps it in clear)\n");
    }
    if (outcome.notice == NoticeOutcome::delivered)
      std::cout << "  The Controller has been told to expect it.\n";
    if (outcome.notice == NoticeOutcome::queued) {
      std::cout << "  The Controller could not be reached (" << delivery.detail
                << "); the notice is queued: run `tte-introducer notify --pending` later.\n";
    }
  }
  if (!refused.empty()) {
    say.error(refused, {{"outcome", "notice_refused"},
                        {"devid", std::string(state.dev_id.to_string().view())}});
  }
  return outcome.exit_status();
}

// --- status ----------------------------------------------------------------

int run_status(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-introducer status <URL|IMAGE|CODE> [options]",
      "Asks the device's MotherShip how far the device has come: unmapped, mapped (a Controller is "
      "stored), registered (the device has fetched it) or revoked.");
  cli.positional("DEVICE", "the Enrollment URL, an image of the label, or the manual code");
  common_options(cli);
  if (!parse(cli, args)) return exit_code::ok;
  EnrollmentUrl device = device_from_input(cli.require("DEVICE"), policy_of(cli));
  MotherShipAnswer answer = query_status(device, client_options(cli));
  if (answer.verdict != Verdict::ok) return report_problem(answer, device, cli.has("json"), false);
  const StateObject& state = *answer.device;
  if (cli.has("json")) {
    json_output.print(state_json(state));
  } else {
    std::cout << "Device " << state.dev_id.to_string().view() << " (" << state.urn.view()
              << "): " << device_state_name(state.state) << "\n"
              << "  mapped:      " << when(state.mapped_at) << "\n"
              << "  registered:  " << when(state.registered_at) << "\n"
              << "  fingerprint: "
              << (state.fingerprint ? std::string(state.fingerprint->to_string().view())
                                    : std::string("none (a PSK Device)"))
              << "\n";
  }
  return exit_code::ok;
}

// --- decode ----------------------------------------------------------------

int run_decode(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-introducer decode (IMAGE | --video FILE [--roi X,Y,W,H]) [--json] "
      "[--allow-example-id]",
      "Prints the Enrollment URL of every TTE label in a photo or scan (with --json "
      "also its Dev ID "
      "and manual code), or of the Device whose LED blinks in a recording (--video; "
      "with --json also the bit rate, the LED's place and a confidence). Nothing is "
      "sent anywhere.");
  cli.positional("IMAGE", "a PNG or JPEG image", false)
      .flag("allow-example-id", "accept the example MotherShip ID 0");
  video_options(cli);
  output_options(cli);
  if (!parse(cli, args)) return exit_code::ok;
  const bool json = cli.has("json");
  if (!cli.given("IMAGE") && !cli.given("video")) throw UsageError("missing IMAGE or --video FILE");
  if (cli.given("IMAGE") && cli.given("video"))
    throw UsageError("give an IMAGE of labels or --video FILE, not both");
  if (cli.given("roi") && !cli.given("video")) throw UsageError("--roi goes with --video");
  if (cli.given("video")) {
    const LedRecording recording = read_led(cli);
    if (json) {
      json_output.print(led_json(recording));
    } else {
      std::cout << recording.reading.decoded->device.to_string().view() << "\n";
      say.note(led_summary(recording));
    }
    return exit_code::ok;
  }
  const std::string image = cli.require("IMAGE");
  // Other QR codes in the picture are ignored.
  LabelsFound found = labels_in(read_qr_codes(image), policy_of(cli));
  if (found.devices.empty())
    throw CommandFailure{exit_code::no_label, no_label_message(image, found)};
  nlohmann::ordered_json labels = nlohmann::ordered_json::array();
  for (const auto& device : found.devices) {
    std::string url(device.to_string().view());
    std::string code(manual_code::encode(device).view());
    labels.push_back(
        {{"url", url}, {"devid", std::string(device.dev_id().to_string().view())}, {"code", code}});
    if (!json) std::cout << url << "\n";
  }
  if (json) json_output.print(labels);
  return exit_code::ok;
}

// --- notify ----------------------------------------------------------------

int run_notify(const std::vector<std::string>& args) {
  CommandLine cli("tte-introducer notify (--pending | --list) [options]",
                  "Sends the queued notices (message 6) to their Controllers: those whose "
                  "Controller could not be "
                  "reached or refused them. Delivered ones leave the queue; the others stay, with "
                  "the reason, for "
                  "the next run. --notify, --token and --notify-cafile replace the stored values "
                  "of every queued "
                  "notice (a Controller that moved, a token that was wrong).");
  cli.flag("pending", "send every queued notice")
      .flag("list", "show the queue without sending anything")
      .option("notify", "URL", "send to this intake instead (and remember it)")
      .option("token", "TOKEN", "use this intake token instead (and remember it)")
      .option("notify-cafile", "PEM",
              "trust this CA for an https:// intake instead (and remember it)")
      .option("for", "URL",
              "change only the notices queued for this intake (needed with --notify, --token or "
              "--notify-cafile when the queue holds notices for several Controllers)");
  common_options(cli);
  if (!parse(cli, args)) return exit_code::ok;
  const bool json = cli.has("json");
  if (cli.has("pending") == cli.has("list"))
    throw UsageError("say --pending (send the queue) or --list (show it)");
  NoticeQueue queue(data_file(cli, "notices.db"));

  if (cli.has("list")) {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& queued : queue.pending()) {
      auto notice = queue.notice_of(queued);
      std::string devid = notice.ok() ? std::string(notice->dev_id.to_string().view()) : "?";
      if (json) {
        all.push_back({{"devid", devid},
                       {"controller", queued.target.url},
                       {"queued_at", format_rfc3339(queued.queued_at)},
                       {"attempts", queued.attempts},
                       {"last_error", queued.last_error}});
      } else {
        std::cout << "device " << devid << " -> " << queued.target.url << "  queued "
                  << format_rfc3339(queued.queued_at) << ", " << queued.attempts << " attempt(s)"
                  << (queued.last_error.empty() ? "" : ", last: " + queued.last_error) << "\n";
      }
    }
    if (json) json_output.print(all);
    return exit_code::ok;
  }

  Retarget retarget{cli.get("notify"), cli.get("token"), std::nullopt, cli.get("for")};
  if (auto ca = cli.get("notify-cafile")) retarget.ca_file = absolute_path(*ca);
  if (retarget.only_for && !retarget.any())
    throw UsageError("--for names whose notices --notify, --token or --notify-cafile change");
  if (retarget.any() && !retarget.only_for) {
    // Each notice carries its Device's OTP: one site's new intake or token must
    // not take another site's notices along.
    std::set<std::string> intakes;
    for (const auto& queued : queue.pending())
      intakes.insert(queued.target.url);
    if (intakes.size() > 1) {
      std::string list;
      for (const auto& url : intakes)
        list += (list.empty() ? "" : ", ") + url;
      throw UsageError("the queue holds notices for " + std::to_string(intakes.size()) +
                       " Controllers (" + list + "): say which with --for URL");
    }
  }
  const DeliveryRound round = deliver_pending(queue, client_options(cli), retarget);
  nlohmann::ordered_json notices = nlohmann::ordered_json::array();
  for (const QueuedDelivery& notice : round.notices) {
    const char* outcome = queued_outcome_name(notice.delivery);
    if (json) {
      notices.push_back({{"devid", notice.devid},
                         {"controller", notice.controller},
                         {"outcome", outcome},
                         {"attempts", notice.attempts},
                         {"detail", notice.detail}});
    } else {
      std::cout << "device " << notice.devid << " -> " << notice.controller << ": " << outcome
                << (notice.detail.empty() ? "" : " (" + notice.detail + ")") << "\n";
    }
  }
  const std::string refusal =
      round.refused > 0
          ? "Refused notices stay in the queue: fix the Controller's token or address "
            "(--token, --notify), then run this again."
          : "";
  if (json) {
    nlohmann::ordered_json out{{"delivered", round.delivered},
                               {"waiting", round.waiting},
                               {"refused", round.refused},
                               {"notices", notices}};
    if (round.refused > 0) {
      out["exit"] = round.exit_status();
      out["error"] = refusal;
    }
    json_output.print(out);
  } else {
    std::cout << round.delivered << " delivered, " << round.waiting << " still waiting, "
              << round.refused << " refused.\n";
  }
  if (round.refused > 0) say.error(refusal);
  return round.exit_status();
}

// --- site ------------------------------------------------------------------

int run_site(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-introducer site add|list|show|remove [NAME] [options]",
      "Site profiles hold a Controller's address, fingerprint and notice settings, so that "
      "`tte-introducer enroll --site NAME IMAGE` needs nothing else. They are kept in "
      "DATA-DIR/sites.json "
      "(mode 0600: they may hold intake tokens).");
  cli.positional("ACTION", "add, list, show or remove")
      .positional("NAME", "the site's name (letters, digits, - _ .)", false)
      .option("code", "CODE|IMAGE",
              "add: the controller code from `tte-controller info`, or a picture of its QR code "
              "(holds all of the below)")
      .option("controller", "IP:PORT", "add: the Controller's CoAPS address")
      .option("controller-fingerprint", "HEX", "add: the Controller's DTLS key fingerprint")
      .option("notify", "URL", "add: the Controller's intake URL for message 6")
      .option("token", "TOKEN", "add: the intake token")
      .option("notify-cafile", "PEM", "add: the CA of an https:// intake")
      .option("data-dir", "DIR", "where site profiles live", default_data_dir());
  output_options(cli);
  if (!parse(cli, args)) return exit_code::ok;
  const std::string action = cli.require("ACTION");
  const bool json = cli.has("json");
  Sites sites(data_file(cli, "sites.json"));
  auto site_json = [](const Site& site) {
    return nlohmann::ordered_json{
        {"controller", std::string(site.controller.to_string().view())},
        {"controller_fingerprint", std::string(site.controller_fingerprint.to_string().view())},
        {"notify", site.notify_url},
        {"token", site.token.empty() ? "" : "(set)"},
        {"notify_cafile", site.notify_ca_file}};
  };
  if (action == "list") {
    nlohmann::ordered_json all = nlohmann::ordered_json::object();
    for (const auto& [name, site] : sites.all()) {
      if (json) {
        all[name] = site_json(site);
      } else {
        std::cout << name << "  " << site.controller.to_string().view()
                  << (site.notify_url.empty() ? "" : "  notify " + site.notify_url) << "\n";
      }
    }
    if (json) json_output.print(all);
    return exit_code::ok;
  }
  if (action != "add" && action != "show" && action != "remove") {
    throw UsageError("ACTION must be add, list, show or remove");
  }
  const std::string name = cli.require("NAME");
  if (!valid_site_name(name))
    throw UsageError("site names are 1-64 letters, digits, '-', '_' or '.'");
  if (action == "add") {
    Site site{};
    if (auto code_input = cli.get("code")) {
      if (cli.get("controller") || cli.get("controller-fingerprint"))
        throw UsageError(
            "--code already gives the Controller: leave out --controller and "
            "--controller-fingerprint");
      ControllerCode code = controller_code_from_input(*code_input);
      site = Site{code.address, code.fingerprint, code.notify_url, code.token, ""};
    } else {
      site = controller_of(cli);
    }
    apply_notice_options(cli, site);
    if (!site.token.empty() && site.notify_url.empty()) throw UsageError("--token needs --notify");
    sites.put(name, site);
    sites.save();
    if (json) {
      json_output.print({{"saved", name}});
    } else {
      std::cout << "Saved site " << name << ".\n";
    }
    return exit_code::ok;
  }
  auto site = sites.find(name);
  if (!site) throw UsageError("no site called '" + name + "' (see tte-introducer site list)");
  if (action == "show") {
    if (json) {
      json_output.print(site_json(*site));
    } else {
      std::cout << site_json(*site).dump(2) << "\n";
    }
    return exit_code::ok;
  }
  sites.remove(name);
  sites.save();
  if (json) {
    json_output.print({{"removed", name}});
  } else {
    std::cout << "Removed site " << name << ".\n";
  }
  return exit_code::ok;
}

constexpr const char* kUsage =
    "Usage: tte-introducer COMMAND [options]\n"
    "\n"
    "The installer's side of TTE (Transitive Trust Enrollment): read a device's label and tell "
    "its\n"
    "manufacturer's MotherShip which Controller the device belongs to.\n"
    "\n"
    "Commands:\n"
    "  enroll   map a device (label URL, photo, manual code, or a recording of its LED) to a "
    "Controller\n"
    "  status   ask the MotherShip how far a device has come\n"
    "  decode   print the Enrollment URLs in a photo of labels, or the LED's in a recording\n"
    "  notify   send notices queued for Controllers that could not be reached\n"
    "  site     keep a Controller's details under a name\n"
    "\n"
    "Run `tte-introducer COMMAND --help` for a command's options and exit statuses.\n";

// Ends a command that failed: the message on stderr and, with --json, the
// failure document on stdout unless the command printed its own.
int report_failure(const CommandSet& commands, const std::string& command, int status,
                   const std::string& message) {
  if (json_output.wanted() && !json_output.printed()) {
    const char* outcome = status == exit_code::usage      ? "usage"
                          : status == exit_code::no_label ? "no_label"
                                                          : "failure";
    json_output.print({{"outcome", outcome}, {"exit", status}, {"error", message}});
  }
  const bool known = std::any_of(commands.commands.begin(), commands.commands.end(),
                                 [&](const Subcommand& each) { return each.name == command; });
  if (!known) {
    std::cerr << "tte-introducer: unknown command '" << command << "'\n\n" << kUsage;
    return status;
  }
  say.error("tte-introducer " + command + ": " + message, {{"exit", status}});
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CommandSet commands{"tte-introducer",
                      kUsage,
                      {{"enroll", run_enroll},
                       {"status", run_status},
                       {"decode", run_decode},
                       {"notify", run_notify},
                       {"site", run_site}},
                      {}};
  commands.report = [&commands](const std::string& command, int status,
                                const std::string& message) {
    return report_failure(commands, command, status, message);
  };
  json_output.guess_from(std::vector<std::string>(argv + 1, argv + argc));
  ::umask(077);  // sites and the queue hold tokens and OTPs
  return run_commands(commands, argc, argv);
}

}  // namespace tte::introducer

int main(int argc, char** argv) {
  return tte::introducer::main(argc, argv);
}
