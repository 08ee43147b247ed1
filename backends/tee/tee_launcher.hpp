#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "actors/backend.hpp"
#include "backends/tee/attestation.hpp"
#include "backends/tee/test_fault.hpp"

namespace corral::tee {

/// Settings of the Tee backend on one node.
struct tee_options {
  /// The enclave types and measurements the node accepts.
  tee_policy policy;
  /// The node's id, for the log line that warns about simulation.
  std::string node_id;
  /// Path of corral-enclave-host; empty finds it (`default_host_path`).
  std::string host_executable;
  /// Time the host gets to start, measure itself and respond to the
  /// challenge, and then to run the workload's start-up code.
  std::chrono::milliseconds attestation_timeout{5000};
  /// Time the host has to read a whole frame that the proxy writes. A host
  /// that does not (stopped, hung) ends its agent with `backend_failure`.
  /// Until then the write blocks the proxy's thread.
  std::chrono::milliseconds channel_write_timeout{5000};
  /// A fault every host of this launcher injects; tests only.
  test_fault fault = test_fault::none;
};

/// Returns the enclave host next to the running executable if it exists
/// there, else the one in this build tree.
std::string default_host_path();

/// The Tee backend: checks the enclave config, the platform and the
/// node's policy, and spawns the proxy actor, whose own thread starts an
/// enclave host, verifies its evidence against a fresh nonce and opens the
/// sealed channel. A rejected enclave gets `attestation_failed` and its
/// host is killed and reaped before the spawn returns.
class tee_launcher : public backend {
public:
  /// Creates the backend with a fresh simulated platform key.
  explicit tee_launcher(tee_options options);

  /// Spawns a Tee agent, or refuses with the reason.
  caf::expected<spawn_outcome> spawn(const spawn_context& ctx) override;

  /// Returns the path of the enclave host this launcher starts.
  const std::string& host_executable() const {
    return options_.host_executable;
  }

private:
  tee_options options_;
  std::shared_ptr<simulated_platform_key> platform_key_;
};

/// Returns the measurement an enclave of `workload` run by the enclave
/// host at `host_executable` must show, or nothing when a file cannot be
/// read. The workload's digest is over its file's bytes (.wat as text).
std::optional<std::string> expected_measurement(
  const std::string& host_executable, const std::string& workload);

} // namespace corral::tee
