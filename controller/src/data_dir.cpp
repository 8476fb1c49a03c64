#include "data_dir.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <ctime>

#include "registry.hpp"
#include "tte/hex.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/ip_address.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"
#include "tte/platform/x509.hpp"

namespace tte::controller {
namespace {

constexpr std::int64_t kDay = 86400;

}  // namespace

void DataDir::require_initialised() const {
  if (!file_exists(config()) || !file_exists(path("dtls.crt"))) {
    throw StartupError(root_ +
                       " is not a Controller data directory (run: tte-controller init --data-dir " +
                       root_ + ")");
  }
}

std::string DataDir::intake_token() const {
  return read_token_file(path("intake.token"));
}
std::string DataDir::api_token() const {
  return read_token_file(path("api.token"));
}

std::string first_host_address() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "127.0.0.1";
  std::string v4, v6;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    char text[INET6_ADDRSTRLEN] = "";
    if (a->ifa_addr->sa_family == AF_INET && v4.empty()) {
      auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
      if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      v4 = text;
    } else if (a->ifa_addr->sa_family == AF_INET6 && v6.empty()) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) continue;
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      v6 = text;
    }
  }
  ::freeifaddrs(list);
  if (!v4.empty()) return v4;
  if (!v6.empty()) return v6;
  return "127.0.0.1";
}

std::string default_coaps_public(const ListenAddress& coaps) {
  return coaps.reached_at(first_host_address()).to_string();
}

InitResult initialise(const InitOptions& o) {
  DataDir dir(o.data_dir);
  if (file_exists(dir.config()) || file_exists(dir.database())) {
    throw StartupError(o.data_dir + " already holds a Controller; refusing to overwrite it");
  }
  if (!parse_policy(o.policy).ok()) throw StartupError("--policy is strict or open");
  if (!o.intake.empty() && o.intake.rfind("http://", 0) != 0 && o.intake.rfind("https://", 0) != 0)
    throw StartupError("--intake must be an http:// or https:// URL: " + o.intake);
  // Where Devices reach us: given, or the CoAPS port on this host's address.
  std::string coaps_public = o.coaps_public;
  const ListenAddress coaps = ListenAddress::parse(o.coaps, "coaps");
  if (coaps_public.empty() && coaps.port != 0) coaps_public = default_coaps_public(coaps);
  if (!coaps_public.empty() && !ControllerAddress::parse(coaps_public).ok()) {
    throw StartupError(
        "--coaps-public must be IP:PORT (Devices are given an address, not a name): " +
        coaps_public);
  }
  make_private_directory(o.data_dir);
  const std::int64_t now = std::time(nullptr);
  InitResult result;
  result.coaps_public = coaps_public;

  auto dtls_key = x509::PrivateKey::generate_p256();
  x509::Subject dtls;
  dtls.common_name = "TTE Controller DTLS";
  dtls.not_before = now - kDay;
  dtls.not_after = now + 100 * 365 * kDay;
  write_file_atomic(dir.path("dtls.key"), dtls_key.to_pem(), 0600, false);
  write_file_atomic(dir.path("dtls.crt"), x509::self_signed(dtls_key, dtls).to_pem(), 0644, false);
  result.dtls_fingerprint = dtls_key.fingerprint();

  // A self-signed certificate for the optional HTTPS listener: Introducers
  // trust it with --notify-cafile DIR/https.crt.
  auto https_key = x509::PrivateKey::generate_p256();
  x509::Subject https;
  https.common_name = "TTE Controller";
  std::vector<std::string> names = o.https_names;
  if (names.empty()) {
    char hostname[256] = "";
    if (::gethostname(hostname, sizeof hostname - 1) == 0 && hostname[0]) names.push_back(hostname);
    names.push_back("localhost");
    names.push_back("127.0.0.1");
    names.push_back("::1");
    std::string host = coaps_public.substr(0, coaps_public.rfind(':'));
    if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (!host.empty() && host != "127.0.0.1") names.push_back(host);
  }
  for (const auto& name : names) {
    if (IpAddress::parse(name).ok()) {
      https.ip_addresses.push_back(name);
    } else {
      https.dns_names.push_back(name);
    }
  }
  // Self-signed: Introducers trust it directly (--notify-cafile DIR/https.crt).
  https.not_before = now - kDay;
  https.not_after = now + 825 * kDay;
  write_file_atomic(dir.path("https.key"), https_key.to_pem(), 0600, false);
  write_file_atomic(dir.path("https.crt"), x509::self_signed(https_key, https).to_pem(), 0644,
                    false);

  write_new_token_file(dir.path("intake.token"));
  write_new_token_file(dir.path("api.token"));
  write_new_token_file(dir.path("psk.key"));

  std::string config =
      "# tte-controller configuration, written by `tte-controller init`.\n"
      "# Any `serve` option can be set here as \"name = value\"; the command line wins.\n"
      "coaps = " +
      o.coaps +
      "\n"
      "# Where Devices reach the CoAPS listener (what installers give the MotherShip).\n" +
      (coaps_public.empty()
           ? "# coaps-public = IP:PORT (unset: the CoAPS port is chosen at start)\n"
           : "coaps-public = " + coaps_public + "\n") +
      "http = " + o.http + "\n" +
      (o.https.empty() ? "# https = 0.0.0.0:8443\n" : "https = " + o.https + "\n") +
      "policy = " + o.policy + "\n" +
      (o.intake.empty() ? "# Where installers send message 6 (unset: derived from the listeners).\n"
                          "# intake = https://ctl.example.net:8443\n"
                        : "intake = " + o.intake + "\n");
  { Registry create(dir.database(), parse_policy(o.policy).value()); }
  write_file_atomic(dir.config(), config, 0644, false);
  return result;
}

}  // namespace tte::controller
