#include "sites.hpp"

#include <nlohmann/json.hpp>

#include "tte/ascii.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::introducer {

bool valid_site_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(ascii::is_alpha(c) || ascii::is_digit(c) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

std::map<std::string, Site> parse_sites(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("sites") ||
      !json["sites"].is_object()) {
    throw StartupError("not a site list");
  }
  auto field = [](const nlohmann::json& entry, const char* key) -> std::string {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::map<std::string, Site> sites;
  for (const auto& [name, entry] : json["sites"].items()) {
    if (!entry.is_object() || !valid_site_name(name))
      throw StartupError("site '" + name + "' is malformed");
    auto controller = ControllerAddress::parse(field(entry, "controller"));
    auto fingerprint = Fingerprint::parse(field(entry, "controller_fingerprint"));
    if (!controller.ok() || !fingerprint.ok())
      throw StartupError("site '" + name + "' is malformed");
    sites[name] = Site{controller.value(), fingerprint.value(), field(entry, "notify"),
                       field(entry, "token"), field(entry, "notify_cafile")};
  }
  return sites;
}

Sites::Sites(std::string path) : path_(std::move(path)) {
  if (!file_exists(path_)) return;
  try {
    sites_ = parse_sites(read_file(path_));
  } catch (const StartupError& e) {
    throw StartupError(path_ + ": " + e.what());
  }
}

std::optional<Site> Sites::find(const std::string& name) const {
  auto it = sites_.find(name);
  if (it == sites_.end()) return std::nullopt;
  return it->second;
}

void Sites::put(const std::string& name, const Site& site) {
  sites_[name] = site;
}

bool Sites::remove(const std::string& name) {
  return sites_.erase(name) > 0;
}

void Sites::save() const {
  nlohmann::ordered_json json;
  json["sites"] = nlohmann::ordered_json::object();
  for (const auto& [name, site] : sites_) {
    json["sites"][name] = {
        {"controller", std::string(site.controller.to_string().view())},
        {"controller_fingerprint", std::string(site.controller_fingerprint.to_string().view())},
        {"notify", site.notify_url},
        {"token", site.token},
        {"notify_cafile", site.notify_ca_file}};
  }
  write_file_atomic(path_, json.dump(2) + "\n", 0600);
}

}  // namespace tte::introducer
