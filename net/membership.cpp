// Membership: frames from peers, connection events and state changes. The
// timer's work is in membership_timer.cpp.

#include "net/membership.hpp"

#include "net/net_log.hpp"

namespace corral {

namespace {

std::int64_t to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

} // namespace

const char* to_string(member_event_kind x) {
  switch (x) {
    case member_event_kind::up:
      return "up";
    case member_event_kind::down:
      return "down";
    case member_event_kind::left:
      return "left";
  }
  return "unknown";
}

membership::membership(membership_config config, self_info self,
                       peer_links& links,
                       std::function<std::uint64_t()> local_agents,
                       std::uint32_t random_seed)
  : config_(config),
    self_(std::move(self)),
    links_(links),
    local_agents_(std::move(local_agents)),
    random_(random_seed) {
}

void membership::start(const std::vector<std::string>& seeds, time_point now) {
  for (const auto& address : seeds) {
    // A shared seed list often names the node itself; it cannot join
    // through itself.
    if (address == self_.address)
      continue;
    seed entry;
    entry.address = address;
    // Seed links have a name no node id can have (ids contain no space).
    entry.link = "seed " + address;
    entry.wait = config_.join_retry_initial;
    entry.next_try = now;
    links_.open_link(entry.link, address);
    seeds_.push_back(std::move(entry));
  }
  join_deadline_ = now + config_.join_timeout;
  next_heartbeat_ = now;
  next_gossip_ = now + config_.gossip_interval;
  if (seeds_.empty()) {
    self_state_ = member_state::alive;
    log_info("running as the first node of a cluster; others join through "
             + self_.address);
  } else {
    log_info("joining the cluster through " + std::to_string(seeds_.size())
             + " seed(s)");
  }
}

// -- frames ------------------------------------------------------------------

std::optional<std::string> membership::on_frame(const std::string& sender,
                                                frame_kind kind,
                                                const std::string& body,
                                                time_point now) {
  if (self_state_ == member_state::left)
    return std::nullopt;
  switch (kind) {
    case frame_kind::hello:
      return on_hello(sender, body, now);
    case frame_kind::heartbeat:
      return on_heartbeat(sender, body, now);
    case frame_kind::heartbeat_ack:
      return on_heartbeat_ack(sender, body, now);
    case frame_kind::gossip:
      return on_gossip(sender, body, now);
    case frame_kind::leave:
      return on_leave(sender, body, now);
    default:
      return "frame kind " + kind_name(static_cast<std::uint8_t>(kind))
             + " is not a membership frame";
  }
}

std::optional<std::string> membership::on_hello(const std::string& sender,
                                                const std::string& body,
                                                time_point now) {
  auto hello = decode_body<hello_body>(body);
  if (!hello)
    return hello.error().detail;
  if (hello->node_id != sender)
    return "hello names node " + hello->node_id
           + " but came on the connection of node " + sender;

  if (hello->node_id == self_.node_id) {
    // Our own hello comes back when a seed address is another name of our
    // own listen address. Another incarnation is another process with the
    // same id, which breaks the cluster.
    if (hello->incarnation != self_.incarnation
        && should_log_repeat(++conflicting_ids_))
      net_log(spdlog::level::err, self_.node_id,
              "another node at " + hello->address + " uses this node's id "
                + self_.node_id + "; give every node a unique --id");
    return std::nullopt;
  }

  mark_joined(now);
  auto found = members_.find(sender);
  if (found == members_.end()) {
    auto& m = add_member(sender, hello->address, hello->incarnation, now);
    heard_from(sender, m, now);
    return std::nullopt;
  }

  auto& m = found->second;
  if (hello->incarnation < m.incarnation)
    return std::nullopt; // From an earlier run, overtaken by its restart.
  if (hello->incarnation > m.incarnation)
    restarted(sender, m, hello->incarnation, hello->address, now);
  else if (hello->address != m.address)
    readdress(sender, m, hello->address);
  if (m.state == member_state::left) {
    m.state = member_state::joining; // Came back under the same incarnation.
    m.state_since = now;
  }

  // A member that did not count as alive may not know this node either,
  // so it gets a hello back. An alive one gets none, which ends the
  // exchange.
  if (m.state != member_state::alive)
    m.greeted = false;
  heard_from(sender, m, now);
  return std::nullopt;
}

std::optional<std::string> membership::on_heartbeat(const std::string& sender,
                                                    const std::string& body,
                                                    time_point now) {
  auto heartbeat = decode_body<heartbeat_body>(body);
  if (!heartbeat)
    return heartbeat.error().detail;
  ++counters_.heartbeats_received;
  auto found = members_.find(sender);
  if (found == members_.end()) {
    ++counters_.frames_from_unknown_nodes;
    return std::nullopt;
  }
  auto& m = found->second;
  m.heartbeat = std::max(m.heartbeat, heartbeat->sequence);
  m.agents = heartbeat->agents;
  heard_from(sender, m, now);
  heartbeat_ack_body ack{heartbeat->sequence, heartbeat->sent_ns};
  links_.send_control(sender, frame_kind::heartbeat_ack, encode_body(ack));
  return std::nullopt;
}

std::optional<std::string>
membership::on_heartbeat_ack(const std::string& sender,
                             const std::string& body, time_point now) {
  auto ack = decode_body<heartbeat_ack_body>(body);
  if (!ack)
    return ack.error().detail;
  ++counters_.heartbeat_acks_received;
  auto found = members_.find(sender);
  if (found == members_.end()) {
    ++counters_.frames_from_unknown_nodes;
    return std::nullopt;
  }
  auto& m = found->second;
  auto now_ns = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      now.time_since_epoch())
      .count());
  // The echo is this node's own clock, so an echo from the future is a
  // forged or corrupted one.
  if (ack->echoed_sent_ns <= now_ns)
    m.rtt = std::chrono::nanoseconds{now_ns - ack->echoed_sent_ns};
  heard_from(sender, m, now);
  return std::nullopt;
}

std::optional<std::string> membership::on_gossip(const std::string& sender,
                                                 const std::string& body,
                                                 time_point now) {
  auto gossip = decode_body<gossip_body>(body);
  if (!gossip)
    return gossip.error().detail;
  ++counters_.gossip_received;
  auto found = members_.find(sender);
  if (found != members_.end())
    heard_from(sender, found->second, now);
  for (const auto& record : gossip->members)
    merge(record, sender, now);
  return std::nullopt;
}

std::optional<std::string> membership::on_leave(const std::string& sender,
                                                const std::string& body,
                                                time_point now) {
  auto leave = decode_body<leave_body>(body);
  if (!leave)
    return leave.error().detail;
  auto found = members_.find(sender);
  if (found == members_.end() || leave->incarnation < found->second.incarnation)
    return std::nullopt;
  auto& m = found->second;
  set_state(sender, m, member_state::left, "it left the cluster", now);
  m.disconnected_since.reset();
  links_.close_link(sender);
  return std::nullopt;
}

void membership::merge(const member_record& record, const std::string& sender,
                       time_point now) {
  if (record.node_id == self_.node_id) {
    if (record.incarnation > self_.incarnation
        && should_log_repeat(++conflicting_ids_))
      net_log(spdlog::level::err, self_.node_id,
              "gossip from " + sender + " names a newer node with this "
                "node's id at " + record.address
                + "; give every node a unique --id");
    return;
  }

  auto found = members_.find(record.node_id);
  if (found == members_.end()) {
    // Only members that may be reachable are worth connecting to.
    if (record.state == member_state::down
        || record.state == member_state::left)
      return;
    add_member(record.node_id, record.address, record.incarnation, now);
    net_log(spdlog::level::debug, self_.node_id,
            "learned of node " + record.node_id + " at " + record.address
              + " from " + sender);
    return;
  }

  auto& m = found->second;
  if (record.incarnation > m.incarnation) {
    restarted(record.node_id, m, record.incarnation, record.address, now);
    if (record.state == member_state::left) {
      set_state(record.node_id, m, member_state::left,
                "gossip from " + sender + " says it left", now);
      links_.close_link(record.node_id);
    }
    return;
  }
  if (record.incarnation < m.incarnation)
    return;
  m.heartbeat = std::max(m.heartbeat, record.heartbeat);
  if (record.state == member_state::left && m.state != member_state::left) {
    set_state(record.node_id, m, member_state::left,
              "gossip from " + sender + " says it left", now);
    links_.close_link(record.node_id);
  }
}

// -- connection events -------------------------------------------------------

void membership::on_link_event(const std::string& peer, link_event event,
                               time_point now) {
  for (auto& entry : seeds_) {
    if (entry.link == peer) {
      if (event == link_event::connected && send_hello(entry.link))
        ++entry.attempts;
      return;
    }
  }

  auto found = members_.find(peer);
  if (found == members_.end())
    return;
  auto& m = found->second;
  if (event == link_event::connected) {
    m.disconnected_since.reset();
    m.greeted = false;
    m.next_hello = now;
    return;
  }
  if (m.state == member_state::down || m.state == member_state::left)
    return;
  m.disconnected_since = now;
  m.greeted = false;
  if (m.state == member_state::alive)
    set_state(peer, m, member_state::suspect, "its connection dropped", now);
}

// -- state changes -----------------------------------------------------------

membership::member& membership::add_member(const std::string& id,
                                           const std::string& address,
                                           std::uint64_t incarnation,
                                           time_point now) {
  auto& m = members_[id];
  m.address = address;
  m.incarnation = incarnation;
  m.state = member_state::joining;
  m.state_since = now;
  m.next_hello = now;
  links_.open_link(id, address);
  return m;
}

void membership::heard_from(const std::string& id, member& m, time_point now) {
  m.last_heard = now;
  if (m.state == member_state::left || m.state == member_state::alive)
    return;
  // A member whose connection dropped stays suspect or down until the
  // connection is made again: frames still in flight from a process that
  // just died must not revive it.
  if (m.disconnected_since)
    return;
  set_state(id, m, member_state::alive, "heard from it", now);
}

void membership::set_state(const std::string& id, member& m,
                           member_state state, const std::string& reason,
                           time_point now) {
  if (m.state == state)
    return;
  auto level = state == member_state::suspect ? spdlog::level::debug
                                              : spdlog::level::info;
  net_log(level, self_.node_id,
          "node " + id + " at " + m.address + " is " + to_string(state)
            + " (was " + to_string(m.state) + "): " + reason);
  m.state = state;
  m.state_since = now;

  std::optional<member_event_kind> event;
  if (state == member_state::alive && !m.reported_up)
    event = member_event_kind::up;
  else if (state == member_state::down && m.reported_up)
    event = member_event_kind::down;
  else if (state == member_state::left && m.reported_up)
    event = member_event_kind::left;
  if (!event)
    return;
  m.reported_up = *event == member_event_kind::up;
  events_.push_back(member_event{*event, info_of(id, m, now)});
}

void membership::restarted(const std::string& id, member& m,
                           std::uint64_t incarnation,
                           const std::string& address, time_point now) {
  // The old run is gone, so listeners that tracked it get `down` first.
  set_state(id, m, member_state::down,
            "it restarted (incarnation " + std::to_string(m.incarnation)
              + " to " + std::to_string(incarnation) + ")",
            now);
  m.incarnation = incarnation;
  m.heartbeat = 0;
  m.rtt.reset();
  m.agents.reset();
  m.disconnected_since.reset();
  m.greeted = false;
  m.next_hello = now;
  m.state = member_state::joining;
  if (address != m.address)
    readdress(id, m, address);
}

void membership::readdress(const std::string& id, member& m,
                           const std::string& address) {
  log_info("node " + id + " moved from " + m.address + " to " + address);
  m.address = address;
  m.disconnected_since.reset();
  m.greeted = false;
  links_.open_link(id, address);
}

void membership::mark_joined(time_point) {
  if (self_state_ != member_state::joining)
    return;
  self_state_ = member_state::alive;
  for (const auto& entry : seeds_)
    links_.close_link(entry.link);
  seeds_.clear();
  log_info("joined the cluster");
}

// -- reading -----------------------------------------------------------------

member_info membership::info_of(const std::string& id, const member& m,
                                time_point now) const {
  member_info info;
  info.node_id = id;
  info.address = m.address;
  info.state = m.state;
  info.incarnation = m.incarnation;
  info.heartbeat = m.heartbeat;
  if (m.last_heard)
    info.last_heard_ms = to_ms(now - *m.last_heard);
  if (m.rtt)
    info.rtt_us =
      std::chrono::duration_cast<std::chrono::microseconds>(*m.rtt).count();
  info.agents = m.agents;
  return info;
}

std::vector<member_info> membership::members(time_point now) const {
  std::vector<member_info> result;
  member_info self;
  self.node_id = self_.node_id;
  self.address = self_.address;
  self.state = self_state_;
  self.incarnation = self_.incarnation;
  self.heartbeat = heartbeat_sequence_;
  if (local_agents_)
    self.agents = local_agents_();
  self.self = true;
  result.push_back(std::move(self));
  for (const auto& [id, m] : members_)
    result.push_back(info_of(id, m, now));
  return result;
}

std::optional<member_state>
membership::state_of(const std::string& node_id) const {
  if (node_id == self_.node_id)
    return self_state_;
  auto found = members_.find(node_id);
  if (found == members_.end())
    return std::nullopt;
  return found->second.state;
}

std::vector<member_event> membership::take_events() {
  std::vector<member_event> taken;
  taken.swap(events_);
  return taken;
}

void membership::log_info(const std::string& text) const {
  net_log(spdlog::level::info, self_.node_id, text);
}

} // namespace corral
