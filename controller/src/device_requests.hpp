// Requests from the Controller to Devices, one Device session at a time
// (RFC 7252's NSTART = 1): at most one confirmable request is out on a
// session; the others wait in order and the next goes out when the one in
// flight is answered, refused, timed out or could not be sent. Each request
// has a token and a deadline; an observation's request (RFC 7641) has a
// token but no deadline and is answered by the caller's ObservationPlan.
// Pure: sessions are opaque ids, time is passed in, nothing is sent from
// here. The libcoap adapter (coap_server.cpp) transmits what the functions
// return and reports what libcoap tells it.
#ifndef TTE_CONTROLLER_DEVICE_REQUESTS_HPP
#define TTE_CONTROLLER_DEVICE_REQUESTS_HPP

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "device_gateway.hpp"

namespace tte::controller {

using SessionId = std::uint64_t;  // 0: none
using Token = std::uint64_t;      // 8 bytes on the wire; 0: none

struct OutgoingRequest {
  Token token = 0;
  Method method = Method::get;
  std::string path, payload;
  std::optional<unsigned> content_format, accept;
  bool observe = false;  // Observe: 0 (register)
};

class DeviceRequests {
 public:
  using Done = std::function<void(DeviceReply)>;

  // first_token: a random start, so that tokens of a restarted Controller
  // are not those of the one before.
  explicit DeviceRequests(Token first_token) : next_token_(first_token) {}

  Token new_token() { return ++next_token_ == 0 ? ++next_token_ : next_token_; }

  // A request whose answer goes to `done`, given up at `deadline_ms`.
  // Returns it when it is to be sent now (nothing else is in flight on the
  // session); otherwise it waits.
  std::optional<OutgoingRequest> submit(SessionId session, OutgoingRequest request, Done done,
                                        std::int64_t deadline_ms);
  // An observation's request, which nothing here times out.
  std::optional<OutgoingRequest> submit_observation(SessionId session, OutgoingRequest request);

  // The exchange of `token` on `session` is over (an answer, an RST, libcoap
  // giving up, or a failure to send): returns the next request to send on
  // the session, skipping those given up while they waited.
  std::optional<OutgoingRequest> finished(SessionId session, Token token);
  // Hands `reply` to the request's `done`. False when no request waits for
  // this token (an observation's, or one given up already).
  bool answer(Token token, DeviceReply reply);
  // An observation's token is no longer wanted: if it still waits, it is not sent.
  void forget(Token token) { observation_tokens_.erase(token); }

  // Gives up the requests whose deadline has passed (their `done` gets a
  // timeout) and returns, per session, the next request to send.
  std::vector<std::pair<SessionId, OutgoingRequest>> expire(std::int64_t now_ms);
  // The session ended: its requests fail with not_connected and its queue goes.
  void session_ended(SessionId session);
  // Every request fails (the Controller stops).
  void stop();

  // Whether a request (not an observation) waits for this token's answer.
  bool awaits(Token token) const { return pending_.count(token) > 0; }
  bool any_in_flight() const { return !in_flight_.empty(); }
  bool any_waiting_for_answer() const { return !pending_.empty(); }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    Done done;
    std::int64_t deadline_ms = 0;
    SessionId session = 0;
  };
  bool wanted(Token token) const {
    return pending_.count(token) > 0 || observation_tokens_.count(token) > 0;
  }
  std::optional<OutgoingRequest> queue(SessionId session, OutgoingRequest request);
  // Removes the request and returns its `done` (empty if none).
  Done take(Token token);

  Token next_token_;
  std::unordered_map<Token, Pending> pending_;
  std::set<std::pair<std::int64_t, Token>> by_deadline_;
  std::unordered_set<Token> observation_tokens_;
  std::unordered_map<SessionId, Token> in_flight_;
  std::unordered_map<SessionId, std::deque<OutgoingRequest>> waiting_;
};

DeviceReply failed_reply(DeviceReply::Failure failure, std::string error);

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_DEVICE_REQUESTS_HPP
