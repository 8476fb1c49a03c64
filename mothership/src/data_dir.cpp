#include "data_dir.hpp"

#include <ctime>
#include <filesystem>
#include <set>
#include <sstream>

#include "store.hpp"
#include "tte/hex.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"
#include "tte/platform/x509.hpp"

namespace tte::mothership {
namespace {

constexpr std::int64_t kDay = 86400;

InitResult initialise_in(DataDir& dir, const InitOptions& o, const DatabaseLocation& location);

}  // namespace

std::map<std::string, std::string> DataDir::read_config() const {
  std::map<std::string, std::string> settings;
  std::istringstream lines(read_file(config()));
  std::string line;
  while (std::getline(lines, line)) {
    auto hash = line.find('#');
    if (hash != std::string::npos) line = line.substr(0, hash);
    auto equals = line.find('=');
    auto strip = [](std::string text) {
      auto begin = text.find_first_not_of(" \t\r");
      auto end = text.find_last_not_of(" \t\r");
      return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
    };
    std::string name = strip(line.substr(0, equals));
    if (name.empty()) continue;
    settings[name] = equals == std::string::npos ? "true" : strip(line.substr(equals + 1));
  }
  return settings;
}

namespace {
constexpr const char* kNoPasswordInUri =
    "leave the password out; libpq reads it from ~/.pgpass (or the file PGPASSFILE names) when "
    "the URI names no password (docs/operations.md)";
}  // namespace

DatabaseLocation DataDir::database_location(const std::optional<std::string>& given) const {
  std::string text = kDefaultDatabase;
  std::string origin = "--database";
  if (given) {
    text = *given;
  } else if (file_exists(config())) {
    auto settings = read_config();
    if (auto it = settings.find("database"); it != settings.end()) {
      text = it->second;
      origin = config() + ": database";
    }
  }
  auto location = DatabaseLocation::parse(text, root_);
  if (!location.ok()) {
    std::string message =
        origin + " " + redact_database_text(text) + ": " + location.error().message;
    if (given) throw UsageError(message);
    throw StartupError(message);
  }
  // Not only kept out of files and `ps`: libpq's own messages about a URI it
  // cannot read quote pieces of it, the password's among them.
  if (location->has_password()) {
    std::string message = origin + " " + location->redacted() + ": " + kNoPasswordInUri;
    if (given) throw UsageError(message);
    throw StartupError(message);
  }
  return location.value();
}

void DataDir::require_initialised() const {
  const bool configured = file_exists(config());
  if (!configured || (database_location().kind == DatabaseLocation::Kind::sqlite &&
                      !file_exists(database_location().target))) {
    throw StartupError(root_ +
                       " is not a MotherShip data directory (run: tte-mothership init --data-dir " +
                       root_ + " --ms-id N)");
  }
}

OtpHasher DataDir::otp_hasher() const {
  std::string hex = read_token_file(path("otp.key"));
  std::array<std::uint8_t, 32> key{};
  if (!parse_hex_bytes(hex, key, "otp.key").ok()) {
    throw StartupError(path("otp.key") + " must hold 64 hex digits");
  }
  auto hmac = HmacSha256::with_key(key);
  if (!hmac.ok()) throw StartupError("cannot use " + path("otp.key"));
  return OtpHasher(hmac.value());
}

PskSealer DataDir::psk_sealer() const {
  return DataDirectory::psk_sealer(PskSealer::Purpose::factory);
}

std::string DataDir::admin_token() const {
  return read_token_file(path("admin.token"));
}

std::string psk_key_check(const PskSealer& sealer) {
  auto sealed = sealer.seal(DevId(0), FactoryPsk{});
  if (!sealed.ok()) throw StartupError("cannot seal with psk.key");
  std::string hex(sealed.value().size() * 2, '0');
  write_hex_lower(ByteView(sealed.value().data(), sealed.value().size()), hex.data());
  return hex;
}

bool psk_key_opens(const PskSealer& sealer, std::string_view check) {
  SealedPsk sealed{};
  if (!parse_hex_bytes(check, sealed, "psk_key_check").ok()) return false;
  auto opened = sealer.unseal(DevId(0), ByteView(sealed.data(), sealed.size()));
  return opened.ok() && opened.value() == FactoryPsk{};
}

std::string otp_key_check(const OtpHasher& hasher) {
  const OtpDigest digest = hasher.digest(DevId(0), Otp(0));
  std::string hex(32, '0');
  write_hex_lower(ByteView(digest.data(), 16), hex.data());
  return hex;
}

void check_database_matches(const DataDir& dir, Store& store) {
  auto otp_check = store.meta("otp_key_check");
  auto dtls = store.meta("dtls_fingerprint");
  auto psk_check = store.meta("psk_key_check");
  if (!otp_check.ok() || !dtls.ok() || !psk_check.ok())
    throw StartupError(store.path() + ": cannot read it: " + store.last_error());
  if (otp_check.value() && *otp_check.value() != otp_key_check(dir.otp_hasher())) {
    throw StartupError(dir.path("otp.key") + " is not the key " + store.path() +
                       " was made with: every instance on one database needs the same otp.key "
                       "(copy it from the data directory `init` made; docs/operations.md)");
  }
  if (psk_check.value() && !psk_key_opens(dir.psk_sealer(), *psk_check.value())) {
    throw StartupError(dir.path("psk.key") + " is not the key " + store.path() +
                       " was made with: PSK Devices' factory keys are sealed with it, so every "
                       "instance on one database needs the same psk.key (copy it from the data "
                       "directory `init` made; docs/operations.md)");
  }
  const std::string fingerprint(dir.dtls_fingerprint().to_string().view());
  if (dtls.value() && *dtls.value() != fingerprint) {
    throw StartupError(dir.path("dtls.key") + " is not the DTLS key " + store.path() +
                       " was made with: devices pin one fingerprint, so every instance on one "
                       "database needs the same dtls.key and dtls.crt (docs/operations.md)");
  }
}

Store open_store(const DataDir& dir, const std::optional<std::string>& given, StoreAccess access,
                 StoreCheck check) {
  Store store(dir.database_location(given), access);
  if (check == StoreCheck::keys) check_database_matches(dir, store);
  return store;
}

InitResult initialise(const InitOptions& o) {
  DataDir dir(o.data_dir);
  auto location = DatabaseLocation::parse(o.database, o.data_dir);
  if (!location.ok()) {
    throw UsageError("--database " + redact_database_text(o.database) + ": " +
                     location.error().message);
  }
  // init writes the URI into mothership.conf, and `ps` shows command lines.
  if (location->has_password()) {
    throw UsageError("--database " + location->redacted() + ": " + kNoPasswordInUri);
  }
  const bool on_sqlite = location->kind == DatabaseLocation::Kind::sqlite;
  if ((on_sqlite && file_exists(location->target)) || file_exists(dir.config())) {
    throw StartupError(o.data_dir + " already holds a MotherShip; refusing to overwrite it");
  }
  if (o.https_cert.has_value() != o.https_key.has_value()) {
    throw StartupError("--https-cert and --https-key go together");
  }
  const bool made_here = !file_exists(o.data_dir);
  make_private_directory(o.data_dir);
  std::set<std::string> there_before;
  for (const auto& entry : std::filesystem::directory_iterator(o.data_dir))
    there_before.insert(entry.path().filename().string());
  try {
    return initialise_in(dir, o, *location);
  } catch (...) {
    // Nothing half made is left behind (a PostgreSQL database that already holds a
    // MotherShip, say): the keys written here would match no database. In a
    // directory that was there (a package's home), only what init wrote goes.
    std::error_code ignored;
    if (made_here) {
      std::filesystem::remove_all(o.data_dir, ignored);
    } else {
      for (const auto& entry : std::filesystem::directory_iterator(o.data_dir, ignored)) {
        if (!there_before.count(entry.path().filename().string()))
          std::filesystem::remove_all(entry.path(), ignored);
      }
    }
    throw;
  }
}

namespace {

InitResult initialise_in(DataDir& dir, const InitOptions& o, const DatabaseLocation& location) {
  const std::string host(o.ms_id.host().view());
  const std::int64_t now = std::time(nullptr);
  InitResult result;
  result.host = host;

  // The DTLS key pair devices pin by fingerprint. The certificate only carries
  // the key, so its validity is long.
  auto dtls_key = x509::PrivateKey::generate_p256();
  x509::Subject dtls;
  dtls.common_name = host + " DTLS";
  dtls.not_before = now - kDay;
  dtls.not_after = now + 100 * 365 * kDay;
  write_file_atomic(dir.path("dtls.key"), dtls_key.to_pem(), 0600, false);
  write_file_atomic(dir.path("dtls.crt"), x509::self_signed(dtls_key, dtls).to_pem(), 0644, false);
  result.dtls_fingerprint = dtls_key.fingerprint();

  if (o.https_cert) {
    write_file_atomic(dir.path("https.crt"), read_file(*o.https_cert), 0644, false);
    write_file_atomic(dir.path("https.key"), read_file(*o.https_key), 0600, false);
  } else {
    // For local use: a CA of our own, and a certificate for tte-XXXXXX.net from it.
    auto ca_key = x509::PrivateKey::generate_p256();
    x509::Subject ca;
    ca.common_name = "TTE local CA for " + host;
    ca.not_before = now - kDay;
    ca.not_after = now + 10 * 365 * kDay;
    ca.is_ca = true;
    auto ca_cert = x509::self_signed(ca_key, ca);
    auto https_key = x509::PrivateKey::generate_p256();
    x509::Subject https;
    https.common_name = host;
    https.dns_names = {host};
    for (const auto& name : o.https_extra_names)
      https.dns_names.push_back(name);
    https.not_before = now - kDay;
    https.not_after = now + 825 * kDay;
    write_file_atomic(dir.path("ca.key"), ca_key.to_pem(), 0600, false);
    write_file_atomic(dir.path("ca.crt"), ca_cert.to_pem(), 0644, false);
    write_file_atomic(dir.path("https.key"), https_key.to_pem(), 0600, false);
    write_file_atomic(dir.path("https.crt"),
                      x509::issue(ca_key, ca_cert, https_key, https).to_pem(), 0644, false);
    result.ca_file = dir.path("ca.crt");
  }

  write_new_token_file(dir.path("otp.key"));
  write_new_token_file(dir.path("psk.key"));
  write_new_token_file(dir.path("admin.token"));
  result.admin_token_file = dir.path("admin.token");

  std::string coaps_public = o.coaps_public;
  std::string config =
      "# tte-mothership configuration, written by `tte-mothership init`.\n"
      "# Any `serve` option can be set here as \"name = value\"; the command line wins.\n"
      "ms-id = " +
      std::to_string(o.ms_id.value()) + "\n" +
      (o.allow_example_id ? "allow-example-id = true\n" : "") + "https = " + o.https +
      "\n"
      "coaps = " +
      o.coaps +
      "\n"
      "admin = " +
      o.admin +
      "\n"
      "# Where devices reach the CoAPS listener (put into factory bundles).\n"
      "coaps-public = " +
      coaps_public +
      "\n"
      "https-cert = https.crt\n"
      "https-key = https.key\n";
  if (o.database != kDefaultDatabase) {
    config +=
        "# The database (docs/operations.md): sqlite:PATH or postgresql://...\n"
        "database = " +
        o.database + "\n";
  }
  // The configuration first: a database made last is never one no directory names.
  write_file_atomic(dir.config(), config, 0644, false);
  Store::initialize(
      location.to_string(), o.ms_id,
      {{"otp_key_check", otp_key_check(dir.otp_hasher())},
       {"psk_key_check", psk_key_check(dir.psk_sealer())},
       {"dtls_fingerprint", std::string(result.dtls_fingerprint.to_string().view())}});
  return result;
}

}  // namespace

}  // namespace tte::mothership
