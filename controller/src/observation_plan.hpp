// Which Device resources the Controller keeps observed (RFC 7641), and why:
// for the HTTP API's long polls, or as the source of a binding. For each, the
// observation running now (its token and Device session), so that a
// notification finds its resource, and what a new value fires: the binding
// PUTs to their targets. Pure: sessions are opaque ids; the libcoap adapter
// (coap_server.cpp) sends the observation requests and hands in what comes
// back.
#ifndef TTE_CONTROLLER_OBSERVATION_PLAN_HPP
#define TTE_CONTROLLER_OBSERVATION_PLAN_HPP

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "binding.hpp"
#include "device_gateway.hpp"
#include "device_requests.hpp"

namespace tte::controller {

struct WantedObservation {
  std::string urn, path;
  bool for_api = false;
  bool for_binding = false;
  Token token = 0;        // of the running observation; 0: none runs
  SessionId session = 0;  // the session it runs on
};

// A binding's PUT of a new value to its target.
struct BindingPut {
  std::int64_t id = 0;
  DeviceRequest request;
  std::string source, target;  // "urn/path", for logs
};

class ObservationPlan {
 public:
  // The key of a resource, as Observations::key names it.
  static std::string key(const std::string& urn, const std::string& path);

  // The API's long polls want this resource observed. Returns its key when
  // no observation of it runs (the caller starts one).
  std::optional<std::string> want_for_api(const std::string& urn, const std::string& path);
  // The bindings are now these. Returns the keys of their sources that no
  // observation runs for.
  std::vector<std::string> set_bindings(std::vector<Binding> bindings);
  // The keys of the observations wanted of an endpoint (to start when it
  // registers), less those running on `except` (an update on the session
  // they already run on).
  std::vector<std::string> of_endpoint(const std::string& urn, SessionId except = 0) const;

  const WantedObservation* find(const std::string& key) const;
  // An observation of `key` was sent with this token on this session.
  // Returns the token of the one it replaces (0: none), which the caller forgets.
  Token started(const std::string& key, Token token, SessionId session);
  // The running observation with this token, if any.
  const std::string* key_of(Token token) const;
  // The observation with this token ended (a final answer, an RST, a
  // timeout, a failure to send).
  void stopped(Token token);
  // The session ended, or the endpoint's registration did: every
  // observation running on it stops. Return their tokens.
  std::vector<Token> session_ended(SessionId session);
  std::vector<Token> endpoint_gone(const std::string& urn);

  // A new value of an observed resource: the PUTs its bindings make.
  std::vector<BindingPut> fired_by(const std::string& key, const DeviceReply& reply) const;

 private:
  std::map<std::string, WantedObservation> wanted_;  // by key
  std::unordered_map<Token, std::string> key_of_token_;
  std::vector<Binding> bindings_;

  void clear(WantedObservation& observation);
};

}  // namespace tte::controller

#endif  // TTE_CONTROLLER_OBSERVATION_PLAN_HPP
