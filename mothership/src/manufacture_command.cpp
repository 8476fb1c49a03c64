#include "manufacture_command.hpp"

#include <unistd.h>

#include <ctime>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "data_dir.hpp"
#include "manufacture.hpp"
#include "store.hpp"
#include "tte/host/json_fields.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/http_client.hpp"
#include "tte/platform/listen_address.hpp"

namespace tte::mothership {
namespace {

struct Remote {
  std::string url;  // "https://host:port" of the admin listener
  std::string token;
  http::ClientOptions client;

  http::FetchResult call(const std::string& method, const std::string& path,
                         const std::string& body = "") const {
    return http::fetch(method, url + path, {{"Authorization", "Bearer " + token}}, body, client);
  }
};

std::string problem_detail(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object() && json.contains("detail")) return json["detail"].get<std::string>();
  return body.substr(0, 200);
}

factory::MotherShipInfo info_from_admin(const Remote& remote, IdPolicy policy,
                                        std::optional<DevId>& next_free) {
  auto result = remote.call("GET", "/admin/v1/mothership");
  if (!result.ok())
    throw StartupError("cannot reach the admin API " + remote.url + ": " + result.error);
  if (result.response.status == 401) throw StartupError("the admin API refused the token (401)");
  if (result.response.status != 200) {
    throw StartupError("the admin API answered " + std::to_string(result.response.status) + ": " +
                       problem_detail(result.response.body));
  }
  auto json = tte::json::parse_untrusted(result.response.body);
  auto ms_id = MsId::from_value(json.value("ms_id", 0u), policy);
  auto fingerprint = Fingerprint::parse(json.value("dtls_fingerprint", ""));
  auto coaps = ControllerAddress::parse(json.value("coaps", ""));
  if (!ms_id.ok() || !fingerprint.ok() || !coaps.ok()) {
    throw StartupError(
        "the admin API's /admin/v1/mothership answer is not usable" +
        std::string(ms_id.ok() ? "" : std::string(" (MS ID: ") + ms_id.error().message + ")"));
  }
  if (json.contains("next_devid") && json["next_devid"].is_string()) {
    auto next = DevId::parse(json["next_devid"].get<std::string>());
    if (next.ok()) next_free = next.value();
  }
  return factory::MotherShipInfo{ms_id.value(), fingerprint.value(), coaps.value()};
}

}  // namespace

// Message 2 (draft §2; docs/protocol.md §7): `tte-mothership manufacture` mints a batch and
// sends its records to the MotherShip (its admin API, or its database).
int run_manufacture(const std::vector<std::string>& args) {
  CommandLine cli(
      "tte-mothership manufacture (--data-dir DIR | --admin URL --token T) --count N --out OUTDIR "
      "[options]",
      "Mints a batch of devices for a MotherShip: per device a P-256 key pair and self-signed "
      "certificate (or "
      "the device's own public key), a Dev URN, a Dev ID, a random 64-bit OTP, the provisioning "
      "bundle (JSON) "
      "and image (binary) the firmware is flashed with, and its label (QR code of the Enrollment "
      "URL with the "
      "Dev ID and the manual code beneath, as PNG and SVG, and on printable PDF sheets). Writes a "
      "manifest "
      "(CSV, no secrets) and stores the device records in the MotherShip: directly (--data-dir), "
      "through its "
      "admin API (--admin), or not at all (--records-only: OUTDIR/records.jsonl for tte-mothership "
      "import). "
      "Files holding secrets (keys, OTPs, labels, records) are created with mode 0600. OUTDIR "
      "appears only "
      "once the records are stored. With --box N the devices are minted in boxes of N "
      "consecutive Dev IDs (the last box may be short): each box gets a random box key from "
      "which its devices' OTPs derive, and a box file and box label (QR code of the box URL, the "
      "range, the box's manual code) under OUTDIR/boxes/, indexed in OUTDIR/boxes.csv; every "
      "device keeps its own label. The box key goes to no file the MotherShip reads: the box "
      "files and labels are as secret as the device labels (mode 0600).");
  cli.option("data-dir", "DIR", "a local MotherShip's data directory: store the records there")
      .option("database", "sqlite:PATH|postgresql://...",
              "with --data-dir: the database, if not the one its mothership.conf names")
      .option("admin", "URL", "a remote MotherShip's admin API, e.g. https://tte-00000A.net:8443")
      .option("token", "TOKEN", "the admin API's bearer token")
      .option("token-file", "FILE",
              "read the admin token from FILE (keeps it out of the process list)")
      .option("cafile", "PEM", "trust this CA for the admin API (default: the system's)")
      .option("connect-to", "HOST:PORT:ADDR:PORT",
              "reach the admin API's HOST:PORT at ADDR:PORT (like curl)")
      .option("count", "N", "how many devices (with --public-keys: optional, must match)")
      .option("out", "OUTDIR", "where the batch goes (must not exist)")
      .option("urn", "SPEC",
              "mac:EUI64 or mac:EUI48 (a range; Dev ID = low 32 bits), ops:PEN-PRODUCT or os:PEN",
              "ops:32473-Device")
      .option("first-serial", "N", "the first serial for ops: and os: URNs", "1")
      .option("serial-digits", "N", "serials are zero-padded to this many digits", "6")
      .option("first-devid", "HEX",
              "the first allocated Dev ID (default: the MotherShip's next free one)")
      .option("public-keys", "PATH",
              "keys made on the devices: a directory of PEM/DER files, a PEM file, or a "
              "CSV of fingerprints (or urn,fingerprint)")
      .option("mothership-coaps", "ADDR:PORT",
              "where devices reach the MotherShip's CoAPS (default: its "
              "configuration's coaps-public)")
      .flag("psk",
            "PSK Devices (docs/protocol.md 13.3): a random 16-byte factory PSK each, PSK "
            "identity = the Dev URN, no key pair; bundles carry device.psk")
      .option("led-frame", "1|2",
              "the LED frame the Devices blink while unenrolled: 1 the draft's, 2 with a CRC-8 "
              "and an unambiguous start (docs/protocol.md 13.1.1)",
              "1")
      .flag("no-labels", "skip labels and sheets")
      .option("qr-level", "L|M|Q|H", "QR error-correction level (docs/qr-levels.md)", "Q")
      .option("module-pixels", "N", "PNG label pixels per QR module", "6")
      .flag("records-only", "store nothing; write OUTDIR/records.jsonl for tte-mothership import")
      .option("box", "N",
              "mint in boxes of N (1-10000) consecutive Dev IDs, each with a box key and a box "
              "label that enrolls the whole box (docs/factory.md \"Boxes\")")
      .option("threads", "N", "worker threads (default: one per core)")
      .flag("allow-example-id", "accept MS ID 0 (demos and tests)")
      .flag("json", "print the result as JSON")
      .epilog(
          "Exit status: 0 success, 1 failure (the message says why; nothing is stored and OUTDIR "
          "is not "
          "created), 2 wrong usage.");
  if (!cli.parse(args)) return 0;

  factory::BatchOptions options;
  options.out = cli.require("out");
  // A batch's Dev IDs are 32 bits (plan_batch); serials at most 19 digits (UrnPlan).
  if (auto count = cli.get_int("count", 1, 0xffffffffLL)) {
    options.count = static_cast<std::uint64_t>(*count);
  }
  options.urn_spec = cli.require("urn");
  options.first_serial = static_cast<std::uint64_t>(
      cli.require_int("first-serial", 0, std::numeric_limits<std::int64_t>::max()));
  options.serial_digits = static_cast<int>(cli.require_int("serial-digits", 1, 19));
  if (auto first = cli.get("first-devid")) {
    auto dev_id = DevId::parse(*first);
    if (!dev_id.ok()) throw UsageError(std::string("--first-devid: ") + dev_id.error().message);
    options.first_dev_id = dev_id.value();
  }
  options.public_keys = cli.get("public-keys");
  options.psk = cli.has("psk");
  if (options.psk && options.public_keys)
    throw UsageError("--psk and --public-keys exclude each other: a PSK Device has no key pair");
  options.led_frame =
      cli.require_int("led-frame", 1, 2) == 2 ? led::FrameVersion::v2 : led::FrameVersion::v1;
  options.labels = !cli.has("no-labels");
  auto level = labels::parse_qr_level(cli.require("qr-level"));
  if (!level.ok()) throw UsageError(std::string("--qr-level: ") + level.error().message);
  options.qr_level = level.value();
  options.module_px = static_cast<int>(cli.require_int("module-pixels", 1, 64));
  if (auto threads = cli.get_int("threads", 1, 1024)) options.threads = static_cast<int>(*threads);
  options.progress = ::isatty(STDERR_FILENO) && !cli.has("json");
  options.records_file = cli.has("records-only");
  // A box URL's count is 1-10000 (docs/protocol.md §13.2).
  if (auto box = cli.get_int("box", 1, BoxUrl::kMaxCount))
    options.box_size = static_cast<std::uint32_t>(*box);
  // A box claim sends no per-device cpsk, which a PSK Device needs (docs/protocol.md §13.3).
  if (options.psk && options.box_size != 0)
    throw UsageError("--psk and --box exclude each other: PSK Devices are not minted in boxes");
  const IdPolicy policy =
      cli.has("allow-example-id") ? IdPolicy::allow_example : IdPolicy::operational;

  if (cli.has("data-dir") == cli.has("admin"))
    throw UsageError("give either --data-dir or --admin (see --help)");
  std::optional<DevId> next_free;
  std::optional<factory::MotherShipInfo> mothership;
  std::optional<DataDir> dir;
  std::optional<Remote> remote;
  if (cli.has("data-dir")) {
    dir.emplace(cli.require("data-dir"));
    dir->require_initialised();
    auto config = dir->read_config();
    Store store = open_store(*dir, cli.get("database"), Store::Access::read_only, StoreCheck::none);
    IdPolicy local = config["allow-example-id"] == "true" || policy == IdPolicy::allow_example
                         ? IdPolicy::allow_example
                         : IdPolicy::operational;
    auto coaps = ControllerAddress::parse(cli.get_or("mothership-coaps", config["coaps-public"]));
    if (!coaps.ok()) {
      throw UsageError(
          "where devices reach the MotherShip's CoAPS is not set: give --mothership-coaps "
          "ADDR:PORT");
    }
    mothership =
        factory::MotherShipInfo{store.ms_id(local), dir->dtls_fingerprint(), coaps.value()};
    auto free = store.next_free_dev_id();
    if (!free.ok()) throw StartupError("cannot read the database: " + store.last_error());
    next_free = free.value();
  } else {
    remote.emplace();
    remote->url = cli.require("admin");
    while (!remote->url.empty() && remote->url.back() == '/')
      remote->url.pop_back();
    if (auto file = cli.get("token-file")) {
      remote->token = read_token_file(*file);
    } else {
      remote->token = cli.require("token");
    }
    remote->client.ca_file = cli.get("cafile");
    remote->client.connect_to = cli.get("connect-to");
    mothership = info_from_admin(*remote, policy, next_free);
    if (auto coaps = cli.get("mothership-coaps")) {
      auto address = ControllerAddress::parse(*coaps);
      if (!address.ok())
        throw UsageError(std::string("--mothership-coaps: ") + address.error().message);
      mothership->coaps = address.value();
    }
  }

  std::vector<factory::DevicePublicKey> public_keys;
  if (options.public_keys) public_keys = factory::read_public_keys(*options.public_keys);
  auto plan = factory::plan_batch(options, public_keys, next_free);

  // Refuse what the MotherShip already has before minting anything.
  if (dir && !cli.has("records-only")) {
    Store store = open_store(*dir, cli.get("database"), Store::Access::read_only, StoreCheck::none);
    for (const auto& device : plan) {
      auto by_id = store.device(device.dev_id);
      if (!by_id.ok()) throw StartupError("cannot read the database: " + store.last_error());
      if (by_id.value()) {
        throw StartupError("Dev ID " + std::string(device.dev_id.to_string().view()) +
                           " is already stored (" + std::string(by_id.value()->urn.view()) +
                           "); nothing was minted");
      }
      auto by_urn = store.urn_exists(device.urn.view());
      if (!by_urn.ok()) throw StartupError("cannot read the database: " + store.last_error());
      if (by_urn.value()) {
        throw StartupError("URN " + std::string(device.urn.view()) +
                           " is already stored; nothing was minted");
      }
    }
  }

  factory::StoreRecords store_records =
      [&](const std::vector<FactoryRecord>& records) -> std::string {
    if (cli.has("records-only")) return "records.jsonl (load it with tte-mothership import)";
    if (dir) {
      Store store = open_store(*dir, cli.get("database"), Store::Access::read_write);
      store.tune_for_bulk_load();
      if (!store.begin_bulk().ok())
        throw StartupError("cannot lock the database: " + store.last_error());
      const PskSealer psk_sealer = dir->psk_sealer();
      auto inserted = insert_factory_records(store, dir->otp_hasher(), records.begin(),
                                             records.end(), &psk_sealer);
      if (!inserted.status.ok()) {
        store.rollback();
        if (inserted.status.error().code == Errc::duplicate) {
          throw StartupError(inserted.which + " is already stored; nothing was stored or kept");
        }
        throw StartupError("cannot store the records: " + store.last_error());
      }
      AuditEntry entry = import_audit_entry(records.size(), "factory", std::time(nullptr));
      entry.action = "manufacture";
      entry.detail += ", " + std::string(records.front().dev_id.to_string().view()) + ".." +
                      std::string(records.back().dev_id.to_string().view());
      auto head = store.lock_audit_chain().ok()
                      ? store.audit_head()
                      : Result<AuditHead>(make_error(Errc::io, "cannot lock", "database"));
      if (!head.ok() || !store.append_audit(entry, head.value()).ok() || !store.commit().ok()) {
        store.rollback();
        throw StartupError("cannot store the records: " + store.last_error());
      }
      return "the database";
    }
    std::string body;
    for (const auto& record : records)
      body += record.to_json() + "\n";
    auto result = remote->call("POST", "/admin/v1/devices", body);
    if (!result.ok())
      throw StartupError("cannot reach the admin API: " + result.error + "; nothing was stored");
    if (result.response.status != 200) {
      throw StartupError("the admin API refused the records (" +
                         std::to_string(result.response.status) +
                         "): " + problem_detail(result.response.body) + "; nothing was stored");
    }
    return "the admin API";
  };

  auto result = factory::mint_batch(options, *mothership, plan, store_records);
  nlohmann::ordered_json json{{"count", result.count},
                              {"out", options.out},
                              {"first_devid", std::string(result.first.to_string().view())},
                              {"last_devid", std::string(result.last.to_string().view())},
                              {"stored", result.stored},
                              {"boxes", result.boxes},
                              {"seconds", result.seconds},
                              {"per_second", result.count / std::max(result.seconds, 1e-9)}};
  if (cli.has("json")) {
    std::cout << json.dump() << "\n";
  } else {
    std::cout << "Minted " << result.count << " devices ("
              << std::string(result.first.to_string().view()) << ".."
              << std::string(result.last.to_string().view()) << ")";
    if (result.boxes != 0) std::cout << " in " << result.boxes << " boxes";
    std::cout << " into " << options.out << " in " << result.seconds << " s; records stored in "
              << result.stored << ".\n";
  }
  return 0;
}

}  // namespace tte::mothership
