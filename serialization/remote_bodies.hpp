#pragma once

// The bodies of the remote backend's payload frames (kinds spawn,
// spawn_reply, message, monitor_down, stop, module_request, module_data,
// control, control_reply, signal and publish), as plain structs with their
// cereal form. `to_binary` and `from_binary` of binary_forms.hpp encode and
// decode them; docs/wire-protocol.md lists their fields in order.

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>

#include "serialization/binary_forms.hpp"
#include "serialization/errc.hpp"
#include "serialization/exit_reason.hpp"
#include "serialization/message.hpp"
#include "serialization/process_info.hpp"
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

/// An operation that a `control` frame requests on an agent of the
/// receiving node.
enum class control_op : std::uint8_t {
  stop = 1,
  restart = 2,
  suspend = 3,
  resume = 4,
  inspect = 5,
  /// The sender's agent `peer` monitors the target.
  monitor = 6,
  demonitor = 7,
  /// The sender's agent `peer` and the target are linked.
  link = 8,
  unlink = 9,
};

/// Returns the operation's name, or "unknown".
inline std::string to_string(control_op x) {
  static const char* const names[] = {"unknown", "stop",    "restart",
                                      "suspend", "resume",  "inspect",
                                      "monitor", "demonitor", "link",
                                      "unlink"};
  auto index = static_cast<std::size_t>(x);
  return index < std::size(names) ? names[index] : "unknown";
}

/// Parses an operation name; false for anything else.
inline bool from_string(const std::string& name, control_op& x) {
  for (std::uint8_t i = 1; i <= static_cast<std::uint8_t>(control_op::unlink);
       ++i)
    if (to_string(static_cast<control_op>(i)) == name) {
      x = static_cast<control_op>(i);
      return true;
    }
  return false;
}

/// Body of a `control` frame: an operation on an agent of the receiving
/// node, requested by the sender. The receiver replies with a
/// `control_reply` of the same request_id.
struct remote_control {
  /// Chosen by the sender; the reply carries it back.
  std::uint64_t request_id = 0;
  control_op op = control_op::inspect;
  /// The agent of the receiving node.
  pid_type target = 0;
  /// For monitor, demonitor, link and unlink: the agent of the sending
  /// node that monitors or links; 0 otherwise.
  pid_type peer = 0;
  /// For stop: kill at once instead of sending the shutdown signal first.
  bool immediate = false;
  /// For stop: time between the shutdown signal and the kill, in ms.
  std::uint64_t grace_ms = 0;
};

/// Body of a `control_reply` frame: the outcome of the `control` with the
/// same request_id. `error` is set when it failed. Otherwise the field of
/// the operation contains its result: `exit` for stop, `spawned` for restart,
/// `process` for inspect. The other fields stay empty.
struct remote_control_reply {
  std::uint64_t request_id = 0;
  std::optional<failure> error;
  exit_reason exit;
  spawn_result spawned;
  process_info process;
};

/// What a `signal` frame tells its target agent.
enum class signal_kind : std::uint8_t {
  /// A monitored agent exited: the target gets a down notice.
  down = 1,
  /// A linked agent exited: the target gets an exit signal.
  exit = 2,
};

/// Returns the signal kind's name, or "unknown".
inline std::string to_string(signal_kind x) {
  switch (x) {
    case signal_kind::down:
      return "down";
    case signal_kind::exit:
      return "exit";
  }
  return "unknown";
}

/// Parses a signal kind name; false for anything else.
inline bool from_string(const std::string& name, signal_kind& x) {
  if (name == "down")
    x = signal_kind::down;
  else if (name == "exit")
    x = signal_kind::exit;
  else
    return false;
  return true;
}

/// Body of a `signal` frame: an agent of the sending node (`source`) has
/// exited, and agent `target` of the receiving node monitored it or was
/// linked to it. Also sent the other way, for a link, when the sender's
/// agent exits.
struct remote_signal {
  signal_kind kind = signal_kind::down;
  global_pid source;
  pid_type target = 0;
  exit_reason reason;
};

/// Body of a `publish` frame: a message published to `msg.topic` on the
/// sending node, for the receiving node's subscribers of that topic.
struct remote_publish {
  message msg;
};

/// Body of a `module_request` frame: the receiver of a spawn lacks its WASM
/// module and requests the module's bytes from the spawning node.
struct remote_module_request {
  /// The request_id of the `spawn` that needs the module.
  std::uint64_t request_id = 0;
  /// Lowercase hex SHA-256 of the module's bytes.
  std::string sha256;
};

/// Body of a `module_data` frame: the bytes that a `module_request` asked
/// for, or why the spawning node cannot send them.
struct remote_module_data {
  std::uint64_t request_id = 0;
  std::string sha256;
  /// The module's bytes; empty when `error` is set.
  std::string bytes;
  std::optional<failure> error;
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

template <class Archive>
void serialize(Archive& archive, remote_control& x) {
  binary::serialize_fields(archive, x.request_id, x.op, x.target, x.peer,
                           x.immediate, x.grace_ms);
}

template <class Archive>
void serialize(Archive& archive, remote_control_reply& x) {
  binary::serialize_fields(archive, x.request_id, x.error, x.exit, x.spawned,
                           x.process);
}

template <class Archive>
void serialize(Archive& archive, remote_signal& x) {
  binary::serialize_fields(archive, x.kind, x.source, x.target, x.reason);
}

template <class Archive>
void serialize(Archive& archive, remote_publish& x) {
  binary::serialize_fields(archive, x.msg);
}

template <class Archive>
void serialize(Archive& archive, remote_module_request& x) {
  binary::serialize_fields(archive, x.request_id, x.sha256);
}

template <class Archive>
void serialize(Archive& archive, remote_module_data& x) {
  binary::serialize_fields(archive, x.request_id, x.sha256, x.bytes, x.error);
}

} // namespace corral
