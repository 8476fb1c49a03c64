// tte-controller: the Controller (draft messages 6, 7, 8, 11 and 12). A thin
// command line: `serve` runs a ControllerServer (controller_server.hpp);
// `device` and `binding` are clients of its HTTP API (api_client.hpp).
#include <iostream>
#include <nlohmann/json.hpp>

#include "api_client.hpp"
#include "controller_server.hpp"
#include "data_dir.hpp"
#include "registry.hpp"
#include "tte/host/controller_code.hpp"
#include "tte/labels/label.hpp"
#include "tte/labels/qr.hpp"
#include "tte/labels/raster.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/listen_address.hpp"
#include "tte/platform/listener_budget.hpp"
#include "tte/platform/log.hpp"

namespace tte::controller {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kExitCodes =
    "Exit status: 0 done; 1 a failure the message explains; 2 wrong usage;\n"
    "3 (device, binding) the Controller refused the request or the device answered with an error;\n"
    "4 the device is not connected or did not answer.";

// Reads DIR/controller.conf into the options not given on the command line.
// The file holds `serve`'s options; the other commands skip those they lack.
DataDir open_data_dir(CommandLine& cli) {
  DataDir dir(cli.require("data-dir"));
  dir.require_initialised();
  cli.read_config_file(dir.config(), {"coaps",
                                      "coaps-public",
                                      "http",
                                      "https",
                                      "intake",
                                      "https-cert",
                                      "https-key",
                                      "policy",
                                      "mothership-cafile",
                                      "mothership-connect-to",
                                      "mothership-timeout",
                                      "poll-min",
                                      "poll-max",
                                      "request-timeout",
                                      "session-timeout",
                                      "threads",
                                      "log-format",
                                      "log-level",
                                      "max-connections",
                                      "max-connections-per-client",
                                      "header-timeout",
                                      "max-half-open",
                                      "max-half-open-per-client",
                                      "half-open-timeout"});
  return dir;
}

// The listener `name` ("http", "https") as the running `serve` bound it, from
// DIR/run.json (the configured port may be 0); nothing when it does not run.
std::optional<ListenAddress> served_listener(const DataDir& dir, const char* name) {
  try {
    if (!file_exists(dir.path("run.json"))) return std::nullopt;
    auto run = Json::parse(read_file(dir.path("run.json")), nullptr, false);
    if (run.is_discarded() || !run.contains(name) || !run[name].is_string()) return std::nullopt;
    return ListenAddress::parse(run[name].get<std::string>(), name);
  } catch (const std::exception&) {
    return std::nullopt;  // serve stopped while we read
  }
}

// The HTTP(S) listeners and intake URL of the configuration.
HttpListeners http_listeners(const CommandLine& cli) {
  HttpListeners listeners;
  listeners.http = ListenAddress::parse(cli.require("http"), "http");
  if (auto https = cli.get("https")) listeners.https = ListenAddress::parse(*https, "https");
  listeners.intake = cli.get("intake");
  return listeners;
}

// --- init ------------------------------------------------------------------

int run_init(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-controller init --data-dir DIR [options]",
      "Creates a Controller's data directory: its DTLS key pair (P-256, self-signed) that Devices "
      "pin, "
      "the intake token Introducers present with message 6, the API token of the control API and "
      "dashboard, a self-signed HTTPS certificate, the SQLite database and controller.conf.");
  cli.option("data-dir", "DIR", "the directory to create")
      .option("coaps", "ADDR:PORT", "CoAPS listener for Devices", "0.0.0.0:5684")
      .option("coaps-public", "IP:PORT",
              "where Devices reach it (default: this host's address and the CoAPS port)")
      .option("http", "ADDR:PORT", "HTTP listener (intake, API, dashboard)", "127.0.0.1:8080")
      .option("https", "ADDR:PORT", "also an HTTPS listener with https.crt")
      .option("intake", "URL",
              "the intake URL installers are given (default: the HTTPS or HTTP listener, at "
              "coaps-public's host if it listens on every address)")
      .option("https-name", "NAMES",
              "comma-separated DNS names or IPs for https.crt (default: host name, localhost, "
              "loopback and the CoAPS address)")
      .option("policy", "strict|open", "strict: only Devices an Introducer announced may join",
              "strict")
      .flag("json", "print the result as JSON")
      .epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  InitOptions options;
  options.data_dir = cli.require("data-dir");
  options.coaps = cli.require("coaps");
  options.coaps_public = cli.get_or("coaps-public", "");
  options.http = cli.require("http");
  options.https = cli.get_or("https", "");
  options.policy = cli.require("policy");
  options.intake = cli.get_or("intake", "");
  if (auto names = cli.get("https-name")) {
    std::string rest = *names;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      if (!rest.substr(0, comma).empty()) options.https_names.push_back(rest.substr(0, comma));
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
  }
  ListenAddress::parse(options.coaps, "coaps");
  ListenAddress::parse(options.http, "http");
  if (!options.https.empty()) ListenAddress::parse(options.https, "https");
  InitResult result = initialise(options);
  DataDir dir(options.data_dir);
  if (cli.has("json")) {
    std::cout << Json{{"data_dir", options.data_dir},
                      {"coaps_public", result.coaps_public},
                      {"fingerprint", std::string(result.dtls_fingerprint.to_string().view())},
                      {"intake_token_file", dir.path("intake.token")},
                      {"api_token_file", dir.path("api.token")}}
                     .dump()
              << "\n";
  } else {
    std::cout << "Created a Controller in " << options.data_dir << "\n"
              << "  Devices reach it at:      "
              << (result.coaps_public.empty()
                      ? "(the CoAPS port is chosen at start; set coaps-public for installers)"
                      : result.coaps_public + " (CoAPS)")
              << "\n"
              << "  DTLS fingerprint:         " << result.dtls_fingerprint.to_string().view()
              << "\n"
              << "  Intake token (installers): " << dir.path("intake.token") << "\n"
              << "  API token (you):          " << dir.path("api.token") << "\n"
              << "Next: tte-controller serve --data-dir " << options.data_dir
              << "; tte-controller info shows what installers need.\n";
  }
  return 0;
}

// --- info ------------------------------------------------------------------

int run_info(const std::vector<std::string>& args) {
  CommandLine cli("tte-controller info --data-dir DIR [--with-token] [--qr FILE] [--json]",
                  "Prints what an installer needs: the CoAPS address Devices are given, the DTLS "
                  "fingerprint, the "
                  "intake URL, and all of it as one controller code (also as a QR code PNG) that "
                  "`tte-introducer site add NAME --code CODE|IMAGE` takes.");
  cli.option("data-dir", "DIR", "the Controller's data directory")
      .option("coaps", "ADDR:PORT", "(from controller.conf)")
      .option("coaps-public", "IP:PORT", "(from controller.conf)")
      .option("http", "ADDR:PORT", "(from controller.conf)")
      .option("https", "ADDR:PORT", "(from controller.conf)")
      .option("policy", "strict|open", "(from controller.conf)")
      .option("intake", "URL",
              "the intake URL installers use (from controller.conf; default: the HTTPS or HTTP "
              "listener, at coaps-public's host if it listens on every address)")
      .flag("with-token",
            "put the intake token into the code (then the code and its QR image are secrets)")
      .option("qr", "FILE", "where to write the QR code PNG (default: DIR/controller-code.png)")
      .flag("json", "print as JSON")
      .epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  DataDir dir = open_data_dir(cli);
  // While serve runs, the port it bound: the URL GET /api/v1/controller reports.
  auto served = served_listener(dir, cli.get("https") ? "https" : "http");
  std::string intake = http_listeners(cli).intake_url(
      cli.get_or("coaps-public", ""),
      served ? std::optional<std::uint16_t>(served->port) : std::nullopt);
  auto public_address = cli.get("coaps-public");
  if (!public_address) {
    throw StartupError(
        "controller.conf has no coaps-public (where Devices reach the Controller): set it, or pass "
        "--coaps-public IP:PORT");
  }
  auto address = ControllerAddress::parse(*public_address);
  if (!address.ok()) throw StartupError("coaps-public is not IP:PORT: " + *public_address);
  ControllerCode code{address.value(), dir.dtls_fingerprint(), intake,
                      cli.has("with-token") ? dir.intake_token() : std::string()};
  const std::string text = code.to_string();
  auto qr = labels::encode_qr(text, labels::QrLevel::M);
  if (!qr.ok()) throw StartupError("the controller code does not fit a QR code");
  labels::Image image = labels::render_qr(qr.value(), 6);
  const std::string qr_file = cli.get_or("qr", dir.path("controller-code.png"));
  write_file_atomic(qr_file, labels::encode_png(image), cli.has("with-token") ? 0600 : 0644);
  if (cli.has("json")) {
    std::cout << Json{{"coaps", std::string(address->to_string().view())},
                      {"fingerprint", std::string(code.fingerprint.to_string().view())},
                      {"intake", intake},
                      {"intake_token_file", dir.path("intake.token")},
                      {"policy", cli.require("policy")},
                      {"code", text},
                      {"qr", qr_file}}
                     .dump()
              << "\n";
  } else {
    std::cout << "Devices reach this Controller at " << address->to_string().view() << " (CoAPS)\n"
              << "  DTLS fingerprint: " << code.fingerprint.to_string().view() << "\n"
              << "  Intake (message 6): " << intake << "  (token in " << dir.path("intake.token")
              << ")\n"
              << "  Policy: " << cli.require("policy") << "\n"
              << "Controller code"
              << (cli.has("with-token") ? " (holds the intake token: keep it secret)" : "")
              << ":\n  " << text << "\n"
              << "As a QR code: " << qr_file << "\n"
              << "An installer saves it with: tte-introducer site add NAME --code '" << text << "'"
              << (cli.has("with-token") ? "" : " --token TOKEN") << "\n";
  }
  return 0;
}

// --- serve -----------------------------------------------------------------

ControllerServerOptions server_options(const CommandLine& cli, const DataDir& dir) {
  constexpr std::int64_t kDay = 86400, kYear = 365 * kDay;
  ControllerServerOptions o;
  o.data_dir = dir.root();
  auto policy = parse_policy(cli.require("policy"));
  if (!policy.ok()) throw UsageError("--policy is strict or open");
  o.policy = policy.value();
  o.coaps = ListenAddress::parse(cli.require("coaps"), "coaps");
  o.coaps_public = cli.get_or("coaps-public", "");
  o.listeners = http_listeners(cli);
  o.https_cert = cli.require("https-cert");
  o.https_key = cli.require("https-key");
  o.mothership.ca_file = cli.get("mothership-cafile");
  o.mothership.connect_to = cli.get("mothership-connect-to");
  o.mothership.timeout = std::chrono::seconds(cli.require_int("mothership-timeout", 1, kDay));
  o.poll.min_interval = cli.require_int("poll-min", 1, kYear);
  o.poll.max_interval = cli.require_int("poll-max", 1, kYear);
  if (o.poll.max_interval < o.poll.min_interval)
    throw UsageError("--poll-max must be at least --poll-min");
  o.request_timeout = std::chrono::seconds(cli.require_int("request-timeout", 1, kDay));
  o.session_timeout = static_cast<unsigned>(cli.require_int("session-timeout", 2, kDay));
  o.half_open = http::half_open_limits(cli);
  http::apply_budget_options(cli, o.listener_budget);
  o.threads = static_cast<int>(cli.require_int("threads", 1, 1024));
  return o;
}

int run_serve(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-controller serve --data-dir DIR [options]",
      "Runs the Controller: CoAPS for Devices (DTLS with each Device's key fingerprint; the "
      "Resource "
      "Directory; requests, observations and bindings over each Device's own session), and HTTP(S) "
      "for "
      "the intake of message 6, the control API and the dashboard. It asks the MotherShip about "
      "announced "
      "Devices that have not joined (messages 7/8). Options not given here come from --config, "
      "then "
      "from DIR/controller.conf. When every listener is up, one JSON line with the bound addresses "
      "is "
      "printed on standard output; logs go to standard error. SIGTERM or SIGINT stop it cleanly.");
  cli.option("data-dir", "DIR", "the Controller's data directory (see init)")
      .option("coaps", "ADDR:PORT", "CoAPS listener for Devices (port 0: any free port)")
      .option("coaps-public", "IP:PORT", "where Devices reach it (shown to installers)")
      .option("http", "ADDR:PORT", "HTTP listener: intake, API, dashboard")
      .option("https", "ADDR:PORT", "also an HTTPS listener (https.crt, https.key)")
      .option("intake", "URL", "the intake URL the API reports (default: as `info` derives it)")
      .option("https-cert", "FILE", "HTTPS certificate chain (PEM)", "https.crt")
      .option("https-key", "FILE", "HTTPS private key (PEM)", "https.key")
      .option("policy", "strict|open", "strict: only Devices an Introducer announced may join")
      .option("mothership-cafile", "PEM",
              "trust only this CA for MotherShips (default: the system's CAs)")
      .option("mothership-connect-to", "HOST:PORT:ADDR:PORT",
              "reach a MotherShip at another address, still checking its certificate (like curl; "
              "test beds)")
      .option("mothership-timeout", "SECONDS",
              "give up on a MotherShip's status answer after this long (connection and TLS: 10 s "
              "at most)",
              "15")
      .option("poll-min", "SECONDS", "first wait between status polls of an announced Device", "30")
      .option("poll-max", "SECONDS", "longest wait between status polls", "3600")
      .option("request-timeout", "SECONDS", "how long a request to a Device may take", "10")
      .option("session-timeout", "SECONDS",
              "a Device's DTLS session silent this long is gone (Devices ping every 25 s)", "300")
      .option("threads", "N", "HTTP worker threads", "2")
      .option("log-format", "text|json", "log line format", "text")
      .option("log-level", "debug|info|warning|error", "the least important lines logged", "info");
  http::add_budget_options(cli);
  cli.config_file().epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  DataDir dir = open_data_dir(cli);

  std::string level_name = cli.require("log-level");
  LogLevel level = level_name == "debug"     ? LogLevel::debug
                   : level_name == "info"    ? LogLevel::info
                   : level_name == "warning" ? LogLevel::warning
                   : level_name == "error"
                       ? LogLevel::error
                       : throw UsageError("--log-level is debug, info, warning or error");
  Logger logger("tte-controller", parse_log_format(cli.require("log-format")), level);
  ControllerServer server(server_options(cli, dir), logger);
  server.start();
  std::cout << server.ready_line() << std::endl;
  server.run_until_signal();
  return 0;
}

// --- device and binding: clients of the HTTP API ------------------------------

void api_options(CommandLine& cli) {
  cli.option("data-dir", "DIR", "the Controller's data directory (for the API address and token)")
      .option("url", "URL",
              "the Controller's HTTP(S) listener (default: http from controller.conf)")
      .option("token", "TOKEN", "the API token (default: DIR/api.token)")
      .option("cafile", "PEM", "trust this CA for an https:// URL")
      .option("http", "ADDR:PORT", "(from controller.conf)")
      .option("https", "ADDR:PORT", "(from controller.conf)")
      .option("coaps", "ADDR:PORT", "(from controller.conf)")
      .option("coaps-public", "IP:PORT", "(from controller.conf)")
      .option("policy", "strict|open", "(from controller.conf)")
      .flag("json", "print the API's JSON")
      .epilog(kExitCodes);
}

// --url and --token, or what the data directory says: the token, and the
// HTTP listener the running `serve` bound (else the configured one).
ControllerApiClient api_client(CommandLine& cli) {
  std::string url = cli.get_or("url", "");
  std::string token = cli.get_or("token", "");
  if (cli.get("data-dir")) {
    DataDir dir = open_data_dir(cli);
    if (token.empty()) token = dir.api_token();
    if (url.empty()) {
      auto served = served_listener(dir, "http");
      url = local_api_url(served ? *served : ListenAddress::parse(cli.require("http"), "http"));
    }
  }
  if (url.empty() || token.empty()) {
    throw UsageError("say --data-dir DIR (on the Controller's machine), or --url and --token");
  }
  return ControllerApiClient(url, token, cli.get("cafile"));
}

int run_device(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-controller device list|show|get|put|post|delete|observe|remove [URN] [PATH] [VALUE] "
      "[options]",
      "Reads and writes the resources of registered Devices through the Controller's API; requests "
      "travel over each Device's own DTLS session. list: every device; show URN; get URN PATH; "
      "put URN PATH VALUE; observe URN PATH (prints each new value); remove URN (forget the "
      "device).");
  cli.positional("ACTION", "list, show, get, put, post, delete, observe or remove")
      .positional("URN", "the device's URN", false)
      .positional("PATH", "the resource, e.g. /light", false)
      .positional("VALUE", "put/post: the payload", false)
      .option("content-type", "TYPE", "put/post: text/plain, application/json, application/cbor",
              "text/plain")
      .option("count", "N", "observe: stop after N values (default: run until interrupted)")
      .option("wait", "SECONDS",
              "observe: give up after this long without a value (default: never)");
  api_options(cli);
  if (!cli.parse(args)) return 0;
  ControllerApiClient client = api_client(cli);
  const std::string action = cli.require("ACTION");
  const bool json = cli.has("json");

  if (action == "list") {
    ApiJson reply = client.devices();
    if (json) {
      std::cout << reply.dump() << "\n";
      return 0;
    }
    for (const auto& d : reply["devices"]) {
      std::cout << (d["urn"].get<std::string>().empty() ? "(unregistered)"
                                                        : d["urn"].get<std::string>())
                << "  " << d["state"].get<std::string>()
                << (d["connected"].get<bool>() ? ", connected" : "") << "  "
                << d["description"].get<std::string>() << "\n";
    }
    if (reply["devices"].empty()) std::cout << "No devices.\n";
    return 0;
  }
  const std::string urn = cli.require("URN");
  if (action == "show") {
    std::cout << client.device(urn).dump(json ? -1 : 2) << "\n";
    return 0;
  }
  if (action == "remove") {
    client.remove_device(urn);
    if (!json)
      std::cout << "Removed " << urn << " (it must be announced again to join under strict).\n";
    return 0;
  }
  const std::string path = cli.require("PATH");
  if (action == "observe") {
    constexpr std::int64_t kMost = std::int64_t(1) << 40;
    FollowLimits limits{cli.get_int("count", 1, kMost), cli.get_int("wait", 1, kMost)};
    client.follow(urn, path, limits, [json](const ApiJson& notification) {
      if (json) {
        std::cout << notification.dump() << std::endl;
      } else {
        std::cout << notification["time"].get<std::string>() << "  " << payload_text(notification)
                  << std::endl;
      }
    });
    return 0;
  }
  std::string method = action == "get"      ? "GET"
                       : action == "put"    ? "PUT"
                       : action == "post"   ? "POST"
                       : action == "delete" ? "DELETE"
                                            : "";
  if (method.empty())
    throw UsageError("ACTION must be list, show, get, put, post, delete, observe or remove");
  std::string body = (method == "PUT" || method == "POST") ? cli.require("VALUE") : "";
  ApiJson reply =
      client.request(method, urn, path, body, body.empty() ? "" : cli.require("content-type"));
  const std::string code = reply["code"].get<std::string>();
  if (json) {
    std::cout << reply.dump() << "\n";
  } else {
    std::string payload = payload_text(reply);
    std::cout << (payload.empty() ? code : payload) << "\n";
  }
  if (code.empty() || code[0] != '2') {
    if (!json) std::cerr << "tte-controller device: the device answered " << code << "\n";
    return 3;
  }
  return 0;
}

int run_binding(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-controller binding add|list|remove [SOURCE-URN SOURCE-PATH TARGET-URN TARGET-PATH | ID]",
      "Bindings make one Device control another, the draft's \"switch S controls light L\": the "
      "Controller observes the source resource and sets the target resource to each new value.");
  cli.positional("ACTION", "add, list or remove")
      .positional("A", "add: the source device's URN; remove: the binding's id", false)
      .positional("B", "add: the source resource, e.g. /switch", false)
      .positional("C", "add: the target device's URN", false)
      .positional("D", "add: the target resource, e.g. /light", false);
  api_options(cli);
  if (!cli.parse(args)) return 0;
  ControllerApiClient client = api_client(cli);
  const std::string action = cli.require("ACTION");
  const bool json = cli.has("json");
  if (action == "list") {
    ApiJson reply = client.bindings();
    if (json) {
      std::cout << reply.dump() << "\n";
      return 0;
    }
    for (const auto& b : reply["bindings"]) {
      std::cout << b["id"].get<std::int64_t>() << "  " << b["source"]["urn"].get<std::string>()
                << b["source"]["path"].get<std::string>() << " -> "
                << b["target"]["urn"].get<std::string>() << b["target"]["path"].get<std::string>()
                << "\n";
    }
    if (reply["bindings"].empty()) std::cout << "No bindings.\n";
    return 0;
  }
  if (action == "add") {
    ApiJson reply =
        client.add_binding(cli.require("A"), cli.require("B"), cli.require("C"), cli.require("D"));
    if (json) {
      std::cout << reply.dump() << "\n";
    } else {
      std::cout << "Binding " << reply["id"].get<std::int64_t>() << ": " << cli.require("A")
                << cli.require("B") << " -> " << cli.require("C") << cli.require("D") << "\n";
    }
    return 0;
  }
  if (action == "remove") {
    client.remove_binding(cli.require("A"));
    if (!json) std::cout << "Removed binding " << cli.require("A") << ".\n";
    return 0;
  }
  throw UsageError("ACTION must be add, list or remove");
}

constexpr const char* kUsage =
    "Usage: tte-controller COMMAND [options]\n"
    "\n"
    "The Controller of TTE (Transitive Trust Enrollment): Devices join it over CoAP/DTLS, register "
    "in its\n"
    "Resource Directory, and are controlled through it.\n"
    "\n"
    "Commands:\n"
    "  init     create a data directory (keys, tokens, database)\n"
    "  info     what installers need: address, fingerprint, intake, controller code and QR\n"
    "  serve    run the Controller\n"
    "  device   list devices; read, write and observe their resources\n"
    "  binding  let one device control another (switch -> light)\n"
    "\n"
    "Run `tte-controller COMMAND --help` for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  return run_commands(CommandSet{"tte-controller",
                                 kUsage,
                                 {{"init", run_init},
                                  {"info", run_info},
                                  {"serve", run_serve},
                                  {"device", run_device},
                                  {"binding", run_binding}}},
                      argc, argv);
}

}  // namespace tte::controller

int main(int argc, char** argv) {
  return tte::controller::main(argc, argv);
}
