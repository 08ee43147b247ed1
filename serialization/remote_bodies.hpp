#pragma once

// The bodies of the remote backend's payload frames (kinds spawn,
// spawn_reply, message, monitor_down and stop), as plain structs with their
// cereal form. `to_binary` and `from_binary` of binary_forms.hpp encode and
// decode them; docs/wire-protocol.md lists their fields in order.

#include <cstdint>
#include <optional>

#include "serialization/binary_forms.hpp"
#include "serialization/errc.hpp"
#include "serialization/exit_reason.hpp"
#include "serialization/message.hpp"
#include "serialization/spawn_request.hpp"

namespace corral {

/// Body of a `spawn` frame: a request to the receiving node to spawn an
/// agent for the sender. The request's backend is the one to run it with there, and
/// never Remote.
struct remote_spawn {
  /// Chosen by the sender; the reply carries it back.
  std::uint64_t request_id = 0;
  spawn_request request;
};

/// Body of a `spawn_reply` frame: the outcome of the `spawn` with the same
/// request_id. Exactly one of `error` and a meaningful `result` is set.
struct remote_spawn_reply {
  std::uint64_t request_id = 0;
  /// Set when the spawn failed; `result` is then empty.
  std::optional<failure> error;
  /// The new agent's pid, agent_id and global pid on the replying node.
  spawn_result result;
};

/// Body of a `message` frame: one message to an agent of the receiving node
/// (`msg.to`), or a reply or failure for a request sent earlier.
struct remote_envelope {
  /// 0 for a cast; for a request, chosen by the sender, and for a reply or
  /// failure, the id of the request it replies to.
  std::uint64_t request_id = 0;
  /// How long the receiver waits for its agent's reply to a request, in
  /// ms; 0 for other kinds.
  std::uint32_t timeout_ms = 0;
  message msg;
  /// The error of a failed request, for `msg.kind == failure`.
  std::optional<failure> error;
};

/// Body of a `monitor_down` frame: an agent that the receiver spawned on
/// the sender (or addressed by a stop) has exited.
struct remote_down {
  global_pid agent;
  exit_reason reason;
};

/// Body of a `stop` frame: stops an agent of the receiving node that the
/// sender spawned there.
struct remote_stop {
  pid_type pid = 0;
  /// Kill at once instead of sending the shutdown signal first.
  bool immediate = false;
  /// Time between the shutdown signal and the kill, in ms.
  std::uint64_t grace_ms = 0;
};

template <class Archive>
void serialize(Archive& archive, remote_spawn& x) {
  binary::serialize_fields(archive, x.request_id, x.request);
}

template <class Archive>
void serialize(Archive& archive, remote_spawn_reply& x) {
  binary::serialize_fields(archive, x.request_id, x.error, x.result);
}

template <class Archive>
void serialize(Archive& archive, remote_envelope& x) {
  binary::serialize_fields(archive, x.request_id, x.timeout_ms, x.msg,
                           x.error);
}

template <class Archive>
void serialize(Archive& archive, remote_down& x) {
  binary::serialize_fields(archive, x.agent, x.reason);
}

template <class Archive>
void serialize(Archive& archive, remote_stop& x) {
  binary::serialize_fields(archive, x.pid, x.immediate, x.grace_ms);
}

} // namespace corral
