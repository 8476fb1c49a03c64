// Message 6: telling a Controller to expect a device, now or later. Notices
// that cannot be delivered wait in a queue (SQLite, so a crash loses none)
// until `tte-introducer notify --pending`.
#ifndef TTE_INTRODUCER_NOTICES_HPP
#define TTE_INTRODUCER_NOTICES_HPP

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tte/host/messages.hpp"
#include "tte/host/psk_seal.hpp"
#include "tte/platform/http_client.hpp"

namespace tte::sqlite {
class Database;
}

namespace tte::introducer {

// Where a notice goes: the Controller's intake URL and its bearer token.
struct NoticeTarget {
  std::string url;  // "http://192.0.2.7:8080" (the intake path is added) or a full URL
  std::string token;
  std::string ca_file;  // for an https:// intake with a private CA; empty: the system's CAs
};

// The full intake URL: notify URLs without a path get /.well-known/tte/devices.
std::string intake_url(const std::string& notify_url);

enum class Delivery {
  delivered,  // 200 or 201
  transient,  // unreachable, timeout, 5xx: worth trying later
  refused,    // 4xx: trying again will not help (wrong token, malformed notice)
};

struct DeliveryReport {
  Delivery delivery = Delivery::transient;
  int status = 0;
  std::string detail;
};

DeliveryReport interpret_delivery(const http::FetchResult& result);  // pure
// Sends the notice. client's ca_file is replaced by the target's (the
// Controller's CA is not the MotherShip's); connect_to and timeout are kept.
DeliveryReport send_notice(const NoticeTarget& target, const DeviceNotice& notice,
                           http::ClientOptions client);

// Notices per request to the batch intake (docs/protocol.md §10.2).
inline constexpr std::size_t kNoticesPerBatch = 1000;

// The batch intake for a notify URL: the intake URL (intake_url) + "/batch".
std::string batch_intake_url(const std::string& notify_url);

// What the batch intake's answer means for each of `count` notices sent in it
// (pure): the per-notice results of a 200; the same report for every notice
// otherwise (interpret_delivery's). A 200 whose results do not match the
// notices counts as a failure worth retrying.
std::vector<DeliveryReport> interpret_batch_delivery(const http::FetchResult& result,
                                                     std::size_t count);

// Whether an answer says the Controller has no batch intake (an older one: 404 or 405).
bool lacks_batch_intake(const http::FetchResult& result);

// Sends up to kNoticesPerBatch notices in one request to the batch intake;
// one report per notice, in order. no_batch_intake: the Controller answered
// 404/405 (nothing was stored; send them one by one).
struct BatchReport {
  std::vector<DeliveryReport> reports;
  bool no_batch_intake = false;
};
BatchReport send_notice_batch(const NoticeTarget& target, const std::vector<DeviceNotice>& notices,
                              http::ClientOptions client);

struct QueuedNotice {
  std::int64_t id = 0;
  std::int64_t queued_at = 0;
  NoticeTarget target;
  std::string notice_json;
  int attempts = 0;
  std::string last_error;
  std::string box;  // the box URL's first Dev ID and count ("00001000+24"), or empty
  // The notice's link PSK (docs/protocol.md §13.3), sealed under psk.key beside
  // the queue: notice_json never holds it.
  std::optional<SealedPsk> sealed_psk = std::nullopt;
};

class NoticeQueue {
 public:
  // Opens (creating) the queue database at path, mode 0600. Throws StartupError,
  // also for a database that is not a queue of this schema.
  explicit NoticeQueue(const std::string& path);
  ~NoticeQueue();

  // Queues a notice before its first delivery attempt, so that a crash
  // between the claim and the delivery loses nothing. Returns its id.
  std::int64_t add(const NoticeTarget& target, const DeviceNotice& notice, std::int64_t now);
  // A box's notices, in one transaction (all queued or none). Returns their ids, in order.
  std::vector<std::int64_t> add_box(const NoticeTarget& target, const std::string& box,
                                    const std::vector<DeviceNotice>& notices, std::int64_t now);
  std::vector<QueuedNotice> pending();
  void remove(std::int64_t id);  // delivered
  void record_failure(std::int64_t id, const std::string& error);
  // The outcomes of a batch, in one transaction: the delivered ones leave, the
  // others keep the attempt and its reason.
  void record_batch(const std::vector<std::int64_t>& ids,
                    const std::vector<DeliveryReport>& reports);
  void retarget(std::int64_t id, const NoticeTarget& target);  // a new URL, token or CA

  // The notice a queue entry holds, its PSK unsealed. Any MotherShip ID is
  // accepted: the label's was checked before the notice was queued. Errors:
  // DeviceNotice::from_json's; crypto (a sealed PSK that does not open).
  Result<DeviceNotice> notice_of(const QueuedNotice& queued) const;

 private:
  // The notice as stored: its JSON without the PSK, and the PSK sealed.
  std::pair<std::string, std::optional<SealedPsk>> stored_form(const DeviceNotice& notice);
  const PskSealer& sealer() const;

  std::string directory_;  // where the queue and psk.key are
  mutable std::optional<PskSealer> sealer_;
  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace tte::introducer

#endif  // TTE_INTRODUCER_NOTICES_HPP
