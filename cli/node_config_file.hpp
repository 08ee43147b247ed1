#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/cluster_config.hpp"
#include "serialization/result.hpp"

namespace corral::cli {

/// The settings of `corral node --config FILE`. Each is empty when the file
/// does not set it, so that command-line flags can override only what
/// they name.
struct node_file_settings {
  std::optional<std::string> node_id;
  std::optional<std::string> listen;
  std::optional<std::vector<std::string>> seeds;
  std::optional<bool> insecure;
  /// The timings of [cluster.timing]; unset keys keep the defaults.
  membership_config membership;
};

/// Reads a TOML node configuration:
///
///     [node]
///     id = "n1"
///     [cluster]
///     listen = "tcp://127.0.0.1:7001"
///     seeds = ["tcp://127.0.0.1:7000"]
///     insecure = true
///     [cluster.timing]
///     heartbeat_interval_ms = 100
///
/// Fails with invalid_request naming the file, the key and what is wrong
/// for a syntax error, an unknown table or key, or a value of the wrong
/// type or range.
result<node_file_settings> read_node_config_file(const std::string& path);

} // namespace corral::cli
