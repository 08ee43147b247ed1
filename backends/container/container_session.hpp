#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/message.hpp>

#include "backends/container/child_process.hpp"
#include "backends/container/engine_state.hpp"
#include "serialization/pid.hpp"

namespace corral::container {

/// A stdout line of the agent: (line_atom, std::string).
using line_atom = caf::atom_constant<caf::atom("ctr_line")>;
/// A stdout line longer than the limit was dropped: (long_atom, bytes).
using long_atom = caf::atom_constant<caf::atom("ctr_long")>;
/// The container ended: (ended_atom, container_end).
using ended_atom = caf::atom_constant<caf::atom("ctr_ended")>;

/// The end of a container's `run`, as the hosting actor learns it.
struct container_end {
  /// Exit code of the engine's `run`: the container's own code, 125-127
  /// for engine errors, 128 + N after signal N; -1 when it never started.
  int exit_code = -1;
  /// The kernel's OOM killer ended the container.
  bool oom_killed = false;
  /// The last lines of stderr (engine errors and the agent's own).
  std::string stderr_tail;
};

/// The node, pid and agent_id in a session's log lines.
struct session_ids {
  std::string node;
  pid_type pid = 0;
  std::string agent_id;
};

/// One container run by `engine run -i`, with its stdin and stdout piped
/// to corral. A thread of the engine's task group does all blocking work:
/// it starts the engine, writes queued lines to stdin, splits stdout into
/// lines for the hosting actor, logs stderr, and after the exit inspects
/// and removes the container. Events wait in the session until an actor
/// attaches, which lets a warm pool start containers ahead of spawns.
class container_session
  : public std::enable_shared_from_this<container_session> {
public:
  /// Prepares a session; `name` and `run_args` follow the engine's `run`.
  container_session(std::shared_ptr<engine_state> engine, std::string name,
                    std::vector<std::string> run_args, session_ids ids);

  /// Starts the I/O thread.
  void start();

  /// Sends every event so far, and all later ones, to `actor`.
  void attach(caf::actor actor, session_ids ids);

  /// Stops delivering events; the hosting actor calls it when it exits.
  void detach();

  /// Queues `line` (ending in a newline) for the agent's stdin. Returns
  /// false and drops the line when the lines not yet written to the pipe
  /// contain `max_stdin_bytes` or the agent closed its stdin.
  bool try_write(std::string line);

  /// Queues a control line (the shutdown) even when `try_write` would
  /// reject it, so that a full stdin cannot stop a stop.
  void write(std::string line);

  /// Tells the session that the hosting actor handled one line or
  /// over-long line event. The session reads stdout only while fewer than
  /// `max_lines_in_flight` are unhandled, so a flood of lines fills the
  /// agent's pipe instead of the actor's mailbox.
  void line_handled();

  /// Closes stdin once the queued lines are written.
  void close_input();

  /// Runs the engine's `stop` with `grace` in the background: SIGTERM,
  /// then SIGKILL after `grace`.
  void stop(std::chrono::seconds grace);

  /// Kills the container in the background, retrying while the engine is
  /// still creating it.
  void kill();

  /// True once the run has ended and the container was removed.
  bool finished() const;

  /// True once the engine's `run` has ended, before the container is
  /// inspected and removed.
  bool exited() const;

  /// True once the agent printed a line on stdout, which for a pooled
  /// container means its ready line.
  bool printed_line() const;

  /// Returns the container's name.
  const std::string& name() const {
    return name_;
  }

private:
  /// One output stream of the engine's client, read in chunks and split
  /// into lines.
  struct line_stream {
    int fd = -1;
    bool open = true;
    std::string buffer;
    /// Inside a line that passed the limit; its rest is skipped up to the
    /// next newline.
    bool discarding = false;
  };

  void run();
  void pump(child_process& child);
  bool take_stdout_lines(line_stream& out, std::size_t max_lines);
  void take_stderr_lines(line_stream& err);
  bool flush_stdin(int fd);
  void log_stderr(const std::string& line);
  void deliver(caf::message msg, bool counted);
  void wake();
  void finish(int exit_code, const std::string& start_error);

  std::shared_ptr<engine_state> engine_;
  std::string name_;
  std::vector<std::string> run_args_;

  mutable std::mutex mutex_;
  session_ids ids_;
  caf::actor actor_;
  bool attached_ = false;
  bool detached_ = false;
  std::vector<caf::message> buffered_;
  std::deque<std::string> input_;
  std::size_t input_bytes_ = 0;
  bool input_broken_ = false;
  bool close_input_ = false;
  bool kill_requested_ = false;
  bool finished_ = false;
  bool exited_ = false;
  bool printed_line_ = false;
  pid_t child_pid_ = -1;
  unique_fd wake_;
  std::atomic<std::size_t> lines_in_flight_{0};
  std::atomic<std::size_t> pending_input_bytes_{0};

  // Owned by the I/O thread.
  std::string pending_input_;
  std::deque<std::string> stderr_tail_;
  std::uint64_t stderr_lines_ = 0;
};

} // namespace corral::container

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(corral::container::container_end)
