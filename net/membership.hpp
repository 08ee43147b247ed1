#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "net/cluster_config.hpp"
#include "net/member_info.hpp"
#include "net/peer_links.hpp"
#include "serialization/wire_frame.hpp"

namespace corral {

/// Counters of membership traffic, for `corral stats`.
struct membership_counters {
  std::uint64_t heartbeats_sent = 0;
  std::uint64_t heartbeats_received = 0;
  std::uint64_t heartbeat_acks_received = 0;
  std::uint64_t gossip_sent = 0;
  std::uint64_t gossip_received = 0;
  std::uint64_t hellos_sent = 0;
  /// Heartbeats and acks from nodes that are not members here.
  std::uint64_t frames_from_unknown_nodes = 0;
};

/// Cluster membership and failure detection, as a state machine without
/// threads or sockets: the I/O thread feeds it frames, connection events
/// and timer ticks with the current time, and it sends through
/// `peer_links`. Tests drive it with a fake clock and fake links.
///
/// Joining: hellos to the seeds, retried with doubling waits until one
/// replies or `join_timeout` passes. Learning: every member gossips its
/// member list to a few random members. Detection: each node sends
/// heartbeats to every member and watches two signals of its own. A member
/// whose control connection drops (its process died) is suspect at once
/// and down after `disconnect_confirm` unless the connection is made
/// again. A member that is silent (frozen, cut off) is suspect after
/// `suspect_after` and down after `down_after`. Gossip spreads members,
/// restarts (a larger incarnation) and departures, never a down verdict,
/// so that one node's bad link does not make others declare a member down.
/// Not thread-safe; the owner serializes calls.
class membership {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// This node as membership announces it.
  struct self_info {
    std::string node_id;
    std::string address;
    /// Start time in ms since the Unix epoch.
    std::uint64_t incarnation = 0;
  };

  /// Sends through `links`, which must outlive this object.
  /// `local_agents` returns this node's live agent count, for heartbeats.
  membership(membership_config config, self_info self, peer_links& links,
             std::function<std::uint64_t()> local_agents,
             std::uint32_t random_seed);

  /// Starts joining through `seeds` (listen addresses). Without seeds, or
  /// with only this node's own address, the node is alive at once.
  void start(const std::vector<std::string>& seeds, time_point now);

  /// Handles a membership frame from `sender`. Returns what is wrong with
  /// its body, or nothing.
  std::optional<std::string> on_frame(const std::string& sender,
                                      frame_kind kind,
                                      const std::string& body, time_point now);

  /// Handles a drop or reconnection of the control connection named `peer`.
  void on_link_event(const std::string& peer, link_event event,
                     time_point now);

  /// Sends due heartbeats, hellos and gossip, retries seeds, and moves
  /// members between states by the timeouts.
  void tick(time_point now);

  /// Tells every reachable member that this node leaves; afterwards this
  /// node is `left` and sends nothing more.
  void leave();

  /// Returns every member, this node first, as seen at `now`.
  std::vector<member_info> members(time_point now) const;

  /// Returns the state of member `node_id`, or nothing when it is unknown.
  std::optional<member_state> state_of(const std::string& node_id) const;

  /// Returns the member events since the previous call, oldest first.
  std::vector<member_event> take_events();

  /// Returns the counters.
  const membership_counters& counters() const {
    return counters_;
  }

private:
  struct member {
    std::string address;
    member_state state = member_state::joining;
    std::uint64_t incarnation = 0;
    std::uint64_t heartbeat = 0;
    time_point state_since{};
    std::optional<time_point> last_heard;
    /// Set while the control connection is dropped and not made again.
    std::optional<time_point> disconnected_since;
    std::optional<std::chrono::nanoseconds> rtt;
    std::optional<std::uint64_t> agents;
    /// A hello went out on the current connection.
    bool greeted = false;
    /// An `up` event went out without a `down` or `left` after it.
    bool reported_up = false;
    time_point next_hello{};
  };

  struct seed {
    std::string address;
    std::string link;
    std::chrono::milliseconds wait{};
    time_point next_try{};
    unsigned attempts = 0;
  };

  // Frames.
  std::optional<std::string> on_hello(const std::string& sender,
                                      const std::string& body, time_point now);
  std::optional<std::string> on_heartbeat(const std::string& sender,
                                          const std::string& body,
                                          time_point now);
  std::optional<std::string> on_heartbeat_ack(const std::string& sender,
                                              const std::string& body,
                                              time_point now);
  std::optional<std::string> on_gossip(const std::string& sender,
                                       const std::string& body,
                                       time_point now);
  std::optional<std::string> on_leave(const std::string& sender,
                                      const std::string& body, time_point now);
  void merge(const member_record& record, const std::string& sender,
             time_point now);

  // State changes.
  member& add_member(const std::string& id, const std::string& address,
                     std::uint64_t incarnation, time_point now);
  void heard_from(const std::string& id, member& m, time_point now);
  void set_state(const std::string& id, member& m, member_state state,
                 const std::string& reason, time_point now);
  void restarted(const std::string& id, member& m, std::uint64_t incarnation,
                 const std::string& address, time_point now);
  void readdress(const std::string& id, member& m, const std::string& address);
  void mark_joined(time_point now);

  // Timer work.
  void forgive_stall(time_point now);
  void retry_seeds(time_point now);
  void check_members(time_point now);
  void check_member(const std::string& id, member& m, time_point now);
  void send_hellos(time_point now);
  void send_heartbeats(time_point now);
  void send_gossip();
  bool send_hello(const std::string& link);
  gossip_body make_gossip() const;

  member_info info_of(const std::string& id, const member& m,
                      time_point now) const;
  void log_info(const std::string& text) const;

  membership_config config_;
  self_info self_;
  peer_links& links_;
  std::function<std::uint64_t()> local_agents_;
  std::mt19937 random_;

  member_state self_state_ = member_state::joining;
  std::map<std::string, member> members_;
  std::vector<seed> seeds_;
  time_point join_deadline_{};
  std::optional<time_point> last_tick_;
  time_point next_heartbeat_{};
  time_point next_gossip_{};
  std::uint64_t heartbeat_sequence_ = 0;
  std::uint64_t conflicting_ids_ = 0;
  std::vector<member_event> events_;
  membership_counters counters_;
};

} // namespace corral
