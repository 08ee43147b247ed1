// WASM modules by content between gateways. The spawning side pins the
// module's bytes for each pending spawn and sends them when the target
// requests them. The target checks what arrives, stores it and then spawns.

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "backends/remote/module_shipping.hpp"
#include "backends/remote/remote_gateway.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

namespace {

const std::string* module_hash(const spawn_request& request) {
  auto wasm = std::get_if<wasm_backend>(&request.backend);
  return wasm != nullptr && wasm->sha256 ? &*wasm->sha256 : nullptr;
}

} // namespace

// The launcher stored the bytes a moment ago. Holding them here keeps them
// for this spawn even if the store evicts them meanwhile.
caf::error remote_gateway::pin_module(const spawn_request& request,
                                      pending_spawn& spawn) {
  auto hash = module_hash(request);
  if (hash == nullptr)
    return {};
  spawn.module = services_->modules.find(*hash);
  spawn.module_sha256 = *hash;
  if (spawn.module)
    return {};
  return make_error(errc::spawn_failed,
                    "cannot spawn agent " + request.agent_id + " on node "
                      + spawn.node + ": WASM module " + *hash
                      + " is no longer in node " + services_->node_id()
                      + "'s module store; spawn again");
}

void remote_gateway::on_module_request(const std::string& from,
                                       const remote_module_request& ask) {
  remote_module_data data{ask.request_id, ask.sha256, {}, std::nullopt};
  auto i = spawns_.find(ask.request_id);
  if (i == spawns_.end() || i->second.node != from || !i->second.module
      || i->second.module_sha256 != ask.sha256) {
    data.error = failure{errc::spawn_failed,
                         "node " + services_->node_id()
                           + " has no pending spawn " + std::to_string(
                             ask.request_id)
                           + " with WASM module " + ask.sha256
                           + " for node " + from};
    send_body(from, frame_kind::module_data, data);
    return;
  }
  auto& spawn = i->second;
  log(spdlog::level::info, "sending WASM module " + ask.sha256 + " ("
                             + std::to_string(spawn.module->size())
                             + " bytes) to node " + from + " for agent "
                             + spawn.agent_id);
  // NOTE: the bytes are copied twice here (into the body, then encoded).
  // A module is at most 64 MiB and travels once per target node.
  data.bytes = *spawn.module;
  if (auto error = service_->send(from, frame_kind::module_data,
                                  to_binary(data))) {
    // The target waits for module_data, so it gets the error instead.
    log(spdlog::level::warn, "cannot send WASM module " + ask.sha256
                               + " to node " + from + ": " + error->detail);
    data.bytes.clear();
    data.error = failure{error->code, "node " + services_->node_id()
                                        + " cannot send WASM module "
                                        + ask.sha256 + ": " + error->detail};
    send_body(from, frame_kind::module_data, data);
    return;
  }
  services_->modules.count_sent();
  ++spawn.timers;
  delayed_send(this, service_->settings().spawn_timeout, timer_atom::value,
               spawn_atom::value, ask.request_id);
}

// Returns true when the spawn waits for its module, which this node then
// asked the spawning node for.
bool remote_gateway::await_module(const std::string& from, std::uint64_t id,
                                  spawn_request& request) {
  auto hash = module_hash(request);
  if (hash == nullptr)
    return false;
  if (services_->modules.find(*hash)) {
    services_->modules.count_reused();
    return false;
  }
  auto key = std::make_pair(from, id);
  if (module_waits_.count(key) > 0)
    return true;
  auto sha256 = *hash;
  if (!send_body(from, frame_kind::module_request,
                 remote_module_request{id, sha256}))
    return true; // The node is gone, and its spawn ends on its side.
  log(spdlog::level::debug, "asked node " + from + " for WASM module "
                              + sha256 + " of agent " + request.agent_id);
  module_waits_[key] = module_wait{std::move(request), std::move(sha256)};
  delayed_send(this, service_->settings().spawn_timeout, timer_atom::value,
               module_atom::value, from, id);
  return true;
}

void remote_gateway::on_module_data(const std::string& from,
                                    remote_module_data& data) {
  auto i = module_waits_.find({from, data.request_id});
  if (i == module_waits_.end()) {
    log(spdlog::level::debug, "dropped WASM module " + data.sha256
                                + " from node " + from
                                + ": no spawn waits for it");
    return;
  }
  auto wait = std::move(i->second);
  module_waits_.erase(i);
  if (auto problem = check_module_data(data, wait.sha256, from)) {
    log(spdlog::level::warn, "rejected the spawn of agent "
                               + wait.request.agent_id + " for node " + from
                               + ": " + problem->detail);
    reply_spawn(from, {data.request_id, std::move(*problem), {}});
    return;
  }
  log(spdlog::level::info, "received WASM module " + wait.sha256 + " ("
                             + std::to_string(data.bytes.size())
                             + " bytes) from node " + from);
  services_->modules.insert(wait.sha256, std::move(data.bytes));
  services_->modules.count_received();
  spawn_for(from, data.request_id, std::move(wait.request), wait.sha256);
}

void remote_gateway::expire_module_wait(const std::string& from,
                                        std::uint64_t id) {
  auto i = module_waits_.find({from, id});
  if (i == module_waits_.end())
    return;
  auto agent_id = i->second.request.agent_id;
  module_waits_.erase(i);
  reply_spawn(from, {id,
                     failure{errc::timeout,
                             "node " + services_->node_id()
                               + " did not receive the WASM module of agent "
                               + agent_id + " from node " + from + " within "
                               + std::to_string(
                                 service_->settings().spawn_timeout.count())
                               + " ms"},
                     {}});
}

// A spawning node that went away mid-transfer has no proxy left to report
// to, so its waiting spawns end here without an agent.
void remote_gateway::drop_module_waits(const std::string& node,
                                       const std::string& event) {
  for (auto i = module_waits_.begin(); i != module_waits_.end();) {
    if (i->first.first != node) {
      ++i;
      continue;
    }
    log(spdlog::level::info, "dropped the spawn of agent "
                               + i->second.request.agent_id
                               + ": node " + node
                               + ", which was sending its WASM module, is "
                               + event);
    i = module_waits_.erase(i);
  }
}

} // namespace corral::remote
