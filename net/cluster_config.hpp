#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "net/curve_security.hpp"

namespace corral {

/// Timings of membership and failure detection. docs/wire-protocol.md
/// explains how they combine; the defaults detect a killed peer process in
/// about 0.2 s and a silent one in about 1 s.
struct membership_config {
  /// Time between heartbeats to each member.
  std::chrono::milliseconds heartbeat_interval{100};
  /// Silence after which a member is suspect.
  std::chrono::milliseconds suspect_after{500};
  /// Silence after which a member is down.
  std::chrono::milliseconds down_after{1000};
  /// Time a member stays suspect after its connection dropped before it is
  /// down, unless the connection is made again meanwhile.
  std::chrono::milliseconds disconnect_confirm{200};
  /// Time between two rounds of gossip.
  std::chrono::milliseconds gossip_interval{200};
  /// Members that get the member list in each gossip round.
  std::size_t gossip_fanout = 3;
  /// First wait between two hellos to a seed; it doubles up to
  /// `join_retry_max`.
  std::chrono::milliseconds join_retry_initial{100};
  std::chrono::milliseconds join_retry_max{2000};
  /// Time after which a node that no seed replied to stops trying and runs
  /// alone. Other nodes can still join through it.
  std::chrono::milliseconds join_timeout{30'000};
  /// Time a member learned from gossip may stay unheard before it is down.
  std::chrono::milliseconds joining_timeout{3000};
  /// Time between hellos to a down member, which bring it back when it
  /// replies.
  std::chrono::milliseconds down_probe_interval{500};
  /// Time after which a down or left member is forgotten and its
  /// connections are closed.
  std::chrono::milliseconds removal_after{60'000};
};

/// Sizes and socket settings of the node-to-node transport.
struct transport_config {
  /// Largest frame body; longer messages are sent in chunks of this size.
  std::size_t chunk_bytes = 256 * 1024;
  /// Largest body of a `batch` frame, which carries the small messages
  /// that queued up for one lane while earlier frames went out. Messages
  /// whose entry does not fit in it go alone. 0 turns batching off. At
  /// most `chunk_bytes`.
  std::size_t max_batch_bytes = 64 * 1024;
  /// Largest message that `send` accepts and that a peer may send.
  std::size_t max_message_bytes = 64 * 1024 * 1024;
  /// Bytes that may wait to be sent to one peer; beyond, `send` fails.
  std::size_t max_queued_bytes_per_peer = 128 * 1024 * 1024;
  /// Bytes of incomplete chunked messages kept per peer; a chunk beyond
  /// drops its message.
  std::size_t max_reassembly_bytes_per_peer = 128 * 1024 * 1024;
  /// ZeroMQ send high-water marks, in frames, of the two lanes.
  int control_high_water_mark = 1000;
  int bulk_high_water_mark = 64;
  /// Time that frames queued at stop (the leave notice) get to go out.
  std::chrono::milliseconds linger{200};
  /// ZeroMQ's wait before reconnecting a dropped connection; it doubles up
  /// to `reconnect_interval_max`.
  std::chrono::milliseconds reconnect_interval{50};
  std::chrono::milliseconds reconnect_interval_max{1000};
  /// Period of the I/O thread's timer, which drives membership.
  std::chrono::milliseconds tick_interval{10};
  /// Time the I/O thread keeps polling without blocking after a round that
  /// received or queued payload messages, yielding the CPU between polls.
  /// A reply or a next request that arrives meanwhile finds the thread
  /// awake instead of having to wake it, which costs most on idle cores.
  /// The window ends early when a yield shows that other threads wait for
  /// the core. 0 turns it off.
  std::chrono::microseconds busy_poll{200};
  /// CurveZMQ keys; disabled means plain TCP (`--insecure`).
  curve_security security;
};

/// Settings of one cluster node.
struct cluster_config {
  std::string node_id;
  /// The address the node accepts peers on, tcp://HOST:PORT, where port 0
  /// picks a free port. Peers connect to it, so HOST must be one they reach.
  std::string listen_address;
  /// Listen addresses of nodes to join through.
  std::vector<std::string> seeds;
  membership_config membership;
  transport_config transport;
  /// Returns the live agents of this node, sent in heartbeats. Called on
  /// the I/O thread, so it must not block.
  std::function<std::uint64_t()> local_agents;
  /// Seeds the random choice of gossip targets; 0 picks one from the clock.
  std::uint32_t random_seed = 0;
};

} // namespace corral
