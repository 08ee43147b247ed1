// Membership's timer work: seeds, heartbeats, hellos, gossip and the
// timeouts that move members between states.

#include <algorithm>

#include "net/membership.hpp"
#include "net/net_log.hpp"

namespace corral {

namespace {

std::int64_t to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

} // namespace

void membership::tick(time_point now) {
  if (self_state_ == member_state::left)
    return;
  forgive_stall(now);
  retry_seeds(now);
  check_members(now);
  send_hellos(now);
  if (now >= next_heartbeat_) {
    send_heartbeats(now);
    next_heartbeat_ = now + config_.heartbeat_interval;
  }
  if (now >= next_gossip_) {
    send_gossip();
    next_gossip_ = now + config_.gossip_interval;
  }
  last_tick_ = now;
}

void membership::forgive_stall(time_point now) {
  // Silence that this node could not observe (the process was stopped, or
  // the machine starved it) is no evidence against the members: restart
  // their silence clocks instead of declaring them all down.
  if (!last_tick_ || now - *last_tick_ < config_.suspect_after)
    return;
  net_log(spdlog::level::warn, self_.node_id,
          "the membership timer did not run for "
            + std::to_string(to_ms(now - *last_tick_))
            + " ms; the process was stopped or starved, so silence of "
              "members during that time is not counted");
  for (auto& [id, m] : members_)
    if (m.last_heard)
      m.last_heard = std::max(*m.last_heard, now);
}

void membership::retry_seeds(time_point now) {
  if (seeds_.empty())
    return;
  if (now >= join_deadline_) {
    std::string addresses;
    for (const auto& entry : seeds_) {
      addresses += (addresses.empty() ? "" : ", ") + entry.address;
      links_.close_link(entry.link);
    }
    net_log(spdlog::level::err, self_.node_id,
            "no seed answered within " + std::to_string(config_.join_timeout.count())
              + " ms (" + addresses
              + "); running alone until another node joins through "
              + self_.address + "; check the seeds' addresses and that "
                                 "they run");
    seeds_.clear();
    self_state_ = member_state::alive;
    return;
  }
  for (auto& entry : seeds_) {
    if (now < entry.next_try)
      continue;
    // A hello that cannot go out yet (no connection) counts as a try too:
    // the wait between tries grows either way.
    send_hello(entry.link);
    ++entry.attempts;
    entry.next_try = now + entry.wait;
    entry.wait = std::min(entry.wait * 2, config_.join_retry_max);
    if (entry.attempts % 10 == 0)
      net_log(spdlog::level::info, self_.node_id,
              "seed " + entry.address + " has not answered after "
                + std::to_string(entry.attempts) + " hellos; still trying");
  }
}

void membership::check_members(time_point now) {
  for (auto it = members_.begin(); it != members_.end();) {
    auto& m = it->second;
    bool gone = m.state == member_state::down || m.state == member_state::left;
    if (gone && now - m.state_since >= config_.removal_after) {
      net_log(spdlog::level::info, self_.node_id,
              "forgot node " + it->first + ", " + to_string(m.state)
                + " for " + std::to_string(to_ms(now - m.state_since))
                + " ms");
      links_.close_link(it->first);
      it = members_.erase(it);
      continue;
    }
    check_member(it->first, m, now);
    ++it;
  }
}

void membership::check_member(const std::string& id, member& m,
                              time_point now) {
  if (m.state == member_state::joining) {
    if (now - m.state_since >= config_.joining_timeout)
      set_state(id, m, member_state::down,
                "not heard from within "
                  + std::to_string(config_.joining_timeout.count())
                  + " ms of learning of it",
                now);
    return;
  }
  if (m.state != member_state::alive && m.state != member_state::suspect)
    return;

  if (m.disconnected_since) {
    auto dropped = now - *m.disconnected_since;
    if (dropped >= config_.disconnect_confirm)
      set_state(id, m, member_state::down,
                "its connection dropped " + std::to_string(to_ms(dropped))
                  + " ms ago and could not be made again",
                now);
    return;
  }
  auto silence = now - m.last_heard.value_or(m.state_since);
  if (silence >= config_.down_after)
    set_state(id, m, member_state::down,
              "silent for " + std::to_string(to_ms(silence)) + " ms", now);
  else if (silence >= config_.suspect_after)
    set_state(id, m, member_state::suspect,
              "silent for " + std::to_string(to_ms(silence)) + " ms", now);
}

void membership::send_hellos(time_point now) {
  for (auto& [id, m] : members_) {
    if (m.state == member_state::left || now < m.next_hello)
      continue;
    // A down member gets a hello now and then, so that it comes back when
    // it replies. The others get one per connection.
    bool down = m.state == member_state::down;
    if (m.greeted && !down)
      continue;
    if (send_hello(id)) {
      m.greeted = true;
      // A new member learns the rest of the cluster at once.
      if (!down) {
        auto gossip = make_gossip();
        if (links_.send_control(id, frame_kind::gossip, encode_body(gossip)))
          ++counters_.gossip_sent;
      }
    }
    m.next_hello = now + (down ? config_.down_probe_interval
                               : config_.heartbeat_interval);
  }
}

bool membership::send_hello(const std::string& link) {
  hello_body hello{self_.node_id, self_.address, self_.incarnation,
                   wire_protocol_version};
  if (!links_.send_control(link, frame_kind::hello, encode_body(hello)))
    return false;
  ++counters_.hellos_sent;
  return true;
}

void membership::send_heartbeats(time_point now) {
  ++heartbeat_sequence_;
  heartbeat_body heartbeat;
  heartbeat.sequence = heartbeat_sequence_;
  heartbeat.sent_ns = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      now.time_since_epoch())
      .count());
  heartbeat.agents = local_agents_ ? local_agents_() : 0;
  auto body = encode_body(heartbeat);
  for (const auto& [id, m] : members_) {
    if (m.state == member_state::down || m.state == member_state::left)
      continue;
    if (links_.send_control(id, frame_kind::heartbeat, body))
      ++counters_.heartbeats_sent;
  }
}

gossip_body membership::make_gossip() const {
  // NOTE: the list goes out as one frame, so it must fit one chunk. That
  // is 256 KiB by default, about 3000 members; a larger list is not sent.
  gossip_body gossip;
  gossip.members.push_back(member_record{self_.node_id, self_.address,
                                         self_state_, self_.incarnation,
                                         heartbeat_sequence_});
  for (const auto& [id, m] : members_)
    gossip.members.push_back(
      member_record{id, m.address, m.state, m.incarnation, m.heartbeat});
  return gossip;
}

void membership::send_gossip() {
  std::vector<std::string> targets;
  for (const auto& [id, m] : members_)
    if (m.state == member_state::alive || m.state == member_state::suspect)
      targets.push_back(id);
  if (targets.empty())
    return;
  std::shuffle(targets.begin(), targets.end(), random_);
  if (targets.size() > config_.gossip_fanout)
    targets.resize(config_.gossip_fanout);
  auto body = encode_body(make_gossip());
  for (const auto& id : targets)
    if (links_.send_control(id, frame_kind::gossip, body))
      ++counters_.gossip_sent;
}

void membership::leave() {
  if (self_state_ == member_state::left)
    return;
  self_state_ = member_state::left;
  auto body = encode_body(leave_body{self_.incarnation});
  std::size_t told = 0;
  for (const auto& [id, m] : members_) {
    if (m.state == member_state::down || m.state == member_state::left)
      continue;
    if (links_.send_control(id, frame_kind::leave, body))
      ++told;
  }
  log_info("leaving the cluster; told " + std::to_string(told)
           + " member(s)");
}

} // namespace corral
