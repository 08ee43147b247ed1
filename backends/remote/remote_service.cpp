#include "backends/remote/remote_service.hpp"

#include <caf/actor_companion.hpp>
#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "backends/remote/remote_gateway.hpp"
#include "backends/remote/remote_launcher.hpp"

namespace corral::remote {

namespace {

caf::actor_companion* companion_of(const caf::actor& handle) {
  return static_cast<caf::actor_companion*>(
    caf::actor_cast<caf::abstract_actor*>(handle));
}

} // namespace

remote_service::remote_service(remote_settings settings)
  : settings_(settings) {
}

std::shared_ptr<backend> remote_service::make_launcher() {
  return std::make_shared<remote_launcher>(shared_from_this());
}

void remote_service::attach(std::shared_ptr<node_services> services,
                            caf::actor_system& system,
                            cluster_node& cluster) {
  // Hidden: the node's shutdown waits for its agents, not for the gateway,
  // which `detach` ends.
  auto gateway = system.spawn<remote_gateway, caf::hidden>(shared_from_this(),
                                                           services);
  // The companion refers to the service weakly, because the service owns
  // the companion.
  auto replier = system.spawn<caf::actor_companion, caf::hidden>();
  served_.open();
  // Timers armed for requests went to an earlier gateway, if any.
  requests_.disarm();
  std::weak_ptr<remote_service> weak = shared_from_this();
  companion_of(replier)->on_enqueue(
    [weak](caf::mailbox_element_ptr element) {
      if (auto service = weak.lock(); service && element)
        service->on_agent_reply(*element);
    });
  {
    std::lock_guard<std::mutex> guard{mutex_};
    cluster_ = &cluster;
    gateway_ = gateway;
    replier_ = replier;
    services_ = services;
  }
  auto self = shared_from_this();
  cluster.on_payload(static_cast<std::uint8_t>(frame_kind::spawn),
                     static_cast<std::uint8_t>(frame_kind::publish),
                     [self](inbound_frame& frame) {
                       self->on_payload(frame);
                     });
  cluster.add_member_listener(
    [self](const member_event& event) { self->on_member_event(event); });
  seed_members(cluster.members());
  services->set_remote(self);
}

// Attaching to a running cluster misses the events before it, so the
// current states fill in the members that no event has reported since.
void remote_service::seed_members(const std::vector<member_info>& members) {
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& member : members) {
    if (member.self || members_.count(member.node_id) > 0)
      continue;
    switch (member.state) {
      case member_state::alive:
      case member_state::suspect:
        members_[member.node_id] = member_event_kind::up;
        break;
      case member_state::down:
        members_[member.node_id] = member_event_kind::down;
        break;
      case member_state::left:
        members_[member.node_id] = member_event_kind::left;
        break;
      default:
        // Joining members have not been heard from; an up event follows.
        break;
    }
  }
}

void remote_service::detach() {
  caf::actor gateway;
  caf::actor replier;
  std::shared_ptr<node_services> services;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    cluster_ = nullptr;
    gateway = std::move(gateway_);
    replier = std::move(replier_);
    services = std::move(services_);
    gateway_ = nullptr;
    replier_ = nullptr;
    in_gateway_.clear();
  }
  if (services)
    services->set_remote(nullptr);
  if (gateway)
    caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
  // Replies that arrive later are dropped. The companion has no mailbox
  // and no thread, so it needs no exit; it goes with its last handle.
  if (replier)
    companion_of(replier)->on_enqueue({});
  // The gateway's timer no longer ends served requests, and the exiting
  // gateway drops those it served itself.
  served_.clear();
  gateway_serving_.store(0);
  fail_all_requests();
}

std::string remote_service::this_node() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return services_ ? services_->node_id() : std::string{};
}

caf::error remote_service::check_target(const std::string& node_id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (cluster_ == nullptr)
    return make_error(errc::backend_not_available,
                      "backend Remote needs cluster mode, and this node "
                      "runs without a cluster; start it with --listen (and "
                      "--seed) to spawn on node "
                        + node_id);
  auto member = members_.find(node_id);
  if (member == members_.end())
    return make_error(errc::backend_not_available,
                      "node " + node_id + " is not known to node "
                        + services_->node_id()
                        + "; `corral nodes` lists the members of the "
                          "cluster");
  if (member->second != member_event_kind::up)
    return make_error(errc::node_unreachable,
                      "node " + node_id + " is " + to_string(member->second)
                        + " as seen from node " + services_->node_id()
                        + "; `corral nodes` lists the alive members");
  return {};
}

caf::expected<std::shared_ptr<agent_cell>>
remote_service::find(const global_pid& target) const {
  if (auto error = check_target(target.node)) {
    // Messages keep node_unreachable for every node they cannot reach.
    auto failed = to_failure(error);
    return make_error(errc::node_unreachable, failed.detail);
  }
  auto cell = std::make_shared<agent_cell>();
  cell->pid = target.pid;
  cell->agent_id = to_string(target);
  cell->global = target;
  cell->remote = true;
  cell->set_actor(gateway());
  if (!cell->actor())
    return make_error(errc::node_unreachable,
                      "node " + target.node
                        + " is not reachable: the cluster is stopping");
  return cell;
}

std::optional<failure> remote_service::send(const std::string& node_id,
                                            frame_kind kind,
                                            std::string body) const {
  std::lock_guard<std::mutex> guard{mutex_};
  if (cluster_ == nullptr)
    return failure{errc::node_unreachable,
                   "node " + node_id
                     + " is not reachable: the cluster is stopping"};
  return cluster_->send(node_id, lane::bulk, static_cast<std::uint8_t>(kind),
                        std::move(body));
}

void remote_service::publish(const message& msg) const {
  std::vector<std::string> alive;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (cluster_ == nullptr)
      return;
    for (const auto& [node, state] : members_)
      if (state == member_event_kind::up)
        alive.push_back(node);
  }
  if (alive.empty())
    return;
  auto body = to_binary(remote_publish{msg});
  for (const auto& node : alive)
    // A member that cannot be reached misses the message, as a subscriber
    // that exits does: publishing is at-most-once.
    send(node, frame_kind::publish, body);
}

caf::actor remote_service::gateway() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return gateway_;
}

// Runs on the I/O thread: it only records the state and queues a message.
void remote_service::on_member_event(const member_event& event) {
  caf::actor gateway;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (event.member.self)
      return;
    members_[event.member.node_id] = event.kind;
    gateway = gateway_;
  }
  if (gateway)
    caf::anon_send(gateway,
                   member_change{event.member.node_id,
                                 event.kind == member_event_kind::up,
                                 to_string(event.kind)});
}

// Runs on the I/O thread. Small messages and replies go straight to
// their receiver (remote_service_direct.cpp). The gateway decodes the
// other payloads on a CAF thread. Their body moves, because copying a
// module of up to 64 MiB here would hold up the heartbeats behind it.
void remote_service::on_payload(inbound_frame& frame) {
  if (frame.kind == static_cast<std::uint8_t>(frame_kind::message)
      && frame.body.size() <= max_direct_body_bytes && deliver_direct(frame)) {
    direct_deliveries_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  caf::actor gateway;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    gateway = gateway_;
    if (gateway)
      ++in_gateway_[frame.sender];
  }
  if (gateway)
    caf::anon_send(gateway, inbound_payload{frame.sender, frame.kind,
                                            std::move(frame.body)});
}

} // namespace corral::remote
