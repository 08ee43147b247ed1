#include "net/cluster_node.hpp"

#include <chrono>
#include <random>

#include "net/listen_address.hpp"
#include "net/net_log.hpp"
#include "serialization/node_id.hpp"

namespace corral {

using clock_type = std::chrono::steady_clock;

/// Forwards the transport's callbacks to the node, so that the node's
/// public interface does not show them.
class cluster_node::events_adapter : public transport_events {
public:
  explicit events_adapter(cluster_node& owner) : owner_(owner) {
  }

  std::optional<frame_rejection> on_frame(inbound_frame& frame) override {
    return owner_.handle_frame(frame);
  }

  void on_link_event(const std::string& peer, link_event event) override {
    owner_.handle_link_event(peer, event);
  }

  void on_tick(clock_type::time_point now) override {
    owner_.handle_tick(now);
  }

  void on_stop() override {
    owner_.handle_stop();
  }

private:
  cluster_node& owner_;
};

namespace {

std::uint64_t epoch_milliseconds() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

} // namespace

cluster_node::cluster_node() : adapter_(std::make_unique<events_adapter>(*this)) {
}

cluster_node::~cluster_node() {
  stop();
}

std::optional<failure> cluster_node::start(cluster_config config) {
  {
    std::lock_guard<std::mutex> guard{state_mutex_};
    if (started_)
      return failure{errc::invalid_request,
                     "the cluster node " + node_id_ + " is already started"};
    started_ = true;
  }
  if (auto error = node_id_error(config.node_id))
    return failure{errc::invalid_request, *error};
  for (const auto& seed : config.seeds)
    if (auto parsed = parse_listen_address(seed); !parsed)
      return failure{errc::invalid_request,
                     "seed: " + parsed.error().detail};
  node_id_ = config.node_id;

  auto transport = cluster_transport::start(config.node_id,
                                            config.listen_address,
                                            config.transport, *adapter_);
  if (!transport)
    return transport.error();

  auto seed = config.random_seed != 0 ? config.random_seed
                                      : std::random_device{}();
  membership::self_info self{config.node_id, (*transport)->listen_address(),
                             epoch_milliseconds()};
  {
    std::lock_guard<std::mutex> guard{membership_mutex_};
    transport_ = std::move(*transport);
    membership_ = std::make_unique<membership>(
      config.membership, self, *transport_, config.local_agents, seed);
    // Membership opens links, which only the I/O thread may do, so it
    // starts at the first tick.
    pending_seeds_ = config.seeds;
  }
  return std::nullopt;
}

std::string cluster_node::listen_address() const {
  std::lock_guard<std::mutex> guard{membership_mutex_};
  return transport_ ? transport_->listen_address() : std::string{};
}

std::string cluster_node::node_id() const {
  std::lock_guard<std::mutex> guard{membership_mutex_};
  return node_id_;
}

std::optional<failure> cluster_node::send(const std::string& node_id,
                                          lane which, std::uint8_t kind,
                                          std::string body) {
  {
    std::lock_guard<std::mutex> guard{membership_mutex_};
    if (!membership_)
      return failure{errc::node_unreachable,
                     "this node is not in a cluster; start it with --listen"};
    if (node_id == node_id_)
      return failure{errc::invalid_request,
                     "cannot send to this node itself (" + node_id + ")"};
    auto state = membership_->state_of(node_id);
    if (!state)
      return failure{errc::node_unreachable,
                     "node " + node_id + " is not a member of the cluster; "
                       "`corral nodes` lists the members"};
    if (*state != member_state::alive && *state != member_state::suspect)
      return failure{errc::node_unreachable,
                     "node " + node_id + " is " + to_string(*state)};
  }
  return transport_->submit(node_id, which, kind, std::move(body));
}

void cluster_node::on_payload(std::uint8_t first_kind, std::uint8_t last_kind,
                              payload_handler handler) {
  std::lock_guard<std::mutex> guard{handlers_mutex_};
  handlers_.push_back(handler_entry{first_kind, last_kind, std::move(handler)});
}

void cluster_node::add_member_listener(member_listener listener) {
  std::lock_guard<std::mutex> guard{handlers_mutex_};
  listeners_.push_back(std::move(listener));
}

std::vector<member_info> cluster_node::members() const {
  std::lock_guard<std::mutex> guard{membership_mutex_};
  if (!membership_)
    return {};
  return membership_->members(clock_type::now());
}

nlohmann::json cluster_node::stats() const {
  std::lock_guard<std::mutex> guard{membership_mutex_};
  if (!membership_ || !transport_)
    return nlohmann::json::object();
  const auto& counters = membership_->counters();
  auto by_state = nlohmann::json::object();
  for (auto state : {member_state::joining, member_state::alive,
                     member_state::suspect, member_state::down,
                     member_state::left})
    by_state[to_string(state)] = 0;
  for (const auto& member : membership_->members(clock_type::now()))
    if (!member.self)
      by_state[to_string(member.state)] =
        by_state[to_string(member.state)].get<int>() + 1;
  return {
    {"listen_address", transport_->listen_address()},
    {"members", by_state},
    {"membership",
     {{"heartbeats_sent", counters.heartbeats_sent},
      {"heartbeats_received", counters.heartbeats_received},
      {"heartbeat_acks_received", counters.heartbeat_acks_received},
      {"gossip_sent", counters.gossip_sent},
      {"gossip_received", counters.gossip_received},
      {"hellos_sent", counters.hellos_sent},
      {"frames_from_unknown_nodes", counters.frames_from_unknown_nodes}}},
    {"transport", to_json(transport_->counters())},
  };
}

void cluster_node::stop() {
  cluster_transport* transport = nullptr;
  {
    std::lock_guard<std::mutex> guard{membership_mutex_};
    transport = transport_.get();
  }
  // Without the lock: the I/O thread takes it for its last callbacks.
  if (transport)
    transport->stop();
}

// -- on the I/O thread -------------------------------------------------------

std::optional<frame_rejection>
cluster_node::handle_frame(inbound_frame& frame) {
  if (is_membership_kind(frame.kind)) {
    std::optional<std::string> error;
    {
      std::lock_guard<std::mutex> guard{membership_mutex_};
      if (!membership_)
        return std::nullopt;
      error = membership_->on_frame(frame.sender,
                                    static_cast<frame_kind>(frame.kind),
                                    frame.body, clock_type::now());
    }
    deliver_events();
    if (error)
      return frame_rejection{drop_reason::malformed_body, *error};
    return std::nullopt;
  }

  auto handler = find_handler(frame.kind);
  if (!handler)
    return frame_rejection{drop_reason::unhandled_kind,
                           "no handler is registered for "
                             + kind_name(frame.kind)};
  handler(frame);
  return std::nullopt;
}

void cluster_node::handle_link_event(const std::string& peer,
                                     link_event event) {
  {
    std::lock_guard<std::mutex> guard{membership_mutex_};
    if (!membership_)
      return;
    membership_->on_link_event(peer, event, clock_type::now());
  }
  deliver_events();
}

void cluster_node::handle_tick(clock_type::time_point now) {
  {
    std::lock_guard<std::mutex> guard{membership_mutex_};
    if (!membership_)
      return;
    if (pending_seeds_) {
      membership_->start(*pending_seeds_, now);
      pending_seeds_.reset();
    }
    membership_->tick(now);
  }
  deliver_events();
}

void cluster_node::handle_stop() {
  {
    std::lock_guard<std::mutex> guard{membership_mutex_};
    if (!membership_)
      return;
    membership_->leave();
  }
  deliver_events();
}

void cluster_node::deliver_events() {
  std::vector<member_event> events;
  {
    std::lock_guard<std::mutex> guard{membership_mutex_};
    events = membership_->take_events();
  }
  if (events.empty())
    return;
  for (const auto& event : events)
    if (event.kind != member_event_kind::up)
      transport_->forget_partial_messages(event.member.node_id);

  std::vector<member_listener> listeners;
  {
    std::lock_guard<std::mutex> guard{handlers_mutex_};
    listeners = listeners_;
  }
  for (const auto& event : events)
    for (const auto& listener : listeners)
      listener(event);
}

payload_handler cluster_node::find_handler(std::uint8_t kind) const {
  std::lock_guard<std::mutex> guard{handlers_mutex_};
  for (auto entry = handlers_.rbegin(); entry != handlers_.rend(); ++entry)
    if (kind >= entry->first_kind && kind <= entry->last_kind)
      return entry->handler;
  return {};
}

} // namespace corral
