#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "backends/tee/shared_ring.hpp"

namespace corral::tee {

/// The descriptor number of the channel's socket inside the enclave host.
/// The host inherits no other descriptor but the shared memory of the
/// rings (`host_ring_fd`), which it closes after mapping it: 0 and 1 are
/// /dev/null, and 2 is a pipe that the proxy reads when the host ends
/// early.
inline constexpr int host_channel_fd = 3;

static_assert(host_ring_fd == host_channel_fd + 1,
              "the host closes every descriptor above the ring's");

/// The most of the host's stderr that an error message quotes, from its end.
inline constexpr std::size_t stderr_quote_bytes = 2000;

/// One enclave host process and the proxy's end of its channel: a Unix
/// socket pair and the shared memory of the rings. Thread-safe: one thread may wait for the exit while
/// another kills, and a killed pid is never one already reaped and reused.
class enclave_process {
public:
  /// Starts `executable` with `args`; returns nothing and sets `error` when
  /// it cannot be started.
  static std::unique_ptr<enclave_process>
  start(const std::string& executable, const std::vector<std::string>& args,
        std::string& error);

  /// Kills the process if it still runs and reaps it.
  ~enclave_process();

  enclave_process(const enclave_process&) = delete;
  enclave_process& operator=(const enclave_process&) = delete;

  /// Returns the proxy's end of the channel.
  int channel() const {
    return channel_;
  }

  /// Returns the shared memory of the channel's rings.
  shared_ring_memory& ring() {
    return *ring_;
  }

  /// Returns the host's process id.
  pid_t pid() const {
    return pid_;
  }

  /// Sends SIGKILL unless the process was reaped already.
  void kill();

  /// Shuts the channel down in both directions, so that a thread blocked
  /// reading it returns.
  void shutdown_channel();

  /// Blocks until the process exits, reaps it and returns its wait status.
  int wait();

  /// Waits for the exit and describes it with the last lines the host
  /// wrote to stderr, e.g. a sanitizer's report: "exit code 1; stderr:
  /// ...". Reads the stderr pipe once; later calls quote nothing.
  std::string describe_exit();

private:
  enclave_process(pid_t pid, int channel, int error_output,
                  std::unique_ptr<shared_ring_memory> ring)
    : pid_(pid),
      channel_(channel),
      error_output_(error_output),
      ring_(std::move(ring)) {
  }

  pid_t pid_;
  int channel_;
  /// The read end of the host's stderr pipe, non-blocking; -1 once read.
  int error_output_;
  std::unique_ptr<shared_ring_memory> ring_;
  std::mutex mutex_;
  std::optional<int> status_;
};

} // namespace corral::tee
