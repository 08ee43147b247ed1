#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/remote/remote_messages.hpp"
#include "net/cluster_config.hpp"
#include "serialization/result.hpp"

namespace corral::cli {

/// Upper bound of [node] max_agent_memory_bytes and --max-agent-memory:
/// 1 TiB. It catches typos, while the node's default is the policy.
inline constexpr std::uint64_t max_agent_memory_bound = 1ull << 40;

/// The settings of `corral node --config FILE`. Each is empty when the file
/// does not set it, so that command-line flags can override only what
/// they name.
struct node_file_settings {
  std::optional<std::string> node_id;
  /// [node] max_agent_memory_bytes.
  std::optional<std::uint64_t> max_agent_memory_bytes;
  std::optional<std::string> listen;
  std::optional<std::vector<std::string>> seeds;
  std::optional<bool> insecure;
  /// [cluster] busy_poll_us: the I/O thread's busy-poll window.
  std::optional<std::chrono::microseconds> busy_poll;
  /// [security] key_file, relative to the config file's folder unless
  /// absolute.
  std::optional<std::string> key_file;
  /// [security] peer_keys_files, resolved like `key_file`.
  std::optional<std::vector<std::string>> peer_key_files;
  /// The [peers] table: Z85 public key by node id, each checked.
  std::map<std::string, std::string> peers;
  /// The timings of [cluster.timing]; unset keys keep the defaults.
  membership_config membership;
  /// [remote]: the Remote backend's timeouts and limits; unset keys keep
  /// the defaults.
  remote::remote_settings remote;
  /// [tee] allow: the enclave types the node accepts.
  std::optional<std::vector<std::string>> tee_allow;
  /// [tee] measurements: the only measurements accepted, when set.
  std::optional<std::vector<std::string>> tee_measurements;
  /// [tee] allow_debug.
  std::optional<bool> tee_allow_debug;
};

/// Reads a TOML node configuration:
///
///     [node]
///     id = "n1"
///     [cluster]
///     listen = "tcp://127.0.0.1:7001"
///     seeds = ["n0@tcp://127.0.0.1:7000"]
///     [cluster.timing]
///     heartbeat_interval_ms = 100
///     [remote]
///     spawn_timeout_ms = 10000
///     request_timeout_ms = 60000
///     max_served_requests = 65536
///     [security]
///     key_file = "n1.key"
///     peer_keys_files = ["cluster.peers"]
///     [peers]
///     n0 = "Z85 public key of n0, 40 characters"
///     [tee]
///     allow = ["simulation"]
///     measurements = ["64 hex digits"]
///     allow_debug = false
///
/// Fails with invalid_request naming the file, the key and what is wrong
/// for a syntax error, an unknown table or key, a value of the wrong type
/// or range, or a peer key that is not 40 characters of Z85 text.
result<node_file_settings> read_node_config_file(const std::string& path);

} // namespace corral::cli
