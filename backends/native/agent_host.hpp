#pragma once

#include <map>
#include <memory>
#include <string>

#include "actors/agent.hpp"
#include "actors/agent_context.hpp"
#include "actors/hosting_actor.hpp"
#include "backends/native/agent_registry.hpp"

namespace corral {

/// The CAF actor that hosts one native agent: it feeds the agent its
/// messages, answers requests with its replies, holds messages while the
/// agent is suspended, accounts usage and enforces the agent's limits.
class agent_host : public hosting_actor {
public:
  /// Hosts an agent that `make` creates, as the agent described by
  /// `cell`.
  agent_host(caf::actor_config& cfg,
             std::shared_ptr<const agent_registry::factory> make,
             std::shared_ptr<agent_cell> cell,
             std::shared_ptr<node_services> services,
             std::map<std::string, std::string> env);

  /// Creates the agent, runs its `on_start` and returns the running
  /// behavior. The agent exits as crashed when its factory throws or
  /// returns null.
  caf::behavior make_behavior() override;

  /// Destroys the agent and releases its cell once the actor has exited.
  void on_exit() override;

private:
  caf::behavior running();
  caf::behavior suspended();
  caf::result<caf::message> on_control(caf::message_view& x);
  caf::result<message> deliver(message& msg);
  message make_reply(const message& request, std::string payload) const;
  caf::result<message> send_reply(message& request, std::string payload);
  void on_shutdown();
  void on_exit_signal(const exit_signal& signal);
  void check_limits(std::uint64_t handler_ns);
  // Returns true when the agent exits because the limit is reached.
  bool check_limit(const char* resource, std::uint64_t used,
                   const std::optional<std::uint64_t>& limit, bool& warned);

  // Called in the actor's first run rather than by the spawning thread,
  // which thereby saves the agent's construction; reset after that call.
  std::shared_ptr<const agent_registry::factory> factory_;
  std::unique_ptr<agent> impl_;
  agent_context ctx_;
  bool warned_cpu_ = false;
  bool warned_memory_ = false;
  bool warned_messages_ = false;
  bool suspended_ = false;
};

} // namespace corral
