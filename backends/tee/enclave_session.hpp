#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/expected.hpp>

#include "actors/log.hpp"
#include "backends/tee/enclave_process.hpp"
#include "backends/tee/protocol.hpp"
#include "backends/tee/sealed_send.hpp"
#include "backends/tee/secure_channel.hpp"
#include "backends/tee/tee_launcher.hpp"
#include "backends/wasm/wasm_agent.hpp"
#include "serialization/limits.hpp"
#include "serialization/spawn_request.hpp"

namespace corral::tee {

/// The inputs of opening one session.
struct session_settings {
  const tee_options& options;
  const simulated_platform_key& platform_key;
  const enclave_config& enclave;
  const limits& agent_limits;
};

/// Everything one session needs, owned, so that a thread of the agent's
/// own can open it after the kernel's spawn call returned.
struct session_opening {
  tee_options options;
  std::shared_ptr<const simulated_platform_key> platform_key;
  enclave_config enclave;
  limits agent_limits;
  std::string node_id;
  spawn_request request;
  pid_type pid = 0;
};

/// Lets the agent's actor end an `open` that another thread runs, so that
/// an agent stopped during attestation does not wait for the host's
/// deadlines.
class open_canceller {
public:
  /// Kills the host being opened; an `open` that has not started its host
  /// yet fails at once.
  void cancel();

  /// Registers the host that `open` started; false when cancelled already.
  bool attach(enclave_process& process);

  /// Forgets the host before `open` returns it or lets it go.
  void detach();

private:
  std::mutex mutex_;
  bool cancelled_ = false;
  enclave_process* process_ = nullptr;
};

/// An attested enclave host with its sealed channel, ready to run the
/// agent: what the proxy actor takes over after a successful spawn.
class enclave_session {
public:
  /// Starts the host, challenges it, verifies its evidence, opens the
  /// channel and runs the workload's start-up code. Errors:
  /// `attestation_failed` for rejected or missing evidence,
  /// `spawn_failed` when the host or the workload cannot start,
  /// `invalid_request` for bad limits. On error the host is killed and
  /// reaped before this returns. `canceller`, when given, may end it from
  /// another thread.
  static caf::expected<std::unique_ptr<enclave_session>>
  open(const session_settings& settings, const log_ids& ids,
       const std::string& node_id, const spawn_request& request,
       open_canceller* canceller = nullptr);

  /// Opens the session that `opening` describes.
  static caf::expected<std::unique_ptr<enclave_session>>
  open(const session_opening& opening, open_canceller* canceller);

  /// Returns the facts `inspect` shows: enclave_type, measurement,
  /// simulated, debug, and the host's process id.
  std::map<std::string, std::string> details() const;

  /// Seals and sends `frame` through the ring to the host. A frame too
  /// large for the channel is not sent, and the channel stays usable. The
  /// host must read the frame within `write_timeout`.
  send_status send(const channel_frame& frame);

  /// Describes why `send` returned `status`: the invalid index behind
  /// `send_status::corrupt`, or the used-up frame numbers behind
  /// `send_status::exhausted`.
  const std::string& channel_error(send_status status) const {
    return status == send_status::exhausted ? sealer_->error()
                                            : to_host_->error();
  }

  /// Hands the receiving half to the thread that reads the channel.
  std::unique_ptr<channel_opener> take_opener() {
    return std::move(opener_);
  }

  /// Hands the reading end of the host's ring to the same thread.
  std::unique_ptr<ring_consumer> take_consumer() {
    return std::move(to_proxy_);
  }

  /// Returns the host process.
  enclave_process& process() {
    return *process_;
  }

  /// Returns the accepted evidence.
  const evidence& proof() const {
    return evidence_;
  }

  /// Budgets the proxy enforces (mailbox, total fuel).
  const wasm::run_budget& budget() const {
    return budget_;
  }

  /// Time a write to the channel may wait for the host to read.
  std::chrono::milliseconds write_timeout() const {
    return write_timeout_;
  }

  /// Linear memory of the instance after start-up, in bytes.
  std::uint64_t memory_bytes() const {
    return memory_bytes_;
  }

private:
  enclave_session() = default;

  caf::error attest(const session_settings& settings, const log_ids& ids);
  caf::error start_agent(const start_frame& start, const log_ids& ids,
                         std::chrono::steady_clock::time_point deadline,
                         const std::string& memory_note);

  std::unique_ptr<enclave_process> process_;
  std::unique_ptr<channel_sealer> sealer_;
  std::unique_ptr<channel_opener> opener_;
  std::unique_ptr<ring_producer> to_host_;
  std::unique_ptr<ring_consumer> to_proxy_;
  evidence evidence_;
  wasm::run_budget budget_;
  std::uint64_t memory_bytes_ = 0;
  std::chrono::milliseconds write_timeout_{0};
};

} // namespace corral::tee
