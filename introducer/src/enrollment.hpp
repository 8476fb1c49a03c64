// The Introducer's enrollment workflow, in one place for `enroll` and
// `notify --pending` (docs/introducer.md, "What `enroll` does, in order"): claim the
// Device at its MotherShip for a Controller (messages 4 and 5), then tell the
// Controller to expect it (message 6). A notice is queued before its first
// attempt and leaves the queue only once delivered, so neither a Controller
// that cannot be reached nor a crash loses it; `notify --pending` delivers
// what waits. The results are typed: the command line only prints them.
#ifndef TTE_INTRODUCER_ENROLLMENT_HPP
#define TTE_INTRODUCER_ENROLLMENT_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mothership_client.hpp"
#include "notices.hpp"
#include "sites.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/platform/http_client.hpp"

namespace tte::introducer {

// The peers the workflow talks to.
struct Peers {
  // Message 4 at the Device's MotherShip, answered by message 5: claim() over
  // verified HTTPS (a stand-in in tests).
  std::function<MotherShipAnswer(const EnrollmentUrl& device, const ClaimRequest& request)> claim;
  // The box claim (docs/protocol.md §13.2); the request's dev_id and otp are not sent.
  std::function<BoxAnswer(const BoxUrl& box, const ClaimRequest& request)> claim_box;
  // How Controllers' intakes are reached (message 6); each notice's own CA
  // file replaces ca_file (see send_notice).
  http::ClientOptions intake;
};

// The Peers of the real programs: claim() with `client` for the MotherShip and
// the same connection settings (connect_to, timeouts) for the intakes.
Peers peers_over(const http::ClientOptions& client);

// What became of an enrollment's notice.
enum class NoticeOutcome {
  none,       // the site has no intake: nothing to tell
  delivered,  // the Controller has it
  queued,     // the Controller could not be reached: it waits in the queue
  refused,    // the Controller refused it (kept in the queue, to be fixed and resent)
};
const char* notice_outcome_name(NoticeOutcome outcome);  // "none", "delivered", ...

struct EnrollmentOutcome {
  // The MotherShip's answer. Anything but Verdict::ok: nothing was mapped and
  // no notice was queued.
  MotherShipAnswer claim;
  NoticeOutcome notice = NoticeOutcome::none;
  DeliveryReport delivery;  // the notice's first attempt, unless notice is none

  bool mapped() const { return claim.verdict == Verdict::ok; }
  // exit_code_of the verdict; mapped: notice_refused if the Controller refused, else ok.
  int exit_status() const;
};

// Maps `device` to `site`'s Controller at the device's MotherShip, then, if the
// site has an intake (notify_url), queues the notice (at `now`, seconds since
// the epoch) and sends it. `queue` must be given when the site has an intake:
// callers open it before the OTP is spent, so that a queue that cannot be
// written is found while the claim can still be made. Throws StartupError when
// the queue cannot be written, std::invalid_argument for a missing queue.
// link_psk (docs/protocol.md §13.3): the Device-Controller PSK, sent to the
// MotherShip in the claim (cpsk) and to the Controller in the notice (psk).
EnrollmentOutcome enroll(const EnrollmentUrl& device, const Site& site,
                         const std::string& description, const Peers& peers, NoticeQueue* queue,
                         std::int64_t now, const std::optional<Psk>& link_psk = std::nullopt);

// A whole box (docs/introducer.md "A whole box"): one claim at the MotherShip,
// then one notice per Device, queued in one transaction and sent through the
// batch intake kNoticesPerBatch at a time (one by one to a Controller without
// it).
struct BoxEnrollmentOutcome {
  BoxAnswer claim;
  bool told = false;                     // the site has an intake: notices were queued
  std::vector<DeviceNotice> notices;     // one per Device, in Dev ID order (when told)
  std::vector<DeliveryReport> delivery;  // each notice's first attempt (when told)
  std::size_t delivered = 0, queued = 0, refused = 0;
  bool fell_back = false;  // the Controller has no batch intake: sent one by one

  bool mapped() const { return claim.verdict == Verdict::ok; }
  // exit_code_of the verdict; mapped: notice_refused if the Controller refused
  // every notice, some_notices_refused if it refused some, else ok.
  int exit_status() const;
};

// progress(done, total) after each request to the intake (for the installer).
using Progress = std::function<void(std::size_t done, std::size_t total)>;

// Claims `box` for `site`'s Controller, then tells the Controller about every
// Device (as enroll() does for one). Throws as enroll().
BoxEnrollmentOutcome enroll_box(const BoxUrl& box, const Site& site, const std::string& description,
                                const Peers& peers, NoticeQueue* queue, std::int64_t now,
                                const Progress& progress = {});

// Sends queued notices (ids[i] holds notices[i], all for `target`) through the
// batch intake, kNoticesPerBatch a request, one by one to a Controller that
// has none; records each outcome in the queue. Returns the reports, in order.
std::vector<DeliveryReport> deliver_in_batches(NoticeQueue& queue, const NoticeTarget& target,
                                               const std::vector<std::int64_t>& ids,
                                               const std::vector<DeviceNotice>& notices,
                                               const http::ClientOptions& intake,
                                               bool* fell_back = nullptr,
                                               const Progress& progress = {});

// A new target for every queued notice (`notify --pending --notify/--token/
// --notify-cafile`): what is set replaces the stored value, and is remembered.
struct Retarget {
  std::optional<std::string> url;
  std::optional<std::string> token;
  std::optional<std::string> ca_file;  // an absolute path
  // Only the notices queued for this intake URL are changed (others go where
  // they were queued for): a notice carries its Device's OTP, so another
  // site's notices must not follow a new URL or token by accident.
  std::optional<std::string> only_for;

  bool any() const { return url || token || ca_file; }
  bool applies_to(const std::string& queued_url) const {
    return any() && (!only_for || *only_for == queued_url);
  }
};

// One queued notice's delivery in a round.
struct QueuedDelivery {
  std::string devid;
  std::string controller;  // the intake URL it went to
  Delivery delivery = Delivery::transient;
  int attempts = 0;  // this one included
  std::string detail;
};

struct DeliveryRound {
  // The readable ones: single notices in queue order, then each box's notices
  // (sent in batches) in queue order.
  std::vector<QueuedDelivery> notices;
  int delivered = 0;
  int waiting = 0;  // transient failures: they stay for the next round
  // Refused by their Controller, or unreadable in the queue (those are counted
  // here but not listed): they stay, with the reason.
  int refused = 0;

  int exit_status() const;  // notice_refused if any was refused, else ok
};

// Sends every queued notice (after applying `retarget` to each): delivered
// ones leave the queue, the others stay with the attempt and its reason.
// Throws StartupError when the queue cannot be read or written.
DeliveryRound deliver_pending(NoticeQueue& queue, const http::ClientOptions& intake,
                              const Retarget& retarget = {});

// "delivered", "waiting" or "refused": a queued notice's outcome as
// `notify --pending` reports it.
const char* queued_outcome_name(Delivery delivery);

}  // namespace tte::introducer

#endif  // TTE_INTRODUCER_ENROLLMENT_HPP
