#include "actors/agent_context.hpp"

#include <nlohmann/json.hpp>

#include "actors/error.hpp"
#include "actors/local_spawn.hpp"
#include "actors/log.hpp"
#include "actors/remote_routes.hpp"
#include "actors/router.hpp"

namespace corral {

void deferred_reply::deliver(std::string payload) {
  if (!promise_.pending())
    return;
  promise_.deliver(make_reply(request_, request_.to, std::move(payload)));
}

void deferred_reply::fail(caf::error error) {
  if (promise_.pending())
    promise_.deliver(std::move(error));
}

agent_context::agent_context(caf::event_based_actor* self,
                             std::shared_ptr<agent_cell> cell,
                             std::shared_ptr<node_services> services,
                             std::map<std::string, std::string> env)
  : self_(self),
    cell_(std::move(cell)),
    services_(std::move(services)),
    started_(std::chrono::steady_clock::now()) {
  if (!env.empty())
    env_ = std::make_unique<const std::map<std::string, std::string>>(
      std::move(env));
}

const std::map<std::string, std::string>& agent_context::no_env() {
  static const std::map<std::string, std::string> empty;
  return empty;
}

void agent_context::ignore_stray_errors() {
  self_->set_error_handler([this](caf::error& error) {
    corral::log(spdlog::level::warn,
                {services_->node_id(), cell_->pid, cell_->agent_id},
                "ignored an error message that is not a reply: "
                  + describe(error));
  });
}

message agent_context::down_message(const down_notice& notice) const {
  message msg;
  msg.from = cell_->global;
  msg.to = cell_->global;
  msg.topic = "$down";
  msg.payload = nlohmann::json{{"pid", notice.pid},
                               {"agent_id", notice.agent_id},
                               {"reason", to_string(notice.reason)}}
                  .dump();
  return msg;
}

void agent_context::log_linked_exit(const exit_signal& signal) const {
  corral::log(spdlog::level::info,
              {services_->node_id(), cell_->pid, cell_->agent_id},
              "exits because linked agent " + signal.agent_id + " (pid "
                + std::to_string(signal.pid)
                + ") exited: " + to_string(signal.reason));
}

std::chrono::milliseconds agent_context::uptime() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started_);
}

message agent_context::make_envelope(const agent_cell& receiver,
                                     std::string topic, std::string payload,
                                     message_kind kind) const {
  message result;
  result.from = cell_->global;
  result.to = receiver.global;
  result.topic = std::move(topic);
  result.payload = std::move(payload);
  result.kind = kind;
  if (current_ != nullptr)
    result.trace_id = current_->trace_id;
  if (result.trace_id == 0)
    result.trace_id = services_->new_trace_id();
  return result;
}

caf::error agent_context::send(const std::string& target, std::string topic,
                               std::string payload) {
  auto found = resolve(*services_, target);
  if (!found.cell) {
    message lost;
    lost.from = cell_->global;
    lost.topic = std::move(topic);
    lost.payload = std::move(payload);
    post_dead_letter(*services_, lost, target, found.reason);
    return found.error;
  }
  auto msg = make_envelope(*found.cell, std::move(topic), std::move(payload),
                           message_kind::cast);
  if (auto denied = check_send(cell_.get(), *found.cell, msg.topic)) {
    post_dead_letter(*services_, msg, target,
                     dead_letter_reason::capability_denied);
    return denied;
  }
  cell_->messages_out.fetch_add(1, std::memory_order_relaxed);
  self_->send(found.cell->actor(), std::move(msg));
  return {};
}

void agent_context::request(const std::string& target, std::string topic,
                            std::string payload,
                            std::chrono::milliseconds timeout,
                            reply_handler on_reply, error_handler on_error) {
  auto found = resolve(*services_, target);
  if (!found.cell) {
    message lost;
    lost.from = cell_->global;
    lost.topic = std::move(topic);
    lost.payload = std::move(payload);
    lost.kind = message_kind::request;
    post_dead_letter(*services_, lost, target, found.reason);
    on_error(found.error);
    return;
  }
  auto msg = make_envelope(*found.cell, std::move(topic), std::move(payload),
                           message_kind::request);
  msg.correlation_id = next_correlation_++;
  if (auto denied = check_send(cell_.get(), *found.cell, msg.topic)) {
    post_dead_letter(*services_, msg, target,
                     dead_letter_reason::capability_denied);
    on_error(denied);
    return;
  }
  cell_->messages_out.fetch_add(1, std::memory_order_relaxed);
  if (!pending_)
    pending_ = std::make_unique<pending_requests>(*services_);
  auto ticket = pending_->add(self_, msg, target, timeout, std::move(on_reply),
                              std::move(on_error));
  auto on_response = [this, ticket](message& reply) {
    pending_->finish(ticket, &reply, {});
  };
  auto on_failure = [this, ticket](caf::error& error) {
    pending_->finish(ticket, nullptr, error);
  };
  // NOTE: a receiver that never replies keeps CAF's response handler (a
  // few hundred bytes) alive until this agent exits. The caller still gets
  // its timeout error on time.
  auto& receiver = *found.cell;
  if (receiver.remote) {
    self_->request(receiver.actor(), caf::infinite,
                   make_request_message(receiver, std::move(msg), timeout))
      .then(std::move(on_response), std::move(on_failure));
    return;
  }
  // Sent as the envelope itself rather than a caf::message, so that CAF
  // stores it in the mailbox element without a second allocation.
  self_->request(receiver.actor(), caf::infinite, std::move(msg))
    .then(std::move(on_response), std::move(on_failure));
}

caf::error agent_context::publish(const std::string& topic,
                                  std::string payload) {
  if (auto denied = check_publish(cell_.get(), topic)) {
    message lost;
    lost.from = cell_->global;
    lost.topic = topic;
    lost.payload = std::move(payload);
    post_dead_letter(*services_, lost, "topic:" + topic,
                     dead_letter_reason::capability_denied);
    return denied;
  }
  for (auto& subscriber : services_->agents.subscribers(topic)) {
    if (subscriber->pid == cell_->pid)
      continue;
    cell_->messages_out.fetch_add(1, std::memory_order_relaxed);
    self_->send(subscriber->actor(),
                make_envelope(*subscriber, topic, payload, message_kind::cast));
  }
  // Subscribers on other nodes of the cluster get it through their node.
  if (auto remote = services_->remote()) {
    auto msg = make_envelope(*cell_, topic, std::move(payload),
                             message_kind::cast);
    msg.to = {};
    remote->publish(msg);
  }
  return {};
}

caf::error agent_context::broadcast(const std::string& topic,
                                    std::string payload) {
  if (auto denied = check_publish(cell_.get(), topic))
    return denied;
  for (auto& receiver : services_->agents.all()) {
    if (receiver->pid == cell_->pid
        || check_send(cell_.get(), *receiver, topic))
      continue;
    cell_->messages_out.fetch_add(1, std::memory_order_relaxed);
    self_->send(receiver->actor(),
                make_envelope(*receiver, topic, payload, message_kind::cast));
  }
  return {};
}

void agent_context::subscribe(const std::string& topic) {
  services_->agents.subscribe(topic, cell_->pid);
}

void agent_context::unsubscribe(const std::string& topic) {
  services_->agents.unsubscribe(topic, cell_->pid);
}

void agent_context::spawn(spawn_request request, spawn_handler done) {
  request.parent_pid = cell_->pid;
  auto here = spawn_here(self_->home_system(), services_, request,
                         cell_.get(), self_);
  if (here) {
    // One message to self runs every callback queued until then.
    if (!spawn_callbacks_) {
      spawn_callbacks_ = std::make_unique<std::vector<
        std::pair<spawn_handler, caf::expected<spawn_result>>>>();
      self_->send(self_, spawned_atom::value);
    }
    spawn_callbacks_->emplace_back(std::move(done), std::move(*here));
    return;
  }
  self_->request(services_->kernel, caf::infinite, spawn_atom::value,
                 std::move(request))
    .then([done](spawn_result& result) { done(std::move(result)); },
          [done](caf::error& error) { done(std::move(error)); });
}

void agent_context::run_spawn_callbacks() {
  auto ready = std::move(spawn_callbacks_);
  if (!ready)
    return;
  for (auto& [done, result] : *ready)
    done(std::move(result));
}

void agent_context::monitor(const std::string& target,
                            error_handler on_error) {
  self_->request(services_->kernel, caf::infinite, monitor_atom::value,
                 cell_->pid, target)
    .then([]() {},
          [on_error](caf::error& error) {
            if (on_error)
              on_error(error);
          });
}

void agent_context::link(const std::string& target, error_handler on_error) {
  self_->request(services_->kernel, caf::infinite, link_atom::value,
                 cell_->pid, target)
    .then([]() {},
          [on_error](caf::error& error) {
            if (on_error)
              on_error(error);
          });
}

void agent_context::unlink(const std::string& target) {
  self_->send(services_->kernel, unlink_atom::value, cell_->pid, target);
}

void agent_context::demonitor(const std::string& target) {
  self_->send(services_->kernel, demonitor_atom::value, cell_->pid, target);
}

deferred_reply agent_context::defer_reply() {
  deferred_reply result;
  if (current_ != nullptr)
    result.request_ = *current_;
  result.promise_ = self_->make_response_promise();
  reply_deferred_ = true;
  return result;
}

void agent_context::suspend_self() {
  self_->send(services_->kernel, suspend_atom::value,
              std::to_string(cell_->pid));
}

void agent_context::resume_self() {
  self_->send(services_->kernel, resume_atom::value,
              std::to_string(cell_->pid));
}

void agent_context::exit(exit_reason reason) {
  self_->quit(to_exit_error(reason));
}

void agent_context::log(spdlog::level::level_enum level,
                        std::string_view text) const {
  corral::log(level, {services_->node_id(), cell_->pid, cell_->agent_id},
              text);
}

void agent_context::warn_supervisor(const resource_warning& warning) {
  auto parent = services_->agents.find(cell_->parent);
  if (parent)
    self_->send(parent->actor(), warning);
  else
    self_->send(services_->kernel, warning);
}

} // namespace corral
