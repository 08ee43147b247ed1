#pragma once

// The options of `corral node`: its flags, the --config file that fills
// the flags left out, and the checks of cluster mode.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "actors/node_config.hpp"
#include "backends/remote/remote_messages.hpp"
#include "cli/node_security.hpp"
#include "cli/node_tee_policy.hpp"
#include "net/cluster_config.hpp"
#include "serialization/result.hpp"

namespace corral::cli {

/// Everything `corral node` reads from its flags and its --config file.
struct node_options {
  node_config config;
  std::string control;
  std::string token_file;
  std::string log_level = "info";
  std::size_t handler_threads = 4;
  /// Cluster mode: the listen address, seeds, keys and --insecure.
  std::string listen;
  std::vector<std::string> seeds;
  bool insecure = false;
  security_options security;
  std::string config_file;
  membership_config membership;
  /// The Remote backend's timeouts and limits, from [remote] of --config.
  remote::remote_settings remote;
  /// [cluster] busy_poll_us of --config, when set.
  std::optional<std::chrono::microseconds> busy_poll;
  /// Which enclaves Tee agents may run in.
  tee_policy_options tee;
  /// The parsed subcommand, to tell flags given from defaults.
  const CLI::App* command = nullptr;
};

/// Adds the flags of `corral node` to `command`, which store into
/// `options`; `options` must outlive `command`.
void add_node_options(CLI::App& command, node_options& options);

/// Fills the options that the command line left out from --config.
std::optional<failure> apply_config_file(node_options& options);

/// Checks the cluster options; returns the usage error, if any.
std::optional<std::string> cluster_usage_error(const node_options& options);

} // namespace corral::cli
