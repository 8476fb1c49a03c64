#include "enrollment.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "tte/host/otp_crypto.hpp"
#include "tte/platform/startup_error.hpp"

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
  Peers peers;
  peers.claim = [client](const EnrollmentUrl& device, const ClaimRequest& request) {
    return claim(device, request, client);
  };
  peers.claim_box = [client](const BoxUrl& box, const ClaimRequest& request) {
    return claim_box(box, request, client);
  };
  peers.intake = client;
  return peers;
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
                         std::int64_t now, const std::optional<Psk>& link_psk) {
  const bool tell_controller = !site.notify_url.empty();
  if (tell_controller && queue == nullptr)
    throw std::invalid_argument("enroll: a site with an intake needs the notice queue");
  EnrollmentOutcome outcome;
  const ClaimRequest request{device.dev_id(), device.otp(),
                             site.controller, site.controller_fingerprint,
                             description,     link_psk};
  outcome.claim = peers.claim(device, request);
  if (!outcome.mapped() || !tell_controller) return outcome;

  const StateObject& state = *outcome.claim.device;
  // A PSK Device has no key to pin (fingerprint null, §13.3): the Controller
  // knows it by its URN and the link PSK. The MotherShip maps none without one.
  if (!state.fingerprint && !link_psk) return outcome;
  const DeviceNotice notice{state.urn,    state.fingerprint,     state.dev_id,
                            device.otp(), device.ms_id().host(), description,
                            link_psk};
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

int BoxEnrollmentOutcome::exit_status() const {
  if (!mapped()) return exit_code_of(claim.verdict);
  if (refused == 0) return exit_code::ok;
  return refused == notices.size() ? exit_code::notice_refused : exit_code::some_notices_refused;
}

std::vector<DeliveryReport> deliver_in_batches(NoticeQueue& queue, const NoticeTarget& target,
                                               const std::vector<std::int64_t>& ids,
                                               const std::vector<DeviceNotice>& notices,
                                               const http::ClientOptions& intake, bool* fell_back,
                                               const Progress& progress) {
  std::vector<DeliveryReport> reports;
  reports.reserve(notices.size());
  bool one_by_one = false;
  for (std::size_t first = 0; first < notices.size(); first += kNoticesPerBatch) {
    const std::size_t end = std::min(notices.size(), first + kNoticesPerBatch);
    const std::vector<DeviceNotice> chunk(notices.begin() + static_cast<std::ptrdiff_t>(first),
                                          notices.begin() + static_cast<std::ptrdiff_t>(end));
    const std::vector<std::int64_t> chunk_ids(ids.begin() + static_cast<std::ptrdiff_t>(first),
                                              ids.begin() + static_cast<std::ptrdiff_t>(end));
    std::vector<DeliveryReport> got;
    if (!one_by_one) {
      BatchReport batch = send_notice_batch(target, chunk, intake);
      // An older Controller: no batch intake, so the notices go one by one.
      if (batch.no_batch_intake) {
        one_by_one = true;
      } else {
        got = std::move(batch.reports);
      }
    }
    if (one_by_one) {
      for (const DeviceNotice& notice : chunk)
        got.push_back(send_notice(target, notice, intake));
    }
    queue.record_batch(chunk_ids, got);
    reports.insert(reports.end(), got.begin(), got.end());
    if (progress) progress(end, notices.size());
  }
  if (fell_back) *fell_back = one_by_one;
  return reports;
}

BoxEnrollmentOutcome enroll_box(const BoxUrl& box, const Site& site, const std::string& description,
                                const Peers& peers, NoticeQueue* queue, std::int64_t now,
                                const Progress& progress) {
  const bool tell_controller = !site.notify_url.empty();
  if (tell_controller && queue == nullptr)
    throw std::invalid_argument("enroll_box: a site with an intake needs the notice queue");
  BoxEnrollmentOutcome outcome;
  const ClaimRequest request{box.first(), Otp(0),      site.controller, site.controller_fingerprint,
                             description, std::nullopt};
  outcome.claim = peers.claim_box(box, request);
  if (!outcome.mapped() || !tell_controller) return outcome;

  outcome.told = true;
  outcome.notices.reserve(outcome.claim.devices.size());
  for (const StateObject& state : outcome.claim.devices) {
    auto otp = box_device_otp(box.key(), state.dev_id);
    if (!otp.ok()) throw StartupError("cannot derive the Devices' OTPs");
    // PSK Devices are never minted in boxes (manufacture refuses --psk with --box).
    if (!state.fingerprint) throw StartupError("the box holds a PSK Device, which has no key");
    outcome.notices.push_back(DeviceNotice{state.urn, state.fingerprint, state.dev_id, otp.value(),
                                           box.ms_id().host(), description, std::nullopt});
  }
  const NoticeTarget target{site.notify_url, site.token, site.notify_ca_file};
  const std::string label =
      std::string(box.first().to_string().view()) + "+" + std::to_string(box.count());
  const std::vector<std::int64_t> ids = queue->add_box(target, label, outcome.notices, now);
  outcome.delivery = deliver_in_batches(*queue, target, ids, outcome.notices, peers.intake,
                                        &outcome.fell_back, progress);
  for (const DeliveryReport& report : outcome.delivery) {
    switch (report.delivery) {
      case Delivery::delivered:
        ++outcome.delivered;
        break;
      case Delivery::transient:
        ++outcome.queued;
        break;
      case Delivery::refused:
        ++outcome.refused;
        break;
    }
  }
  return outcome;
}

int DeliveryRound::exit_status() const {
  return refused > 0 ? exit_code::notice_refused : exit_code::ok;
}

DeliveryRound deliver_pending(NoticeQueue& queue, const http::ClientOptions& intake,
                              const Retarget& retarget) {
  DeliveryRound round;
  auto count = [&round](Delivery delivery) {
    switch (delivery) {
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
  };
  // A box's notices to one intake, sent together in batches.
  struct Group {
    NoticeTarget target;
    std::vector<std::int64_t> ids;
    std::vector<DeviceNotice> notices;
    std::vector<int> attempts;
  };
  std::vector<Group> groups;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> group_of;
  for (QueuedNotice queued : queue.pending()) {
    if (retarget.applies_to(queued.target.url)) {
      if (retarget.url) queued.target.url = *retarget.url;
      if (retarget.token) queued.target.token = *retarget.token;
      if (retarget.ca_file) queued.target.ca_file = *retarget.ca_file;
      queue.retarget(queued.id, queued.target);
    }
    auto notice = queue.notice_of(queued);
    if (!notice.ok()) {
      queue.record_failure(queued.id, "the queued notice is unreadable");
      ++round.refused;
      continue;
    }
    if (!queued.box.empty()) {
      auto key = std::make_tuple(queued.box, queued.target.url, queued.target.token,
                                 queued.target.ca_file);
      auto [it, added] = group_of.emplace(key, groups.size());
      if (added) groups.push_back(Group{queued.target, {}, {}, {}});
      Group& group = groups[it->second];
      group.ids.push_back(queued.id);
      group.notices.push_back(std::move(notice).value());
      group.attempts.push_back(queued.attempts);
      continue;
    }
    DeliveryReport report = attempt(queue, queued.id, queued.target, *notice, intake);
    count(report.delivery);
    round.notices.push_back(QueuedDelivery{std::string(notice->dev_id.to_string().view()),
                                           queued.target.url, report.delivery, queued.attempts + 1,
                                           report.detail});
  }
  for (const Group& group : groups) {
    auto reports = deliver_in_batches(queue, group.target, group.ids, group.notices, intake);
    for (std::size_t i = 0; i < reports.size(); ++i) {
      count(reports[i].delivery);
      round.notices.push_back(
          QueuedDelivery{std::string(group.notices[i].dev_id.to_string().view()), group.target.url,
                         reports[i].delivery, group.attempts[i] + 1, reports[i].detail});
    }
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
