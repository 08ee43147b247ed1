#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>

#include "actors/backend.hpp"
#include "actors/node_services.hpp"
#include "actors/remote_routes.hpp"
#include "backends/remote/outbound_requests.hpp"
#include "backends/remote/remote_messages.hpp"
#include "backends/remote/served_requests.hpp"
#include "net/cluster_node.hpp"

namespace corral::remote {

/// The remote backend of one node: the link between the node's actors and
/// its cluster_node. It owns the gateway actor, tracks which members are
/// alive, and routes global pids of other nodes. Small messages to agents
/// of this node and replies to requests of this node skip the gateway: the
/// I/O thread delivers them itself (see `deliver_direct`). Create it before the node
/// (its launcher goes into the backend registry), `attach` it before the
/// cluster starts, and `detach` it before the cluster stops.
class remote_service : public remote_routes,
                       public std::enable_shared_from_this<remote_service> {
public:
  /// Creates a detached service with `settings`.
  explicit remote_service(remote_settings settings = {});

  /// Returns the backend to register as "Remote". Until `attach`, it
  /// rejects every spawn with backend_not_available.
  std::shared_ptr<backend> make_launcher();

  /// Spawns the gateway in `system`, registers the payload handlers and the
  /// member listener on `cluster`, and sets this service as the node's
  /// remote routes. May be called before or after `cluster.start`; payload
  /// messages that arrive before it are dropped by the cluster.
  void attach(std::shared_ptr<node_services> services,
              caf::actor_system& system, cluster_node& cluster);

  /// Stops the gateway and drops the cluster pointer; later frames and sends are
  /// dropped. Call before the cluster stops. Safe to call twice.
  void detach();

  /// Checks that `node_id` is an alive member: backend_not_available for a
  /// detached service or an unknown node, node_unreachable for a member
  /// that is down or left.
  caf::error check_target(const std::string& node_id) const;

  caf::expected<std::shared_ptr<agent_cell>>
  find(const global_pid& target) const override;

  caf::expected<std::string> failover_target(
    const remote_backend& spec,
    const std::map<std::string, std::string>& refused) const override;

  void publish(const message& msg) const override;

  /// Queues `body` as a payload message of `kind` to `node_id` on the bulk
  /// lane, so that all of the backend's messages to a node stay in order.
  std::optional<failure> send(const std::string& node_id, frame_kind kind,
                              std::string body) const;

  /// Returns the gateway actor, or null when detached.
  caf::actor gateway() const;

  /// Returns how many monitors and links between this node's agents and
  /// agents of other nodes the gateway keeps, both directions; for tests
  /// that check that none outlive their agents.
  std::size_t watch_records() const {
    return watch_records_.load();
  }

  /// Called by the gateway whenever its number of monitor and link records
  /// changes.
  void count_watch_records(std::size_t count) {
    watch_records_.store(count);
  }

  /// Returns how many requests to agents of other nodes wait here for
  /// their reply; for tests that check that none outlives its deadline.
  std::size_t requests_waiting() const {
    return requests_.size();
  }

  /// Returns how many requests from other nodes wait here for the reply of
  /// an agent of this node. Tests check with it that each request ends by
  /// its requester's deadline.
  std::size_t requests_serving() const {
    return served_.size() + gateway_serving_.load();
  }

  /// Returns how many messages and replies from other nodes the I/O thread
  /// delivered without the gateway; for tests of that path.
  std::size_t direct_deliveries() const {
    return direct_deliveries_.load();
  }

  /// Returns how many messages and requests proxies sent on their senders'
  /// threads, without their mailbox; for tests of that path.
  std::size_t unqueued_forwards() const {
    return unqueued_forwards_.load();
  }

  /// Called by a proxy for each message or request that it sends on its
  /// sender's thread.
  void count_unqueued_forward() {
    unqueued_forwards_.fetch_add(1, std::memory_order_relaxed);
  }

  /// Returns how many payloads from other nodes the gateway has yet to
  /// handle. While any from a node wait, its later messages take the
  /// gateway too, so tests of the direct path wait for 0 first.
  std::size_t payloads_in_gateway() const {
    std::lock_guard<std::mutex> guard{mutex_};
    std::size_t count = 0;
    for (const auto& entry : in_gateway_)
      count += entry.second;
    return count;
  }

  /// Called by the gateway whenever the number of requests that it serves
  /// itself changes.
  void count_serving(std::size_t serving) {
    gateway_serving_.store(serving);
  }

  /// Returns the table of requests from this node's agents that wait for
  /// replies from other nodes.
  outbound_requests& requests() {
    return requests_;
  }

  /// Sends `msg` to its agent on another node for `self`, the actor that
  /// handles it, as `forward` with the requester of that message does.
  caf::result<message> forward(caf::event_based_actor* self, message& msg,
                               std::chrono::milliseconds timeout);

  /// Forwards `request` for `self` as `forward_until` with the requester of
  /// that message does.
  caf::result<message> forward_until(caf::event_based_actor* self,
                                     remote_request& request);

  /// Sends `msg` to its agent on another node; any thread. A cast that
  /// cannot be queued becomes a dead letter. A request waits up to
  /// `timeout` for its reply, which the I/O thread delivers to `requester`;
  /// the gateway ends it at its deadline. A request that cannot be sent
  /// gets its error at once.
  void forward(message& msg, std::chrono::milliseconds timeout,
               reply_address requester);

  /// Forwards `request` as `forward` does, with the time left until its
  /// deadline, capped by `settings().request_timeout`, as the timeout. A
  /// request whose deadline passed gets a timeout error.
  void forward_until(remote_request& request, reply_address requester);

  /// Sends a timeout error to every request to another node whose deadline
  /// passed, and arms the gateway's timer for the next one when needed.
  /// The gateway calls it when that timer fires.
  void expire_requests();

  /// Ends the request whose reply or failure `envelope` is, and delivers
  /// it to the requester; `from` must be the node the request went to. A
  /// reply that comes after the request ended is dropped. Any thread.
  void answer_request(const std::string& from, remote_envelope& envelope);

  /// Sends a failure reply with `timeout` to every request served here
  /// whose deadline passed, and arms the gateway's timer for the next one.
  /// The gateway calls it when that timer fires.
  void expire_served();

  /// Tells the service that the gateway has handled `count` payloads from
  /// `node` that the I/O thread passed to it. Until it has handled all of
  /// them, later messages from `node` take the gateway too, so that no
  /// message overtakes an earlier one.
  void payloads_handled(const std::string& node, std::size_t count);

  /// Returns how long this node waits for its agent's reply to a request
  /// whose sender sent `timeout_ms`: that time, or `request_timeout` when
  /// it is 0, and never more than `request_timeout`. The sender's value is
  /// not trusted, because it would keep a request here for up to 49 days.
  std::chrono::milliseconds serve_timeout(std::uint32_t timeout_ms) const;

  /// Returns the failure for a request from another node when this node
  /// already serves `settings().max_served_requests`, or nothing when it
  /// may serve one more.
  std::optional<failure> check_serving_room() const;

  /// The settings given at creation.
  const remote_settings& settings() const {
    return settings_;
  }

private:
  void on_member_event(const member_event& event);
  void seed_members(const std::vector<member_info>& members);
  void on_payload(inbound_frame& frame);
  bool deliver_direct(inbound_frame& frame);
  void serve(const std::string& from, remote_envelope& envelope,
             const caf::actor& agent, const caf::actor& replier,
             const caf::actor& gateway);
  void on_agent_reply(caf::mailbox_element& element);
  void reply_failure(const served_requests::entry& request,
                     const failure& error) const;
  void fail_all_requests();
  void drop_cast(const message& msg, const failure& error);
  std::string this_node() const;

  remote_settings settings_;
  mutable std::mutex mutex_;
  cluster_node* cluster_ = nullptr;
  caf::actor gateway_;
  std::shared_ptr<node_services> services_;
  /// The latest event per member: up, down or left. Members never heard
  /// from are absent.
  std::map<std::string, member_event_kind> members_;
  /// Payloads that the I/O thread passed to the gateway and that it has
  /// not handled yet, by sender node.
  std::map<std::string, std::size_t> in_gateway_;
  /// The sender of requests delivered straight to agents: an actor
  /// companion whose enqueue runs `on_agent_reply` on the replying thread.
  caf::actor replier_;
  outbound_requests requests_;
  served_requests served_;
  std::atomic<std::size_t> watch_records_{0};
  std::atomic<std::size_t> gateway_serving_{0};
  std::atomic<std::size_t> direct_deliveries_{0};
  std::atomic<std::size_t> unqueued_forwards_{0};
  /// Requests rejected by `max_served_requests` since the last log line,
  /// and that line's time (steady clock, ns), so that a flood of them
  /// writes at most one line per second.
  mutable std::atomic<std::uint64_t> rejected_served_{0};
  mutable std::atomic<std::int64_t> rejected_logged_ns_{0};
};

} // namespace corral::remote
