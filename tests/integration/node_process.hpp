#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace corral::testing {

/// Path of the `corral` executable under test.
std::string corral_executable();

/// Runs `corral ARGS...` without a node and returns its result.
command_result run_corral(const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout
                          = std::chrono::seconds{20},
                          const std::string& input = {});

/// A `corral node` process with its control socket in a private temporary
/// directory. The constructor waits (at most 10 s) until the node replies
/// to `ping`; the destructor stops it with SIGTERM.
class node_process {
public:
  explicit node_process(const std::string& node_id = "it");

  /// Like the constructor above, with `extra_args` added to `corral node`,
  /// e.g. the cluster options.
  node_process(const std::string& node_id,
               const std::vector<std::string>& extra_args);

  /// Like the constructor above, with `launcher` run in front of the
  /// `corral node` command line, e.g. `ip netns exec NAME` to start the
  /// node in a network namespace. The launcher must exec the command, so
  /// that `process()` is the node itself.
  node_process(const std::string& node_id,
               const std::vector<std::string>& extra_args,
               const std::vector<std::string>& launcher);

  /// Runs `corral ARGS... --control PATH` against this node.
  command_result corral(std::vector<std::string> args,
                        std::chrono::milliseconds timeout
                        = std::chrono::seconds{20},
                        const std::string& input = {}) const;

  /// Starts `corral ARGS... --control PATH` in the background.
  std::unique_ptr<background_process>
  start_corral(std::vector<std::string> args, const std::string& name) const;

  const std::string& control_path() const {
    return control_path_;
  }

  const std::string& node_id() const {
    return node_id_;
  }

  /// Returns the temporary directory with the socket and the output files.
  const std::string& directory() const {
    return directory_.path();
  }

  background_process& process() {
    return *process_;
  }

private:
  temp_directory directory_;
  std::string node_id_;
  std::string control_path_;
  std::unique_ptr<background_process> process_;
};

} // namespace corral::testing
