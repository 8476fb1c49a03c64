#include "observation_plan.hpp"

#include <algorithm>

#include "observations.hpp"

namespace tte::controller {

std::string ObservationPlan::key(const std::string& urn, const std::string& path) {
  return Observations::key(urn, path);  // the API's long polls wait on the same key
}

std::optional<std::string> ObservationPlan::want_for_api(const std::string& urn,
                                                         const std::string& path) {
  std::string name = key(urn, path);
  WantedObservation& observation = wanted_[name];
  observation.urn = urn;
  observation.path = path;
  observation.for_api = true;
  if (observation.session) return std::nullopt;
  return name;
}

std::vector<std::string> ObservationPlan::set_bindings(std::vector<Binding> bindings) {
  bindings_ = std::move(bindings);
  for (auto& [name, observation] : wanted_)
    observation.for_binding = false;
  std::vector<std::string> to_start;
  for (const Binding& binding : bindings_) {
    std::string name = key(binding.source_urn, binding.source_path);
    WantedObservation& observation = wanted_[name];
    observation.urn = binding.source_urn;
    observation.path = binding.source_path;
    observation.for_binding = true;
    if (!observation.session && std::find(to_start.begin(), to_start.end(), name) == to_start.end())
      to_start.push_back(std::move(name));
  }
  return to_start;
}

std::vector<std::string> ObservationPlan::of_endpoint(const std::string& urn,
                                                      SessionId except) const {
  std::vector<std::string> keys;
  for (const auto& [name, observation] : wanted_) {
    if (observation.urn == urn && (except == 0 || observation.session != except))
      keys.push_back(name);
  }
  return keys;
}

const WantedObservation* ObservationPlan::find(const std::string& name) const {
  auto it = wanted_.find(name);
  return it == wanted_.end() ? nullptr : &it->second;
}

Token ObservationPlan::started(const std::string& name, Token token, SessionId session) {
  WantedObservation& observation = wanted_[name];
  const Token old = observation.token;
  if (old) key_of_token_.erase(old);
  observation.token = token;
  observation.session = session;
  key_of_token_[token] = name;
  return old;
}

const std::string* ObservationPlan::key_of(Token token) const {
  auto it = key_of_token_.find(token);
  return it == key_of_token_.end() ? nullptr : &it->second;
}

void ObservationPlan::clear(WantedObservation& observation) {
  key_of_token_.erase(observation.token);
  observation.token = 0;
  observation.session = 0;
}

void ObservationPlan::stopped(Token token) {
  auto it = key_of_token_.find(token);
  if (it == key_of_token_.end()) return;
  auto observation = wanted_.find(it->second);
  key_of_token_.erase(it);
  if (observation != wanted_.end() && observation->second.token == token) {
    observation->second.token = 0;
    observation->second.session = 0;
  }
}

std::vector<Token> ObservationPlan::session_ended(SessionId session) {
  std::vector<Token> tokens;
  for (auto& [name, observation] : wanted_) {
    if (session != 0 && observation.session == session) {
      if (observation.token) tokens.push_back(observation.token);
      clear(observation);
    }
  }
  return tokens;
}

std::vector<Token> ObservationPlan::endpoint_gone(const std::string& urn) {
  std::vector<Token> tokens;
  for (auto& [name, observation] : wanted_) {
    if (observation.urn == urn) {
      if (observation.token) tokens.push_back(observation.token);
      clear(observation);
    }
  }
  return tokens;
}

std::vector<BindingPut> ObservationPlan::fired_by(const std::string& name,
                                                  const DeviceReply& reply) const {
  std::vector<BindingPut> puts;
  const WantedObservation* observation = find(name);
  if (!observation) return puts;
  for (const Binding& binding : bindings_) {
    if (binding.source_urn != observation->urn || binding.source_path != observation->path)
      continue;
    puts.push_back(BindingPut{binding.id,
                              DeviceRequest{binding.target_urn, Method::put, binding.target_path,
                                            reply.payload, reply.content_format, std::nullopt},
                              binding.source_urn + binding.source_path,
                              binding.target_urn + binding.target_path});
  }
  return puts;
}

}  // namespace tte::controller
