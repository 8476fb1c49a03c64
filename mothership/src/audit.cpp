#include "audit.hpp"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "tte/hex.hpp"
#include "tte/host/rfc3339.hpp"

namespace tte::mothership {
namespace {

nlohmann::ordered_json as_json(const AuditEntry& entry) {
  nlohmann::ordered_json json;
  json["seq"] = entry.seq;
  json["time"] = format_rfc3339(entry.time);
  json["actor"] = entry.actor;
  json["action"] = entry.action;
  json["devid"] = entry.dev_id
                      ? nlohmann::ordered_json(std::string(entry.dev_id->to_string().view()))
                      : nlohmann::ordered_json(nullptr);
  json["outcome"] = entry.outcome;
  json["cfingerprint"] = entry.controller_fingerprint;
  json["detail"] = entry.detail;
  return json;
}

}  // namespace

std::string AuditEntry::canonical_json() const {
  return as_json(*this).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string AuditEntry::to_json(const AuditHash& hash) const {
  auto json = as_json(*this);
  json["hash"] = hash_hex(hash);
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

AuditHash chain_hash(const AuditHash& previous, const AuditEntry& entry) {
  std::string text = entry.canonical_json();
  AuditHash hash{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int length = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, previous.data(), previous.size());
  EVP_DigestUpdate(ctx, text.data(), text.size());
  EVP_DigestFinal_ex(ctx, hash.data(), &length);
  EVP_MD_CTX_free(ctx);
  return hash;
}

std::string hash_hex(const AuditHash& hash) {
  std::string text(64, '\0');
  write_hex_lower(hash, text.data());
  return text;
}

}  // namespace tte::mothership
