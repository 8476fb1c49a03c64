// What the Controller knows about its Devices and bindings: announced by
// Introducers (message 6), joined over DTLS, registered in the Resource
// Directory, their state at the MotherShip (messages 7/8). One mutex guards
// it; every thread (CoAP, HTTP, poller) reads and writes through it.
//
// Durability: an announcement and a binding are committed (synchronous=FULL)
// before they are acknowledged; the rest (last seen, registrations, poll
// results) is soft state, written in batches by flush() every second and at
// shutdown, because Devices re-register on their own after a restart.
#ifndef TTE_CONTROLLER_REGISTRY_HPP
#define TTE_CONTROLLER_REGISTRY_HPP

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "binding.hpp"
#include "directory.hpp"
#include "tte/host/messages.hpp"
#include "tte/host/psk_seal.hpp"
#include "tte/identifiers.hpp"
#include "tte/platform/sqlite.hpp"

namespace tte::controller {

enum class Policy { strict, open };
Result<Policy> parse_policy(std::string_view text);
const char* policy_name(Policy policy);

// The state a dashboard shows, derived from the entry.
enum class DeviceStatus { announced, joined, registered, expired, deregistered };
const char* device_status_name(DeviceStatus status);

// Hashes a key fingerprint (a SHA-256 value) for unordered containers. The
// per-process seed keeps anyone who can choose keys from aiming at one bucket.
struct KeyHash {
  std::size_t operator()(const Fingerprint::Bytes& bytes) const noexcept;
};

// The key a PSK Device's entry is filed under (it has no fingerprint):
// SHA-256("tte-psk-peer" || 0x00 || URN). Internal only; never shown as a
// fingerprint (docs/protocol.md §13.3).
Fingerprint psk_peer_key(std::string_view urn);

struct DeviceEntry {
  // The Device's DTLS key, or for a PSK Device (psk_only) psk_peer_key(urn).
  Fingerprint fingerprint;
  bool psk_only = false;
  // The Device-Controller PSK from the notice (message 6), sealed under psk.key.
  std::optional<SealedPsk> sealed_psk;
  std::string urn;  // announced, or the endpoint name it registered with (open policy)
  std::optional<DevId> dev_id;
  std::optional<Otp> otp;
  std::string mothership;  // tte-XXXXXX.net, from the announcement
  std::string description;
  std::optional<std::int64_t> announced_at, joined_at, last_seen;
  // The address the Controller reaches the Device at: its registration's
  // session, else its newest session; the last one known when none is up.
  std::string address;              // "192.0.2.9:40123"
  bool connected = false;           // a DTLS session is up now (not stored)
  int sessions = 0;                 // DTLS sessions up now with this key (not stored)
  std::int64_t seen_stored_at = 0;  // when last_seen was last marked for the store (not stored)

  // The Resource Directory registration, or how the last one ended.
  bool registered = false;
  std::string location;  // "rd/7"
  std::int64_t lifetime = 0;
  std::optional<std::int64_t> registered_at, expires_at;
  std::string links;               // link-format text
  std::string registration_ended;  // "", "expired" or "removed"

  // Messages 7/8: the Device's state at its MotherShip, for announced Devices.
  std::string ms_state;  // "", or unmapped, mapped, registered, revoked
  std::optional<std::int64_t> ms_checked_at;
  std::optional<std::int64_t> ms_next_poll_at;  // absent: not polling
  int ms_failures = 0;
  std::string ms_error;

  DeviceStatus status() const;
};

enum class Announced { created, repeated };

class Registry {
 public:
  // Opens (creating) the database. Throws StartupError. psk_sealer seals and
  // opens the PSKs notices carry; without one a notice with psk is refused.
  Registry(const std::string& database_path, Policy policy,
           std::optional<PskSealer> psk_sealer = std::nullopt);
  ~Registry();

  Policy policy() const { return policy_; }

  // Message 6. Errors: duplicate (the URN or the key is already announced
  // with different identifiers), io.
  Result<Announced> announce(const DeviceNotice& notice, std::int64_t now);
  // Many notices in one transaction (docs/protocol.md §10.2): one result per
  // notice, in order, each as announce() would give it after the notices
  // before it; the good ones are stored even when others are refused. Errors
  // (of the whole batch, then nothing is stored): io.
  Result<std::vector<Result<Announced>>> announce_all(const std::vector<DeviceNotice>& notices,
                                                      std::int64_t now);
  // The operator removes a Device (and its bindings). Errors: not_found, io.
  Status remove(const std::string& urn);

  // DTLS: may this key join? strict: only announced keys; open: any.
  bool admits(const Fingerprint& key) const;
  // DTLS-PSK (docs/protocol.md §13.3), under both policies: the identity must be
  // the URN of a Device announced with a PSK. The entry's key and its PSK, or
  // nullopt (unknown identity, no PSK announced, or a PSK that does not open).
  struct PskSession {
    Fingerprint key;
    Psk psk;
  };
  std::optional<PskSession> psk_session(std::string_view identity) const;
  // A DTLS session with this key came up. An announced Device whose state at
  // the MotherShip is not final yet gets one more status poll (it has asked the
  // MotherShip by now).
  void joined(const Fingerprint& key, std::int64_t now);
  // What the CoAP layer sees of a key's sessions: how many are up, and the
  // address shown for the Device (empty: keep the last one).
  void connection(const Fingerprint& key, int sessions, const std::string& address);
  void seen(const Fingerprint& key, std::int64_t now);
  // Called (without the lock held) when joined() made a poll due now.
  void on_poll_due(std::function<void()> wake) { poll_due_ = std::move(wake); }

  // Resource Directory events (from the CoAP thread).
  // The URN announced for a key, and the key announced for a URN.
  std::optional<std::string> announced_urn(const Fingerprint& key) const;
  std::optional<Fingerprint> key_of_announced(const std::string& urn) const;
  void registered(const Registration& registration, std::int64_t now);
  void registration_ended(const Fingerprint& key, const char* how);

  // Messages 7/8: announced Devices that have not joined and are due.
  struct PollTask {
    Fingerprint key;
    DevId dev_id;
    Otp otp;
    std::string mothership;
    int failures = 0;
    std::string state;  // the last answer's
  };
  std::vector<PollTask> due_polls(std::int64_t now) const;
  std::optional<std::int64_t> next_poll_at() const;
  // state empty means the poll failed with `error`; next_at absent stops polling.
  void poll_result(const Fingerprint& key, const std::string& state, const std::string& error,
                   std::int64_t now, std::optional<std::int64_t> next_at);

  std::vector<DeviceEntry> devices() const;
  std::optional<DeviceEntry> device(const std::string& urn) const;

  // Bindings. Errors: not_found (a device), duplicate, io.
  Result<Binding> add_binding(const std::string& source_urn, const std::string& source_path,
                              const std::string& target_urn, const std::string& target_path,
                              std::int64_t now);
  Status remove_binding(std::int64_t id);
  std::vector<Binding> bindings() const;
  void binding_fired(std::int64_t id, const std::string& value, const std::string& error,
                     std::int64_t now);

  // Writes the soft state changed since the last flush. Returns rows written.
  std::size_t flush();

 private:
  DeviceEntry* find_key(const Fingerprint& key);
  const DeviceEntry* find_key(const Fingerprint& key) const;
  DeviceEntry* find_urn(const std::string& urn);
  // What a notice makes of the entry (with mutex_ held); nullopt: a repeat.
  Result<std::optional<DeviceEntry>> announced_entry(const DeviceNotice& notice, std::int64_t now);
  void mark(const Fingerprint& key) { dirty_.insert(key.bytes()); }
  Status store_device(const DeviceEntry& entry);  // with db_mutex_ held

  Policy policy_;
  std::optional<PskSealer> psk_sealer_;
  std::function<void()> poll_due_;
  mutable std::mutex mutex_;
  std::unordered_map<Fingerprint::Bytes, DeviceEntry, KeyHash> devices_;
  std::map<std::string, Fingerprint::Bytes> key_of_urn_;
  std::map<std::int64_t, Binding> bindings_;
  std::set<Fingerprint::Bytes> dirty_;

  std::mutex db_mutex_;  // taken after mutex_ when both are needed
  std::unique_ptr<sqlite::Database> db_;
  // Prepared once, at start-up (preparing throws; running returns a Status).
  std::optional<sqlite::Statement> upsert_, erase_device_, unbind_device_, insert_binding_,
      erase_binding_;
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_REGISTRY_HPP
