#include "enrollment.hpp"

#include <stdexcept>

namespace tte::introducer {
namespace {

// One attempt at a queued notice: once delivered it leaves the queue; otherwise
// the attempt and its reason are kept with it for the next round.
DeliveryReport attempt(NoticeQueue& queue, std::int64_t id, const NoticeTarget& target,
                       const DeviceNotice& notice, const http::ClientOptions& intake) {
  DeliveryReport report = send_notice(target, notice, intake);
  if (report.delivery == Delivery::delivered) {
    queue.remove(id);
  } else {
    queue.record_failure(id, report.detail);
  }
  return report;
}

}  // namespace

Peers peers_over(const http::ClientOptions& client) {
  return Peers{[client](const EnrollmentUrl& device, const ClaimRequest& request) {
                 return claim(device, request, client);
               },
               client};
}

const char* notice_outcome_name(NoticeOutcome outcome) {
  switch (outcome) {
    case NoticeOutcome::none:
      return "none";
    case NoticeOutcome::delivered:
      return "delivered";
    case NoticeOutcome::queued:
      return "queued";
    case NoticeOutcome::refused:
      return "refused";
  }
  return "unknown";
}

int EnrollmentOutcome::exit_status() const {
  if (!mapped()) return exit_code_of(claim.verdict);
  return notice == NoticeOutcome::refused ? exit_code::notice_refused : exit_code::ok;
}

EnrollmentOutcome enroll(const EnrollmentUrl& device, const Site& site,
                         const std::string& description, const Peers& peers, NoticeQueue* queue,
                         std::int64_t now) {
  const bool tell_controller = !site.notify_url.empty();
  if (tell_controller && queue == nullptr)
    throw std::invalid_argument("enroll: a site with an intake needs the notice queue");
  EnrollmentOutcome outcome;
  const ClaimRequest request{device.dev_id(), device.otp(),
                             site.controller, site.controller_fingerprint,
                             description,     std::nullopt};
  outcome.claim = peers.claim(device, request);
  if (!outcome.mapped() || !tell_controller) return outcome;

  const StateObject& state = *outcome.claim.device;
  // A PSK Device has no key to pin (fingerprint null, §13.3); telling a Controller about one
  // (with its PSK) is not built yet: nothing is sent.
  if (!state.fingerprint) return outcome;
  const DeviceNotice notice{state.urn,    *state.fingerprint,    state.dev_id,
                            device.otp(), device.ms_id().host(), description,
                            std::nullopt};
  const NoticeTarget target{site.notify_url, site.token, site.notify_ca_file};
  const std::int64_t id = queue->add(target, notice, now);
  outcome.delivery = attempt(*queue, id, target, notice, peers.intake);
  switch (outcome.delivery.delivery) {
    case Delivery::delivered:
      outcome.notice = NoticeOutcome::delivered;
      break;
    case Delivery::transient:
      outcome.notice = NoticeOutcome::queued;
      break;
    case Delivery::refused:
      outcome.notice = NoticeOutcome::refused;
      break;
  }
  return outcome;
}

int DeliveryRound::exit_status() const {
  return refused > 0 ? exit_code::notice_refused : exit_code::ok;
}

DeliveryRound deliver_pending(NoticeQueue& queue, const http::ClientOptions& intake,
                              const Retarget& retarget) {
  DeliveryRound round;
  for (QueuedNotice queued : queue.pending()) {
    if (retarget.any()) {
      if (retarget.url) queued.target.url = *retarget.url;
      if (retarget.token) queued.target.token = *retarget.token;
      if (retarget.ca_file) queued.target.ca_file = *retarget.ca_file;
      queue.retarget(queued.id, queued.target);
    }
    auto notice = queued_notice(queued);
    if (!notice.ok()) {
      queue.record_failure(queued.id, "the queued notice is unreadable");
      ++round.refused;
      continue;
    }
    DeliveryReport report = attempt(queue, queued.id, queued.target, *notice, intake);
    switch (report.delivery) {
      case Delivery::delivered:
        ++round.delivered;
        break;
      case Delivery::transient:
        ++round.waiting;
        break;
      case Delivery::refused:
        ++round.refused;
        break;
    }
    round.notices.push_back(QueuedDelivery{std::string(notice->dev_id.to_string().view()),
                                           queued.target.url, report.delivery, queued.attempts + 1,
                                           report.detail});
  }
  return round;
}

const char* queued_outcome_name(Delivery delivery) {
  switch (delivery) {
    case Delivery::delivered:
      return "delivered";
    case Delivery::transient:
      return "waiting";
    case Delivery::refused:
      return "refused";
  }
  return "unknown";
}

}  // namespace tte::introducer
