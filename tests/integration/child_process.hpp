#pragma once

// Child processes for end-to-end tests: run a command to completion with a
// deadline, or keep one running in the background (a node, a watch) and
// stop it at the end. Every wait is bounded.

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace corral::testing {

/// How a command ended and what it printed.
struct command_result {
  /// The exit status, or -1 when a signal ended the command.
  int exit_code = -1;
  /// True when the command outlived its deadline and was killed.
  bool timed_out = false;
  std::string out;
  std::string err;
};

/// Runs `argv` with `input` on stdin and returns its output. Kills the
/// command with SIGKILL when it runs longer than `timeout`.
command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout,
                           const std::string& input = {});

/// A process running in the background with stdout and stderr in files.
/// The destructor sends SIGTERM, waits up to 5 s, then sends SIGKILL.
class background_process {
public:
  /// Starts `argv`; its output goes to `output_prefix`.out and .err. A
  /// non-zero `pending_signal` starts the program with that signal blocked
  /// and already pending, as if it arrived before the program's first
  /// instruction and was held until the program looks at it.
  background_process(const std::vector<std::string>& argv,
                     const std::string& output_prefix, int pending_signal = 0);
  ~background_process();

  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  pid_t pid() const {
    return pid_;
  }

  /// Waits up to `timeout` for the process to exit by itself. Returns its
  /// exit code, or -1 when it is still running or a signal ended it.
  int wait_for_exit(std::chrono::milliseconds timeout);

  /// Sends SIGTERM and waits up to `timeout`; then sends SIGKILL. Returns
  /// the exit code, or -1 when a signal ended the process.
  int terminate(std::chrono::milliseconds timeout);

  /// True until the process has exited and been reaped.
  bool running();

  /// What the process wrote to stdout so far.
  std::string out() const;

  /// What the process wrote to stderr so far.
  std::string err() const;

private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_path_;
  std::string err_path_;
};

/// A fresh directory under /tmp, removed with its contents on destruction.
class temp_directory {
public:
  temp_directory();
  ~temp_directory();

  temp_directory(const temp_directory&) = delete;
  temp_directory& operator=(const temp_directory&) = delete;

  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

} // namespace corral::testing
