#include "backends/remote/remote_proxy.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "actors/messages.hpp"
#include "actors/remote_routes.hpp"
#include "backends/remote/remote_messages.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

remote_proxy::remote_proxy(caf::actor_config& cfg,
                           std::shared_ptr<agent_cell> cell,
                           std::shared_ptr<node_services> services,
                           std::shared_ptr<remote_service> service,
                           caf::actor gateway, std::string node,
                           spawn_request request)
  : caf::event_based_actor(cfg),
    cell_(std::move(cell)),
    services_(std::move(services)),
    service_(std::move(service)),
    gateway_(std::move(gateway)),
    node_(std::move(node)),
    request_(std::move(request)) {
}

caf::behavior remote_proxy::make_behavior() {
  send(gateway_, spawn_atom::value, caf::actor{this}, node_,
       std::move(request_));
  // Messages that arrive before the target confirms wait in the mailbox,
  // so none is lost or reordered.
  set_default_handler(caf::skip);
  return starting();
}

void remote_proxy::on_exit() {
  cell_.reset();
  services_.reset();
  service_.reset();
  gateway_ = nullptr;
}

caf::behavior remote_proxy::starting() {
  return {
    [this](started_atom, const global_pid& remote) { on_started(remote); },
    [this](failed_atom, caf::error& error) { quit(std::move(error)); },
    [this](exited_atom, const exit_reason& reason) {
      quit(to_exit_error(reason));
    },
    // Stopped before the target confirmed: the gateway gets this exit and
    // stops the remote agent should the spawn still succeed.
    [this](shutdown_atom) { quit(to_exit_error({exit_kind::shutdown, {}})); },
  };
}

void remote_proxy::on_started(const global_pid& remote) {
  remote_ = remote;
  log(spdlog::level::debug, "proxy of " + to_string(remote_) + " started");
  send(services_->kernel, started_atom::value, cell_->pid, remote_);
  set_default_handler(caf::drop);
  become(running());
}

caf::behavior remote_proxy::running() {
  return {
    [this](message& msg) -> caf::result<message> {
      cell_->messages_in.fetch_add(1, std::memory_order_relaxed);
      cell_->messages_out.fetch_add(1, std::memory_order_relaxed);
      msg.to = remote_;
      return service_->forward(this, msg, service_->settings().request_timeout);
    },
    [this](remote_request& request) -> caf::result<message> {
      cell_->messages_in.fetch_add(1, std::memory_order_relaxed);
      cell_->messages_out.fetch_add(1, std::memory_order_relaxed);
      request.msg.to = remote_;
      return service_->forward_until(this, request);
    },
    // The proxy exits when the remote agent's exit comes back. The kernel
    // kills it when the grace period ends first, and the gateway then
    // kills the remote agent too. A stop that cannot leave this node (its
    // cluster stopped, or the node is unreachable) ends the proxy at once:
    // the agent's node stops the agent when this node leaves or is down.
    [this](shutdown_atom) {
      request(gateway_, caf::infinite, stop_atom::value, remote_,
              stop_options{false, services_->config.default_grace_ms})
        .then([] {},
              [this](caf::error& error) {
                log(spdlog::level::debug,
                    "stop of remote agent " + to_string(remote_)
                      + " not sent: " + describe(error)
                      + "; exiting without its exit reason");
                quit(to_exit_error({exit_kind::shutdown, {}}));
              });
    },
    [this](exited_atom, const exit_reason& reason) {
      log(spdlog::level::debug,
          "remote agent " + to_string(remote_)
            + " exited: " + to_string(reason));
      quit(to_exit_error(reason));
    },
    // The kernel sends these after the agent's node confirmed them there;
    // the proxy has nothing to hold itself. A dropped message would send
    // an error back to the kernel, which ends the kernel.
    [](suspend_atom) {},
    [](resume_atom) {},
    // The agent restarted on its node under a new pid.
    [this](restart_atom, const global_pid& now) {
      log(spdlog::level::debug, "remote agent " + to_string(remote_)
                                  + " restarted as " + to_string(now));
      remote_ = now;
    },
    // A local agent linked to this proxy exited: the remote agent gets the
    // exit signal and decides, as a local agent would (it may trap exits).
    // Its exit then comes back as `exited`.
    [this](const exit_signal& signal) {
      send(gateway_, remote_.node,
           remote_signal{signal_kind::exit,
                         global_pid{services_->node_id(), signal.pid},
                         remote_.pid, signal.reason});
    },
  };
}

void remote_proxy::log(spdlog::level::level_enum level,
                       const std::string& text) const {
  if (should_log(level))
    corral::log(level, {services_->node_id(), cell_->pid, cell_->agent_id},
                text);
}

} // namespace corral::remote
