#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "net/control_outbox.hpp"
#include "serialization/errc.hpp"

namespace corral {

/// The client of one control request and the "id" its reply repeats.
struct reply_address {
  /// ZeroMQ routing id of the client.
  std::string identity;
  /// True when the client sent an empty delimiter frame (a REQ socket).
  bool delimiter = false;
  /// The request's "id", or null when it had none.
  nlohmann::json id;
};

class pending_replies;

/// The reply to one control request that its handler sends later, from any
/// thread, so that a request waiting for an agent or a grace period blocks
/// no handler thread. Only the first `deliver` sends. A promise destroyed
/// without a reply sends an internal_error, so that no client waits for a
/// reply that never comes. Thread-safe.
class control_reply_promise {
public:
  /// Creates the promise of the request `op` from `address`; use
  /// `pending_replies::open`, which also registers it.
  control_reply_promise(reply_address address, std::string op,
                        std::shared_ptr<pending_replies> pending);

  /// Sends an internal_error reply when `deliver` never ran.
  ~control_reply_promise();

  control_reply_promise(const control_reply_promise&) = delete;
  control_reply_promise& operator=(const control_reply_promise&) = delete;

  /// Queues `reply` (an object with "ok") for the client, with the
  /// request's "id" added. Returns false, sending nothing, when a reply
  /// was delivered before.
  bool deliver(nlohmann::json reply);

private:
  friend class pending_replies;

  reply_address address_;
  std::string op_;
  std::shared_ptr<pending_replies> pending_;
  std::uint64_t key_ = 0;
  std::mutex mutex_;
  bool delivered_ = false;
};

/// The promised replies of one control endpoint that are not delivered
/// yet. The endpoint limits their number and fails them all when it stops.
/// Thread-safe; promises keep it alive, so they may outlive the endpoint.
class pending_replies : public std::enable_shared_from_this<pending_replies> {
public:
  /// Creates the set for an endpoint that sends replies through `outbox`
  /// and logs failed requests with `node_id`.
  pending_replies(std::shared_ptr<control_outbox> outbox, std::string node_id);

  /// Creates and registers the promise of the request `op` from `address`.
  std::shared_ptr<control_reply_promise> open(reply_address address,
                                              std::string op);

  /// Returns the number of promises not delivered yet.
  std::size_t size() const;

  /// Delivers an error reply with `error` to every pending promise, e.g.
  /// "the node is stopping". A later `deliver` of such a promise sends
  /// nothing.
  void fail_all(const failure& error);

private:
  friend class control_reply_promise;

  /// Queues the frame of a delivered reply and removes the promise `key`
  /// from the pending ones.
  void send(std::uint64_t key, const reply_address& address,
            const std::string& op, nlohmann::json reply);

  const std::shared_ptr<control_outbox> outbox_;
  const std::string node_id_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::weak_ptr<control_reply_promise>> promises_;
  std::uint64_t next_key_ = 1;
};

/// Logs at debug level that the request `op` failed with `reply`. Failed
/// requests (unknown agents, timeouts) are routine and the client gets the
/// error, so the log only keeps a trace for the operator.
void log_failed_request(const std::string& node_id, const nlohmann::json& op,
                        const nlohmann::json& reply);

} // namespace corral
