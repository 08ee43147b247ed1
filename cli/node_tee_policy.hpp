#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "backends/tee/attestation.hpp"
#include "serialization/result.hpp"

namespace corral::cli {

/// The Tee policy options of `corral node`, as given on the command line
/// or in the config file's [tee] table.
struct tee_policy_options {
  /// Enclave type names the node accepts.
  std::vector<std::string> allow;
  /// Measurements the node accepts; empty accepts any.
  std::vector<std::string> measurements;
  bool allow_debug = false;
};

/// Adds --tee-allow, --tee-measurement and --tee-allow-debug to `command`.
void add_tee_policy_options(CLI::App& command, tee_policy_options& options);

/// Turns the options into a policy; invalid_request names the flag and
/// the value that is not an enclave type or not a measurement.
result<tee::tee_policy> make_tee_policy(const tee_policy_options& options);

} // namespace corral::cli
