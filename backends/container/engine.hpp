#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backends/container/child_process.hpp"

namespace corral::container {

/// Settings of the Container backend: how it calls its engine and what it
/// allows agents. Defaults suit Podman as root, and `from_environment`
/// applies overrides.
struct engine_settings {
  /// Engine binary: a name looked up in PATH, or a path. "docker" works
  /// too, because only commands both engines share are used.
  std::string binary = "podman";
  /// Flags placed before every engine command (e.g. `--root DIR`). When
  /// empty, `probe_engine` detects what the host needs.
  std::vector<std::string> global_flags;
  /// `--pull` policy of `run`. "never" fails at once for an image that is
  /// not local; "missing" fetches it from a registry.
  std::string pull = "never";
  /// Time the agent has to print its ready line after the engine starts.
  std::chrono::milliseconds ready_timeout{30'000};
  /// Maximum length in bytes of a line the agent prints. Longer lines are
  /// rejected.
  std::size_t max_line_bytes = 1 << 20;
  /// Invalid lines after which the container is stopped.
  std::size_t max_invalid_lines = 100;
  /// Bytes of lines queued for the agent's stdin and not yet taken by its
  /// pipe. Messages beyond it fail with `mailbox_full`, so an agent that
  /// does not read its stdin cannot fill the node's memory.
  std::size_t max_stdin_bytes = 8 << 20;
  /// Lines read from the agent's stdout and not yet handled by its actor.
  /// At this count the node stops reading stdout until the actor catches
  /// up, so a flood of lines blocks the agent's writes instead.
  std::size_t max_lines_in_flight = 256;
  /// Size of the writable tmpfs at /tmp on the read-only root.
  std::string tmpfs_size = "16m";
  /// `--pids-limit` of every container.
  // NOTE: 256 is an estimate that leaves room for a shell agent and its
  // pipelines. The spawn's limits have no pids field, so it is per backend.
  std::uint64_t pids_limit = 256;
  /// Pre-started containers kept per image and settings; 0 disables the
  /// warm pool.
  std::size_t pool_size = 0;
  /// Time an engine command other than `run` may take.
  std::chrono::milliseconds command_timeout{30'000};

  /// Returns the defaults with CORRAL_CONTAINER_ENGINE (binary),
  /// CORRAL_CONTAINER_ENGINE_FLAGS (space-separated global flags) and
  /// CORRAL_CONTAINER_POOL (pool size) applied when set.
  static engine_settings from_environment();
};

/// Facts about the host that `probe_engine` found, once per backend.
struct engine_facts {
  /// Full path of the engine binary.
  std::string path;
  /// Global flags: the configured ones, or those the host needs.
  std::vector<std::string> global_flags;
  /// Flags every `run` gets, e.g. explicit ulimits.
  std::vector<std::string> run_flags;
  /// One line for the log: runtime, cgroup manager and what was chosen.
  std::string summary;
};

/// Finds the engine binary; returns nullopt and a message naming the
/// binary and the fix when it is missing.
std::optional<std::string> locate_engine(const engine_settings& settings,
                                         std::string& error);

/// Queries the engine about the host (`info`) and derives the flags it
/// needs. These are `--runtime runc` where crun cannot run (cgroups v1) and
/// `--cgroup-manager cgroupfs` where systemd does not run. The nofile and
/// nproc limits become explicit ulimits, because the engine's defaults may
/// be above what the host allows. Blocks for one engine call.
std::optional<engine_facts> probe_engine(const engine_settings& settings,
                                         const std::string& path,
                                         std::string& error);

/// Prefix of every container name and the label value that marks corral's
/// containers.
inline constexpr const char* container_label = "corral.managed=1";

/// Removes containers with corral's labels on this host whose owning
/// process (from the name) no longer runs: leftovers of a crashed node.
/// Returns how many it removed.
std::size_t remove_leftovers(const engine_facts& facts,
                             std::chrono::milliseconds timeout);

/// Returns the engine command line `facts.path facts.global_flags args`.
std::vector<std::string> engine_command(const engine_facts& facts,
                                        std::vector<std::string> args);

/// Returns the host name used in the `corral.host` label.
const std::string& host_name();

} // namespace corral::container
