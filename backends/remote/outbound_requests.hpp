#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>
#include <caf/response_promise.hpp>

#include "backends/remote/deadline_table.hpp"

namespace corral::remote {

/// The requester of one request as CAF addressed it: the parts of a
/// `caf::response_promise`, to which any thread can reply through
/// `deliver_reply`. A response promise itself may be used only by the actor
/// that made it, because it sends on that actor's scheduler worker.
struct reply_address {
  caf::strong_actor_ptr source;
  caf::mailbox_element::forwarding_stack stages;
  caf::message_id id;
  /// Named as the sender of the response.
  caf::strong_actor_ptr replier;
};

/// Returns the reply address of the request that `promise` belongs to, with
/// `replier` as the sender of the response.
reply_address address_of(const caf::response_promise& promise,
                         caf::strong_actor_ptr replier);

/// Sends `content` as the response to the request at `to`, as
/// `caf::response_promise::deliver` does, from any thread. A requester
/// that has exited meanwhile gets nothing.
void deliver_reply(reply_address& to, caf::message content);

/// The requests that agents of this node sent to agents of other nodes and
/// that wait for their replies, by request id. The thread that sends a
/// request adds it. The gateway ends requests at their deadline or when
/// their node goes down. The cluster's I/O thread ends them when their
/// reply arrives and delivers the reply itself. Whichever thread takes an
/// entry out of the table delivers its reply, so each request gets exactly
/// one. Thread-safe; no lock is held while a reply is delivered.
class outbound_requests {
public:
  using clock = std::chrono::steady_clock;

  /// One request waiting for its reply.
  struct entry {
    reply_address reply;
    /// The node of the agent the request went to.
    std::string node;
    /// How long the request may wait for its reply here.
    std::chrono::milliseconds timeout{0};
    /// When the request stops waiting: `timeout` after it was added.
    clock::time_point deadline;
  };

  /// The result of `add`: the request's id, and whether the gateway's
  /// timer must be armed.
  using added = deadline_table<entry>::added;

  /// Adds `request` under a new id, with its deadline `request.timeout`
  /// from now.
  added add(entry request);

  /// Takes the request `id` out of the table, or returns nothing when no
  /// such request waits.
  std::optional<entry> take(std::uint64_t id);

  /// Takes the request `id` out of the table if it went to node `node`. A
  /// reply from any other node is not the reply to it and leaves it there.
  std::optional<entry> take_from(std::uint64_t id, const std::string& node);

  /// Takes every request that went to node `node` out of the table.
  std::vector<entry> take_all_to(const std::string& node);

  /// Takes every request out of the table.
  std::vector<entry> take_all();

  /// Forgets the armed timer, for a new gateway, which has none. Call when
  /// the service attaches.
  void disarm();

  /// Takes every request whose deadline passed at `now` out of the table.
  /// Sets `next` to the time for which the gateway's timer must be armed,
  /// or to nothing when no request is left or a timer is already due by
  /// the earliest deadline left.
  std::vector<entry> take_expired(clock::time_point now,
                                  std::optional<clock::time_point>& next);

  /// Returns the number of waiting requests.
  std::size_t size() const;

private:
  deadline_table<entry> table_;
};

} // namespace corral::remote
