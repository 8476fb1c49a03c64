#include "tte/device/transport_report.hpp"

namespace tte::device {
namespace {

constexpr std::uint8_t kCreated = 2 << 5 | 1, kChanged = 2 << 5 | 4, kNotFound = 4 << 5 | 4;

}  // namespace

void report_failure(Device& device, Millis now, SessionPurpose purpose, bool up,
                    PendingRequest pending, Failure failure) {
  switch (purpose) {
    case SessionPurpose::mothership: {
      MotherShipReply reply;
      reply.kind = failure == Failure::wrong_key ? MotherShipReply::Kind::wrong_key
                   : failure == Failure::refused ? MotherShipReply::Kind::refused
                                                 : MotherShipReply::Kind::no_answer;
      device.on_mothership_reply(now, reply);
      return;
    }
    case SessionPurpose::controller:
      if (!up) {
        device.on_controller_session(now, failure == Failure::wrong_key ? SessionOutcome::wrong_key
                                          : failure == Failure::refused ? SessionOutcome::refused
                                                                        : SessionOutcome::failed);
      } else if (pending == PendingRequest::registration) {
        device.on_registration(now, RegistrationOutcome::no_answer, nullptr);
      } else if (pending == PendingRequest::renewal) {
        device.on_renewal(now, RenewalOutcome::no_answer);
      } else {
        device.on_session_lost(now);
      }
      return;
    case SessionPurpose::none:
      return;
  }
}

void report_answer(Device& device, Millis now, PendingRequest pending, const CoapAnswer& answer) {
  switch (pending) {
    case PendingRequest::query: {
      MotherShipReply reply;
      reply.kind = MotherShipReply::Kind::response;
      reply.code = answer.code;
      reply.max_age = answer.max_age;
      reply.payload = answer.payload;
      device.on_mothership_reply(now, reply);
      return;
    }
    case PendingRequest::registration:
      if (answer.code == kCreated) {
        device.on_registration(now, RegistrationOutcome::created, answer.location);
      } else {
        device.on_registration(now, RegistrationOutcome::refused, nullptr);
      }
      return;
    case PendingRequest::renewal:
      device.on_renewal(now, answer.code == kChanged    ? RenewalOutcome::renewed
                             : answer.code == kNotFound ? RenewalOutcome::not_found
                                                        : RenewalOutcome::refused);
      return;
    case PendingRequest::none:
      return;
  }
}

}  // namespace tte::device
