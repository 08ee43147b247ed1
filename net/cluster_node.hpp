#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/cluster_config.hpp"
#include "net/cluster_transport.hpp"
#include "net/member_info.hpp"
#include "net/membership.hpp"
#include "serialization/errc.hpp"

namespace corral {

/// Handles one inbound payload message on the I/O thread; must not block.
/// It may move the body out, so that a large message is not copied in one
/// step of the I/O thread.
using payload_handler = std::function<void(inbound_frame&)>;

/// This node's place in a cluster: the transport and membership behind one
/// small interface, for the CLI and the remote backend. Payload kinds (32
/// to 127) are passed to the handler registered for them; membership
/// kinds are handled here. Member events and payload handlers run on the
/// I/O thread. Every other function may be called from any thread.
class cluster_node {
public:
  cluster_node();

  /// Stops if still running.
  ~cluster_node();

  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  /// Binds the listen address, starts the I/O thread and joins through the
  /// seeds. Fails with invalid_request for an invalid node id or address,
  /// or an address in use, and when called twice.
  std::optional<failure> start(cluster_config config);

  /// Returns the bound listen address (the real port when 0 was asked
  /// for), or an empty string before `start`.
  std::string listen_address() const;

  /// Returns the node id given to `start`.
  std::string node_id() const;

  /// Queues `body` for node `node_id` on `which` lane as a message of
  /// payload kind `kind`. Returns at once: fails with node_unreachable
  /// for an unknown, joining, down or left node, resource_limit_exceeded
  /// when its send queue is full, and invalid_request for a kind outside
  /// 32 to 127 or a body over the message limit. Delivery is not
  /// confirmed: a message still queued when its node goes down is lost.
  std::optional<failure> send(const std::string& node_id, lane which,
                              std::uint8_t kind, std::string body);

  /// Calls `handler` for every inbound message of a kind from `first_kind`
  /// to `last_kind` (within 32 to 127). A later registration overlapping
  /// an earlier one wins for the overlap. Register before `start` to miss
  /// nothing. Messages of a kind with no handler are dropped and counted
  /// as unhandled_kind.
  void on_payload(std::uint8_t first_kind, std::uint8_t last_kind,
                  payload_handler handler);

  /// Adds a listener for member events.
  void add_member_listener(member_listener listener);

  /// Returns every member, this node first.
  std::vector<member_info> members() const;

  /// Returns the transport and membership counters as JSON.
  nlohmann::json stats() const;

  /// Tells the members that this node leaves, closes the sockets and joins
  /// the I/O thread. Safe to call twice.
  void stop();

private:
  class events_adapter;

  struct handler_entry {
    std::uint8_t first_kind;
    std::uint8_t last_kind;
    payload_handler handler;
  };

  std::optional<frame_rejection> handle_frame(inbound_frame& frame);
  void handle_link_event(const std::string& peer, link_event event);
  void handle_tick(std::chrono::steady_clock::time_point now);
  void handle_stop();
  void deliver_events();
  payload_handler find_handler(std::uint8_t kind) const;

  std::unique_ptr<events_adapter> adapter_;
  std::unique_ptr<cluster_transport> transport_;
  std::unique_ptr<membership> membership_;
  std::string node_id_;
  /// Seeds to join through, until membership starts at the first tick.
  std::optional<std::vector<std::string>> pending_seeds_;

  /// Guards `membership_` against readers on other threads.
  mutable std::mutex membership_mutex_;
  mutable std::mutex handlers_mutex_;
  std::vector<handler_entry> handlers_;
  std::vector<member_listener> listeners_;
  mutable std::mutex state_mutex_;
  bool started_ = false;
};

} // namespace corral
