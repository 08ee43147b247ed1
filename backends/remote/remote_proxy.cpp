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

void remote_proxy::enqueue(caf::mailbox_element_ptr element,
                           caf::execution_unit* host) {
  if (element != nullptr && forward_unqueued(*element))
    return;
  // Counted before it is queued, so that no sender reads 0 while the
  // element waits.
  queued_.fetch_add(1);
  caf::event_based_actor::enqueue(std::move(element), host);
}

// A sender's thread runs this. The reply address is what the proxy's
// response promise would hold, so the reply reaches the sender as if the
// proxy had handled the request.
bool remote_proxy::forward_unqueued(caf::mailbox_element& element) {
  // A response is the reply to the proxy's own request to the gateway.
  if (element.mid.is_response() || queued_.load() != 0)
    return false;
  auto& content = element.content();
  bool is_message = content.match_elements<message>();
  if (!is_message && !content.match_elements<remote_request>())
    return false;
  std::lock_guard<std::mutex> guard{route_mutex_};
  if (!forwarding_)
    return false;
  cell_->messages_in.fetch_add(1, std::memory_order_relaxed);
  cell_->messages_out.fetch_add(1, std::memory_order_relaxed);
  service_->count_unqueued_forward();
  reply_address requester{std::move(element.sender), std::move(element.stages),
                          element.mid, caf::strong_actor_ptr{ctrl()}};
  if (is_message) {
    auto& msg = content.get_mutable_as<message>(0);
    msg.to = remote_;
    service_->forward(msg, service_->settings().request_timeout,
                      std::move(requester));
    return true;
  }
  auto& request = content.get_mutable_as<remote_request>(0);
  request.msg.to = remote_;
  service_->forward_until(request, std::move(requester));
  return true;
}

caf::invoke_message_result remote_proxy::consume(caf::mailbox_element& element) {
  auto result = caf::event_based_actor::consume(element);
  // A skipped element stays in the mailbox until the behavior changes.
  if (result != caf::invoke_message_result::skipped)
    queued_.fetch_sub(1);
  return result;
}

void remote_proxy::on_exit() {
  std::lock_guard<std::mutex> guard{route_mutex_};
  forwarding_ = false;
  cell_.reset();
  services_.reset();
  service_.reset();
  gateway_ = nullptr;
}

// Senders' threads stop forwarding before the proxy exits. A message that
// arrives after that is bounced by the closed mailbox, as by any exited
// actor.
void remote_proxy::exit_with(caf::error reason) {
  {
    std::lock_guard<std::mutex> guard{route_mutex_};
    forwarding_ = false;
  }
  quit(std::move(reason));
}

caf::behavior remote_proxy::starting() {
  return {
    [this](started_atom, const global_pid& remote) { on_started(remote); },
    [this](failed_atom, caf::error& error) { exit_with(std::move(error)); },
    [this](exited_atom, const exit_reason& reason) {
      exit_with(to_exit_error(reason));
    },
    // Stopped before the target confirmed: the gateway gets this exit and
    // stops the remote agent should the spawn still succeed.
    [this](shutdown_atom) {
      exit_with(to_exit_error({exit_kind::shutdown, {}}));
    },
  };
}

// Messages that wait in the mailbox are forwarded by this thread after
// the behavior changes. Senders' threads forward only after the last of
// them (see `queued_`).
void remote_proxy::on_started(const global_pid& remote) {
  {
    std::lock_guard<std::mutex> guard{route_mutex_};
    remote_ = remote;
    forwarding_ = true;
  }
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
                exit_with(to_exit_error({exit_kind::shutdown, {}}));
              });
    },
    [this](exited_atom, const exit_reason& reason) {
      log(spdlog::level::debug,
          "remote agent " + to_string(remote_)
            + " exited: " + to_string(reason));
      exit_with(to_exit_error(reason));
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
      std::lock_guard<std::mutex> guard{route_mutex_};
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
