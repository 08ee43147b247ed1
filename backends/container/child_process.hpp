#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace corral::container {

/// A file descriptor that is closed when it goes out of scope.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {
  }
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {
  }
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd();

  /// Returns the descriptor, or -1.
  int get() const {
    return fd_;
  }

  /// True while a descriptor is held.
  explicit operator bool() const {
    return fd_ >= 0;
  }

  /// Gives up ownership without closing.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

  /// Closes the descriptor now.
  void reset();

private:
  int fd_ = -1;
};

/// A child process with pipes on its stdin, stdout and stderr, started
/// with posix_spawn so that the caller's other threads see no fork. The
/// parent's pipe ends are non-blocking and close-on-exec.
struct child_process {
  pid_t pid = -1;
  unique_fd in;
  unique_fd out;
  unique_fd err;
};

/// Starts `argv` (argv[0] is a path, not looked up in PATH); returns the
/// error text of posix_spawn or pipe2 on failure.
std::optional<child_process> start_child(const std::vector<std::string>& argv,
                                         std::string& error);

/// Waits for `pid` and returns its exit code, 128 + the signal number for
/// a child killed by a signal, or -1 when waiting failed.
int wait_child(pid_t pid);

/// Output and exit status of a finished command.
struct command_result {
  /// Exit code as `wait_child` returns it; -1 when the command could not
  /// start or timed out.
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
};

/// Runs `argv` to its end with empty stdin, collecting at most `max_output`
/// bytes of each stream, and kills it after `timeout`. Blocks the calling
/// thread, so it runs only on corral's container I/O threads, never on a
/// CAF scheduler thread.
command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout,
                           std::size_t max_output = 1 << 20);

/// Returns the full path of the executable file `name`, or nullopt when
/// none is found. A name without a slash is looked up in PATH.
std::optional<std::string> find_executable(const std::string& name);

/// Joins `argv` with spaces, for log lines and error messages.
std::string join_command(const std::vector<std::string>& argv);

} // namespace corral::container
