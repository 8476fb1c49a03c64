// tte-mothership: the manufacturer's server and tools. A thin layer over the
// mothership library: parse the command line, open the data directory, run
// (`serve` runs a MotherShipServer, mothership_server.hpp; `import` is
// import_devices, import.hpp).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>

#include "admin_api.hpp"
#include "data_dir.hpp"
#include "import.hpp"
#include "manufacture_command.hpp"
#include "mothership_server.hpp"
#include "store.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/listen_address.hpp"
#include "tte/platform/listener_budget.hpp"
#include "writer.hpp"

namespace tte::mothership {
namespace {

constexpr const char* kExitCodes =
    "Exit status: 0 success, 1 failure (the message says why), 2 wrong usage.";

std::int64_t wall_clock() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

IdPolicy policy_of(const CommandLine& cli) {
  return cli.has("allow-example-id") ? IdPolicy::allow_example : IdPolicy::operational;
}

void print_json_or_text(bool json, const nlohmann::ordered_json& value, const std::string& text) {
  std::cout << (json ? value.dump() + "\n" : text);
  std::cout.flush();
}

// --- init ------------------------------------------------------------------

int run_init(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-mothership init --data-dir DIR --ms-id N [options]",
      "Creates a MotherShip's data directory and its database (SQLite unless --database names "
      "PostgreSQL), the DTLS key pair devices pin, "
      "the OTP HMAC key, the admin token and, unless you bring your own HTTPS certificate, a "
      "small local CA with a certificate for the MotherShip's host name tte-XXXXXX.net.");
  cli.option("data-dir", "DIR", "the directory to create (mode 0700)")
      .option("ms-id", "N", "the MotherShip ID: decimal or 0x-hex; its host is tte-XXXXXX.net")
      .flag("allow-example-id", "accept MS ID 0, reserved for examples (demos and tests only)")
      .option("https", "ADDR:PORT", "HTTPS listener for installers, written to the configuration",
              "0.0.0.0:443")
      .option("coaps", "ADDR:PORT", "CoAPS listener for devices, written to the configuration",
              "0.0.0.0:5684")
      .option("admin", "ADDR:PORT", "admin API listener, written to the configuration",
              "127.0.0.1:8443")
      .option(
          "coaps-public", "ADDR:PORT",
          "where devices reach the CoAPS listener (goes into factory bundles; default: the --coaps "
          "address, with 0.0.0.0 read as 127.0.0.1)")
      .option("https-cert", "FILE", "production: your certificate chain for tte-XXXXXX.net (PEM)")
      .option("https-key", "FILE", "production: its private key (PEM)")
      .option("https-name", "NAME",
              "another DNS name for the local HTTPS certificate (e.g. localhost)")
      .option("database", "sqlite:PATH|postgresql://...",
              "where the devices are kept: a SQLite file (relative: in DIR) or an empty "
              "PostgreSQL database, as a libpq URI (several instances can share it; "
              "docs/operations.md)",
              kDefaultDatabase)
      .flag("json", "print the result as JSON")
      .epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  InitOptions options{.data_dir = cli.require("data-dir"),
                      .ms_id = MsId::from_value(1, IdPolicy::operational).value()};
  auto ms_id = MsId::parse_number(cli.require("ms-id"), policy_of(cli));
  if (!ms_id.ok()) {
    throw UsageError(
        std::string("--ms-id: ") + ms_id.error().message +
        (cli.get("ms-id") == "0" ? " (add --allow-example-id for demos and tests)" : ""));
  }
  options.ms_id = ms_id.value();
  options.allow_example_id = cli.has("allow-example-id");
  options.https = ListenAddress::parse(cli.require("https"), "https").to_string();
  ListenAddress coaps = ListenAddress::parse(cli.require("coaps"), "coaps");
  options.coaps = coaps.to_string();
  options.admin = ListenAddress::parse(cli.require("admin"), "admin").to_string();
  if (auto coaps_public = cli.get("coaps-public")) {
    ListenAddress given = ListenAddress::parse(*coaps_public, "coaps-public");
    if (given.port == 0) throw UsageError("--coaps-public needs a real port");
    options.coaps_public = given.to_string();
  } else {
    options.coaps_public = coaps.on_this_machine().to_string();
  }
  options.https_cert = cli.get("https-cert");
  options.https_key = cli.get("https-key");
  if (auto name = cli.get("https-name")) options.https_extra_names.push_back(*name);
  options.database = cli.require("database");

  InitResult result = initialise(options);
  nlohmann::ordered_json json{
      {"data_dir", options.data_dir},
      {"ms_id", options.ms_id.value()},
      {"host", result.host},
      {"dtls_fingerprint", std::string(result.dtls_fingerprint.to_string().view())},
      {"ca_file", result.ca_file},
      {"admin_token_file", result.admin_token_file}};
  std::string text =
      "Created MotherShip " + result.host + " in " + options.data_dir + "\n" +
      "  DTLS fingerprint (devices pin it): " +
      std::string(result.dtls_fingerprint.to_string().view()) + "\n" +
      (result.ca_file.empty() ? std::string()
                              : "  CA an Introducer should trust:     " + result.ca_file + "\n") +
      "  Admin token:                       " + result.admin_token_file + "\n" +
      "Start it with: tte-mothership serve --data-dir " + options.data_dir + "\n" +
      (options.database.rfind("postgres", 0) == 0
           ? "On PostgreSQL, give the instances the application role's URI (database = in "
             "mothership.conf), not the owner's that init used (docs/operations.md, Roles)\n"
           : std::string());
  print_json_or_text(cli.has("json"), json, text);
  return 0;
}

// --- serve -----------------------------------------------------------------

MotherShipServerOptions server_options(const CommandLine& cli, const DataDir& dir) {
  constexpr std::int64_t kYear = 365 * 86400;
  MotherShipServerOptions o;
  o.data_dir = dir.root();
  o.database = dir.database_location(cli.get("database")).to_string();
  o.id_policy = policy_of(cli);
  if (auto given = cli.get("ms-id")) {
    auto ms_id = MsId::parse_number(*given, o.id_policy);
    if (!ms_id.ok()) throw UsageError(std::string("--ms-id: ") + ms_id.error().message);
    o.ms_id = ms_id.value();
  }
  o.https = ListenAddress::parse(cli.require("https"), "https");
  o.admin = ListenAddress::parse(cli.require("admin"), "admin");
  o.coaps = ListenAddress::parse(cli.require("coaps"), "coaps");
  o.https_cert = cli.require("https-cert");
  o.https_key = cli.require("https-key");
  o.coaps_public = cli.require("coaps-public");
  o.threads = static_cast<int>(cli.require_int("threads", 1, 1024));
  o.max_age = static_cast<std::uint32_t>(cli.require_int("max-age", 0, UINT32_MAX));
  o.guess_policy.burst = static_cast<int>(cli.require_int("otp-checks", 1, 1'000'000));
  o.guess_policy.interval = cli.require_int("otp-check-interval", 1, kYear);
  o.client_failure_limit = static_cast<int>(cli.require_int("client-failure-limit", 0, 1'000'000));
  set_database_deadline(std::chrono::seconds(cli.require_int("database-timeout", 1, 3600)));
  http::apply_budget_options(cli, o.listener_budget);
  o.half_open = http::half_open_limits(cli);
  return o;
}

int run_serve(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-mothership serve --data-dir DIR [options]",
      "Runs the MotherShip: HTTPS for installers (the form page, claims, box claims, status), "
      "CoAPS for "
      "devices (where is my Controller?) and the admin API on its own listener. Options not "
      "given here come from --config, then from DIR/mothership.conf. When every listener is up, "
      "one JSON line with the bound addresses is printed on standard output; logs go to "
      "standard error. SIGTERM or SIGINT stop it after the requests in flight.");
  cli.option("data-dir", "DIR", "the MotherShip's data directory (see init)")
      .option("https", "ADDR:PORT", "HTTPS listener for installers (port 0: any free port)")
      .option("coaps", "ADDR:PORT", "CoAPS listener for devices")
      .option("admin", "ADDR:PORT", "admin API listener (HTTPS, bearer token)")
      .option("https-cert", "FILE", "HTTPS certificate chain (PEM)")
      .option("https-key", "FILE", "HTTPS private key (PEM)")
      .option("ms-id", "N",
              "the MotherShip ID init made the database with (normally from the configuration); "
              "another is refused")
      .option("database", "sqlite:PATH|postgresql://...",
              "the database (normally from the configuration; default sqlite:mothership.db)")
      .option("coaps-public", "ADDR:PORT",
              "where devices reach CoAPS (used by the factory; unused here)")
      .flag("allow-example-id", "accept MS ID 0 (demos and tests)")
      .option("threads", "N", "HTTP worker threads", "2")
      .option("max-age", "SECONDS", "how long an unmapped device is told to wait (CoAP Max-Age)",
              "60")
      .option("otp-checks", "N",
              "OTP checks a Dev ID allows at once (claims, status, form); a right OTP gives its "
              "check back",
              "10")
      .option("otp-check-interval", "SECONDS",
              "one more OTP check is allowed per this many seconds (at most N + 86400 / SECONDS a "
              "day)",
              "90")
      .option("client-failure-limit", "N",
              "failed credential checks per client address per minute (0: no limit)", "30")
      .option("database-timeout", "SECONDS",
              "PostgreSQL: the longest a statement may take; a database that says nothing for 2 s "
              "more is given up and the request answered 503",
              "10")
      .option("log-format", "text|json", "log line format", "text");
  http::add_budget_options(cli);
  cli.config_file().epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  DataDir dir(cli.require("data-dir"));
  dir.require_initialised();
  cli.read_config_file(dir.config());

  Logger logger("tte-mothership", parse_log_format(cli.require("log-format")));
  MotherShipServer server(server_options(cli, dir), logger);
  server.start();
  std::cout << server.ready_line() << std::endl;
  server.run_until_signal();
  return 0;
}

// --- import ----------------------------------------------------------------

int run_import(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-mothership import --data-dir DIR FILE",
      "Loads device records (the factory's output: one JSON object per line with devid, urn, "
      "fingerprint and otp) into the database, all or none, in one transaction. OTPs are stored "
      "only as HMACs. A Dev ID or URN that is already stored refuses the whole file and is "
      "named. FILE may be - for standard input. Works while the server runs.");
  cli.option("data-dir", "DIR", "the MotherShip's data directory")
      .option("database", "sqlite:PATH|postgresql://...",
              "the database, if not the one the data directory's mothership.conf names")
      .positional("FILE", "the device records (JSON lines), or - for standard input")
      .flag("json", "print the result as JSON")
      .epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  DataDir dir(cli.require("data-dir"));
  dir.require_initialised();
  std::string file = cli.require("FILE");
  std::ifstream in_file;
  if (file != "-") {
    in_file.open(file);
    if (!in_file) throw_errno("cannot read " + file);
  }
  std::istream& in = file == "-" ? std::cin : in_file;

  const auto started = std::chrono::steady_clock::now();
  // Records hashed or sealed with other keys would be unclaimable: checked.
  Store store = open_store(dir, cli.get("database"), Store::Access::read_write);
  store.tune_for_bulk_load();
  ImportOptions options;
  options.source = file;
  options.now = wall_clock();
  const bool progress = ::isatty(STDERR_FILENO);
  auto last_progress = started;
  auto seconds_since_start = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  if (progress) {
    options.progress = [&](std::size_t count) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_progress <= std::chrono::milliseconds(500)) return;
      std::fprintf(stderr, "\rimported %zu devices (%.0f/s)", count, count / seconds_since_start());
      last_progress = now;
    };
  }
  const PskSealer psk_sealer = dir.psk_sealer();
  options.psk_sealer = &psk_sealer;
  ImportOutcome outcome = import_devices(store, dir.otp_hasher(), in, options);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!outcome.status.ok()) throw StartupError(outcome.message);
  const double seconds = seconds_since_start();
  nlohmann::ordered_json json{{"imported", outcome.imported}, {"seconds", seconds}};
  print_json_or_text(cli.has("json"), json,
                     "Imported " + std::to_string(outcome.imported) + " devices in " +
                         std::to_string(seconds) + " s\n");
  return 0;
}

// --- device ----------------------------------------------------------------

int run_device(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-mothership device show|revoke|unrevoke DEVID --data-dir DIR",
      "Shows a device as the manufacturer sees it, or revokes it (its claims then get 410 and "
      "the device itself 4.03), or lifts a revocation. Changes are written to the audit log. "
      "Works while the server runs.");
  cli.option("data-dir", "DIR", "the MotherShip's data directory")
      .option("database", "sqlite:PATH|postgresql://...",
              "the database, if not the one the data directory's mothership.conf names")
      .positional("ACTION", "show, revoke or unrevoke")
      .positional("DEVID", "the Dev ID (hex)")
      .flag("json", "print the device as JSON")
      .epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  DataDir dir(cli.require("data-dir"));
  dir.require_initialised();
  std::string action = cli.require("ACTION");
  if (action != "show" && action != "revoke" && action != "unrevoke") {
    throw UsageError("ACTION must be show, revoke or unrevoke, not '" + action + "'");
  }
  auto dev_id = DevId::parse(cli.require("DEVID"));
  if (!dev_id.ok()) throw UsageError(std::string("DEVID: ") + dev_id.error().message);

  std::optional<DeviceRecord> device;
  if (action == "show") {
    Store store = open_store(dir, cli.get("database"), Store::Access::read_only, StoreCheck::none);
    auto found = store.device(*dev_id);
    if (!found.ok()) throw StartupError("cannot read the database: " + store.last_error());
    device = found.value();
  } else {
    (void)open_store(dir, cli.get("database"), Store::Access::read_only);  // the keys checked
    Logger logger("tte-mothership", LogFormat::text);
    Writer writer(dir.database_location(cli.get("database")).to_string(), dir.otp_hasher(),
                  wall_clock, logger);
    std::promise<Result<std::optional<DeviceRecord>>> done;
    writer.submit(RevocationJob{
        *dev_id, action == "revoke", "cli",
        [&done](Result<std::optional<DeviceRecord>> result) { done.set_value(result); }});
    auto result = done.get_future().get();
    writer.stop();
    if (!result.ok())
      throw StartupError(std::string("cannot change the device: ") + result.error().message);
    device = result.value();
  }
  if (!device)
    throw StartupError("no device with Dev ID " + std::string(dev_id->to_string().view()));
  Store store = open_store(dir, cli.get("database"), Store::Access::read_only, StoreCheck::none);
  ThrottleState throttle = store.throttle(*dev_id).value_or(ThrottleState{});
  std::string json = admin_device_json(*device, throttle, GuessPolicy{}, wall_clock());
  if (cli.has("json")) {
    std::cout << json << "\n";
  } else {
    std::cout << nlohmann::ordered_json::parse(json).dump(2) << "\n";
  }
  return 0;
}

// --- audit -----------------------------------------------------------------

int run_audit(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-mothership audit verify|list --data-dir DIR",
      "verify: recomputes the audit log's hash chain from the first entry and reports the first "
      "entry that does not match (exit 1), or the number of entries and the head hash (keep it "
      "somewhere else: it lets you later prove the log was not cut short). list: prints entries "
      "as JSON lines.");
  cli.option("data-dir", "DIR", "the MotherShip's data directory")
      .option("database", "sqlite:PATH|postgresql://...",
              "the database, if not the one the data directory's mothership.conf names")
      .positional("ACTION", "verify or list")
      .option("after", "SEQ", "list: entries after this sequence number", "0")
      .option("limit", "N", "list: at most this many entries", "1000")
      .flag("json", "print the result as JSON")
      .epilog(kExitCodes);
  if (!cli.parse(args)) return 0;
  DataDir dir(cli.require("data-dir"));
  dir.require_initialised();
  std::string action = cli.require("ACTION");
  Store store = open_store(dir, cli.get("database"), Store::Access::read_only, StoreCheck::none);
  if (action == "list") {
    auto entries = store.audit_after(cli.require_int("after", 0, INT64_MAX),
                                     static_cast<int>(cli.require_int("limit", 1, INT_MAX)));
    if (!entries.ok()) throw StartupError("cannot read the audit log: " + store.last_error());
    for (const auto& [entry, hash] : entries.value())
      std::cout << entry.to_json(hash) << "\n";
    return 0;
  }
  if (action != "verify") throw UsageError("ACTION must be verify or list, not '" + action + "'");
  auto verification = store.verify_audit();
  if (!verification.ok()) throw StartupError("cannot read the audit log: " + store.last_error());
  const auto& v = verification.value();
  nlohmann::ordered_json json{{"ok", v.ok},
                              {"entries", v.entries},
                              {"head_seq", v.head.seq},
                              {"head_hash", hash_hex(v.head.hash)}};
  if (!v.ok) json["first_bad_seq"] = v.first_bad_seq;
  print_json_or_text(cli.has("json"), json,
                     v.ok ? "audit log ok: " + std::to_string(v.entries) + " entries, head " +
                                std::to_string(v.head.seq) + " " + hash_hex(v.head.hash) + "\n"
                          : "audit log BROKEN at entry " + std::to_string(v.first_bad_seq) +
                                " (the " + std::to_string(v.entries) +
                                " entries before it verify)\n");
  return v.ok ? 0 : 1;
}

constexpr const char* kUsage =
    "Usage: tte-mothership COMMAND [options]\n"
    "\n"
    "The MotherShip of TTE (Transitive Trust Enrollment): the manufacturer's server that "
    "installers\n"
    "tell which Controller a device belongs to, and that devices ask on first boot.\n"
    "\n"
    "Commands:\n"
    "  init      create a data directory (keys, database, configuration)\n"
    "  serve     run the HTTPS, CoAPS and admin listeners\n"
    "  import    load the factory's device records\n"
    "  manufacture  mint devices: keys, bundles, labels, records\n"
    "  device    show, revoke or un-revoke a device\n"
    "  audit     verify or list the hash-chained audit log\n"
    "\n"
    "Run `tte-mothership COMMAND --help` for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  // Everything the MotherShip writes (database, keys, tokens) is for its owner only.
  ::umask(077);
  return run_commands(CommandSet{"tte-mothership",
                                 kUsage,
                                 {{"init", run_init},
                                  {"serve", run_serve},
                                  {"import", run_import},
                                  {"manufacture", run_manufacture},
                                  {"device", run_device},
                                  {"audit", run_audit}}},
                      argc, argv);
}

}  // namespace tte::mothership

int main(int argc, char** argv) {
  return tte::mothership::main(argc, argv);
}
