#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace corral {

/// Process id of an agent, unique per node and never reused in a node's
/// life. Pid 0 is the node's kernel.
using pid_type = std::uint64_t;

/// The pid of the kernel on every node.
constexpr pid_type kernel_pid = 0;

/// A pid qualified by its node: what crosses the network and what the CLI
/// prints, written as "node_id:pid".
struct global_pid {
  std::string node;
  pid_type pid = 0;

  friend bool operator==(const global_pid& x, const global_pid& y) {
    return x.pid == y.pid && x.node == y.node;
  }

  friend bool operator!=(const global_pid& x, const global_pid& y) {
    return !(x == y);
  }
};

/// Formats as "node:pid".
std::string to_string(const global_pid& x);

/// Parses "node:pid"; the node part must be non-empty and the pid decimal.
std::optional<global_pid> parse_global_pid(const std::string& text);

/// Parses a decimal pid; rejects signs, spaces and overflow.
std::optional<pid_type> parse_pid(const std::string& text);

} // namespace corral
