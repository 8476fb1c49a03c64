#include "device_requests.hpp"

namespace tte::controller {

DeviceReply failed_reply(DeviceReply::Failure failure, std::string error) {
  DeviceReply reply;
  reply.failure = failure;
  reply.error = std::move(error);
  return reply;
}

std::optional<OutgoingRequest> DeviceRequests::queue(SessionId session, OutgoingRequest request) {
  if (in_flight_.count(session)) {
    waiting_[session].push_back(std::move(request));
    return std::nullopt;
  }
  in_flight_[session] = request.token;
  return request;
}

std::optional<OutgoingRequest> DeviceRequests::submit(SessionId session, OutgoingRequest request,
                                                      Done done, std::int64_t deadline_ms) {
  pending_[request.token] = Pending{std::move(done), deadline_ms, session};
  by_deadline_.emplace(deadline_ms, request.token);
  return queue(session, std::move(request));
}

std::optional<OutgoingRequest> DeviceRequests::submit_observation(SessionId session,
                                                                  OutgoingRequest request) {
  observation_tokens_.insert(request.token);
  return queue(session, std::move(request));
}

std::optional<OutgoingRequest> DeviceRequests::finished(SessionId session, Token token) {
  observation_tokens_.erase(token);  // answered or failed: nothing more waits for it
  auto it = in_flight_.find(session);
  if (it == in_flight_.end() || it->second != token) return std::nullopt;
  in_flight_.erase(it);
  auto queued = waiting_.find(session);
  std::optional<OutgoingRequest> next;
  while (queued != waiting_.end() && !queued->second.empty()) {
    OutgoingRequest candidate = std::move(queued->second.front());
    queued->second.pop_front();
    if (!wanted(candidate.token)) continue;  // given up while it waited
    in_flight_[session] = candidate.token;
    next = std::move(candidate);
    break;
  }
  if (queued != waiting_.end() && queued->second.empty()) waiting_.erase(queued);
  return next;
}

DeviceRequests::Done DeviceRequests::take(Token token) {
  auto it = pending_.find(token);
  if (it == pending_.end()) return nullptr;
  Done done = std::move(it->second.done);
  by_deadline_.erase({it->second.deadline_ms, token});
  pending_.erase(it);
  return done;
}

bool DeviceRequests::answer(Token token, DeviceReply reply) {
  Done done = take(token);
  if (!done) return false;
  done(std::move(reply));
  return true;
}

std::vector<std::pair<SessionId, OutgoingRequest>> DeviceRequests::expire(std::int64_t now_ms) {
  std::vector<std::pair<Token, SessionId>> late;
  for (auto it = by_deadline_.begin(); it != by_deadline_.end() && it->first <= now_ms; ++it)
    late.emplace_back(it->second, pending_.at(it->second).session);
  std::vector<std::pair<Done, SessionId>> given_up;
  std::vector<std::pair<SessionId, OutgoingRequest>> next;
  for (const auto& [token, session] : late)
    given_up.emplace_back(take(token), session);
  // libcoap may still retransmit a late request; the next one goes out anyway.
  for (const auto& [token, session] : late) {
    if (auto following = finished(session, token))
      next.emplace_back(session, std::move(*following));
  }
  // Last: a `done` may submit another request (a binding's).
  for (auto& [done, session] : given_up)
    done(failed_reply(DeviceReply::Failure::timeout, "the device did not answer in time"));
  return next;
}

void DeviceRequests::session_ended(SessionId session) {
  waiting_.erase(session);
  in_flight_.erase(session);
  std::vector<Token> orphaned;
  for (const auto& [token, entry] : pending_) {
    if (entry.session == session) orphaned.push_back(token);
  }
  std::vector<Done> dones;
  for (Token token : orphaned)
    dones.push_back(take(token));
  for (Done& done : dones)
    done(failed_reply(DeviceReply::Failure::not_connected, "the device's DTLS session ended"));
}

void DeviceRequests::stop() {
  std::vector<Done> dones;
  for (auto& [token, entry] : pending_)
    dones.push_back(std::move(entry.done));
  pending_.clear();
  by_deadline_.clear();
  waiting_.clear();
  in_flight_.clear();
  observation_tokens_.clear();
  for (Done& done : dones)
    done(failed_reply(DeviceReply::Failure::failed, "the Controller is stopping"));
}

}  // namespace tte::controller
