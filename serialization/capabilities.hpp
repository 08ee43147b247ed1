#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace corral {

/// Which agents an agent may send to.
enum class send_scope_kind : std::uint8_t {
  all,         ///< any agent
  parent_only, ///< only its parent (the kernel for top-level agents)
  children,    ///< only the agents it spawned
  listed,      ///< only the pids or agent_ids in `send_scope::agents`
  none,        ///< nobody
};

/// Returns "all", "parent_only", "children", "listed" or "none".
const char* to_string(send_scope_kind x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, send_scope_kind& x);

/// The `can_send` capability: a scope of receivers and, optionally, the
/// message topics allowed to them.
struct send_scope {
  send_scope_kind kind = send_scope_kind::all;
  /// Receivers for `listed`: decimal pids or agent_ids.
  std::vector<std::string> agents;
  /// When non-empty, only messages with one of these topics may be sent.
  std::vector<std::string> topics;
};

/// What an agent may do; checked by the kernel for every backend.
struct capabilities {
  bool can_spawn = true;
  send_scope can_send;
  /// Topics the agent may publish to; "*" allows every topic.
  std::vector<std::string> can_publish = {"*"};
  /// Containers run with `--network none` without it.
  bool can_network = false;
  /// Host functions a WASM module may import; "*" allows the default set.
  std::vector<std::string> host_functions = {"*"};
};

} // namespace corral
