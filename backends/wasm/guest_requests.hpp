#pragma once

// Request bookkeeping shared by the actors that run a guest's handler one
// message at a time: the Wasm backend's hosting actor and the Tee
// backend's enclave proxy.

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include <caf/response_promise.hpp>

#include "actors/agent_context.hpp"

namespace corral::wasm {

/// A message waiting for the guest's handler, with the promise of its
/// reply when it is a request.
struct pending_message {
  message msg;
  caf::response_promise promise;
  /// True for a message that came through the actor's mailbox. False for
  /// one the actor made itself (a reply to the guest's request, a down
  /// notice, a resource warning), which never becomes a dead letter.
  bool from_mailbox = false;
};

/// Answers the requester of `done` after its handler returned `value`:
/// the reply, or `invalid_request` when the handler failed (non-zero) or
/// gave no reply. Does nothing for a one-way message.
void deliver_handler_result(agent_context& ctx, pending_message& done,
                            std::int32_t value,
                            std::optional<std::string> reply);

/// Fails every request in `current` and `queue` with `process_not_found`
/// naming `reason`, posts every cast in `queue` that came from the mailbox
/// as a dead letter (exited_target), and empties both. The cast in
/// `current` is not a dead letter, because its handler has started.
void fail_pending(agent_context& ctx,
                  std::optional<pending_message>& current,
                  std::deque<pending_message>& queue,
                  const std::string& reason);

/// Sends a guest's request with correlation id `id`. The reply, or a
/// failure message, is passed to `queue` later with that id. Returns `id`,
/// or the ABI code of an error found at once (then `queue` is not called).
std::int64_t start_guest_request(agent_context& ctx, std::uint64_t id,
                                 const std::string& target, std::string topic,
                                 std::string payload,
                                 std::uint32_t timeout_ms,
                                 std::function<void(message)> queue);

} // namespace corral::wasm
