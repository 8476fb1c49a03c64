// Site profiles: an installer types a Controller's details once
// (`tte-introducer site add`) and names the site afterwards. Stored as JSON
// in the Introducer's data directory, mode 0600 (they may hold tokens).
#ifndef TTE_INTRODUCER_SITES_HPP
#define TTE_INTRODUCER_SITES_HPP

#include <map>
#include <optional>
#include <string>

#include "tte/identifiers.hpp"
#include "tte/ip_address.hpp"

namespace tte::introducer {

struct Site {
  ControllerAddress controller;
  Fingerprint controller_fingerprint;
  std::string notify_url;  // empty: no message 6
  std::string token;
  std::string notify_ca_file;  // for an https:// intake with a private CA
};

class Sites {
 public:
  // Loads path if it exists. Throws StartupError on a malformed file.
  explicit Sites(std::string path);

  const std::map<std::string, Site>& all() const { return sites_; }
  std::optional<Site> find(const std::string& name) const;
  void put(const std::string& name, const Site& site);  // adds or replaces
  bool remove(const std::string& name);
  void save() const;  // write-then-rename, mode 0600

 private:
  std::string path_;
  std::map<std::string, Site> sites_;
};

// The sites in a sites.json text. Throws StartupError naming what is malformed.
std::map<std::string, Site> parse_sites(const std::string& text);

// Site names: 1-64 letters, digits, '-', '_' or '.'.
bool valid_site_name(const std::string& name);

}  // namespace tte::introducer

#endif  // TTE_INTRODUCER_SITES_HPP
