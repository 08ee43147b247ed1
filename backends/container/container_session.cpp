#include "backends/container/container_session.hpp"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <limits>
#include <thread>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <caf/actor_cast.hpp>
#include <caf/make_message.hpp>
#include <caf/message_id.hpp>

#include "actors/log.hpp"
#include "backends/container/protocol.hpp"
#include "serialization/utf8.hpp"

namespace corral::container {

namespace {

// stderr lines kept for an error message, and the bytes kept of each.
constexpr std::size_t tail_lines = 4;
constexpr std::size_t tail_line_bytes = 512;
// stderr lines logged one by one before only every 1000th is.
constexpr std::uint64_t logged_stderr_lines = 1000;
// Maximum length of a stderr line logged whole. A longer one is cut.
constexpr std::size_t max_stderr_line_bytes = 4096;
// Bytes of an over-long line kept for its log line.
constexpr std::size_t quoted_line_bytes = 200;
// Attempts of `kill`, 250 ms apart, while the engine still creates the
// container.
constexpr int kill_attempts = 40;

// A write to a closed pipe raises SIGPIPE in the writing thread. With the
// signal blocked in this thread the write fails with EPIPE instead, and
// the pending signal is taken off so that it never reaches the process.
void block_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void discard_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  timespec zero{0, 0};
  while (sigtimedwait(&set, nullptr, &zero) > 0) {
  }
}

bool would_block() {
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

// Reads one chunk of what `fd` has into `buffer`. Returns false at end of
// file or on an error other than EAGAIN. One chunk per poll round keeps a
// stream that never runs dry from starving the others.
bool read_chunk(int fd, std::string& buffer) {
  char chunk[65536];
  for (;;) {
    auto n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && would_block();
  }
}

// Splits at most `max_lines` complete lines off the front of `buffer` and
// passes each to `take(text, too_long, length)`. For a line over `limit`
// bytes, `too_long` is set and `text` holds only its first bytes. A
// partial line that already passes the limit is passed at once, and the
// rest of it is skipped up to the next newline. Returns the number passed.
template <class Take>
std::size_t split_lines(std::string& buffer, bool& discarding,
                        std::size_t limit, std::size_t max_lines, Take take) {
  std::size_t start = 0;
  std::size_t count = 0;
  for (;;) {
    auto end = buffer.find('\n', start);
    if (end == std::string::npos)
      break;
    auto length = end - start;
    if (discarding) {
      // The end of a line already reported; it does not count.
      discarding = false;
    } else if (count == max_lines) {
      break;
    } else if (length > limit) {
      take(buffer.substr(start, quoted_line_bytes), true, length);
      ++count;
    } else {
      auto line = buffer.substr(start, length);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      take(std::move(line), false, length);
      ++count;
    }
    start = end + 1;
  }
  buffer.erase(0, start);
  bool complete_line_left = buffer.find('\n') != std::string::npos;
  if (!discarding && !complete_line_left && buffer.size() > limit
      && count < max_lines) {
    take(buffer.substr(0, quoted_line_bytes), true, buffer.size());
    ++count;
    discarding = true;
  }
  if (discarding)
    buffer.clear();
  return count;
}

// Ends a last line that has no newline, once its stream is closed.
void end_last_line(std::string& buffer, bool discarding) {
  if (!discarding && !buffer.empty() && buffer.back() != '\n')
    buffer += '\n';
}

} // namespace

container_session::container_session(std::shared_ptr<engine_state> engine,
                                     std::string name,
                                     std::vector<std::string> run_args,
                                     session_ids ids)
  : engine_(std::move(engine)),
    name_(std::move(name)),
    run_args_(std::move(run_args)),
    ids_(std::move(ids)),
    wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
}

void container_session::start() {
  engine_->tasks().run([self = shared_from_this()] { self->run(); });
}

void container_session::attach(caf::actor actor, session_ids ids) {
  std::lock_guard<std::mutex> guard{mutex_};
  ids_ = std::move(ids);
  actor_ = std::move(actor);
  attached_ = true;
  for (auto& msg : buffered_)
    caf::actor_cast<caf::abstract_actor*>(actor_)->enqueue(
      nullptr, caf::make_message_id(), std::move(msg), nullptr);
  buffered_.clear();
}

void container_session::detach() {
  std::lock_guard<std::mutex> guard{mutex_};
  detached_ = true;
  actor_ = nullptr;
  buffered_.clear();
  // No actor handles lines any more, so reading stdout must not wait for one.
  lines_in_flight_ = 0;
  wake();
}

bool container_session::try_write(std::string line) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (close_input_ || input_broken_
      || input_bytes_ + pending_input_bytes_
           >= engine_->settings().max_stdin_bytes)
    return false;
  input_bytes_ += line.size();
  input_.push_back(std::move(line));
  wake();
  return true;
}

void container_session::write(std::string line) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (close_input_ || input_broken_)
    return;
  input_bytes_ += line.size();
  input_.push_back(std::move(line));
  wake();
}

void container_session::line_handled() {
  // Only the step down from the maximum needs to wake the I/O thread,
  // because it stops reading stdout only there.
  auto count = lines_in_flight_.load();
  while (count > 0
         && !lines_in_flight_.compare_exchange_weak(count, count - 1)) {
  }
  if (count == engine_->settings().max_lines_in_flight)
    wake();
}

void container_session::close_input() {
  std::lock_guard<std::mutex> guard{mutex_};
  close_input_ = true;
  wake();
}

void container_session::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

void container_session::stop(std::chrono::seconds grace) {
  engine_->tasks().run([self = shared_from_this(), grace] {
    std::string error;
    auto facts = self->engine_->facts(error);
    if (facts == nullptr || self->exited())
      return;
    run_command(engine_command(*facts, {"stop", "-t",
                                        std::to_string(grace.count()),
                                        self->name_}),
                grace + self->engine_->settings().command_timeout);
  });
}

void container_session::kill() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (kill_requested_ || exited_)
      return;
    kill_requested_ = true;
  }
  close_input();
  engine_->tasks().run([self = shared_from_this()] {
    std::string error;
    auto facts = self->engine_->facts(error);
    for (int attempt = 0; facts != nullptr && attempt < kill_attempts;
         ++attempt) {
      if (self->exited())
        return;
      auto result = run_command(engine_command(*facts, {"kill", self->name_}),
                                self->engine_->settings().command_timeout);
      if (result.exit_code == 0)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds{250});
    }
    // The engine never created the container, or hangs. Ending its client
    // ends the session too.
    std::lock_guard<std::mutex> guard{self->mutex_};
    if (!self->exited_ && self->child_pid_ > 0)
      ::kill(self->child_pid_, SIGKILL);
  });
}

bool container_session::finished() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return finished_;
}

bool container_session::exited() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return exited_;
}

bool container_session::printed_line() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return printed_line_;
}

void container_session::run() {
  block_sigpipe();
  std::string error;
  auto facts = engine_->facts(error);
  if (facts == nullptr) {
    finish(-1, error);
    return;
  }

  std::vector<std::string> args{"run"};
  args.insert(args.end(), facts->run_flags.begin(), facts->run_flags.end());
  args.insert(args.end(), run_args_.begin(), run_args_.end());
  auto argv = engine_command(*facts, std::move(args));
  auto child = start_child(argv, error);
  if (!child) {
    finish(-1, error);
    return;
  }
  {
    std::lock_guard<std::mutex> guard{mutex_};
    child_pid_ = child->pid;
  }
  pump(*child);
  int code = wait_child(child->pid);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    child_pid_ = -1;
    exited_ = true;
  }
  finish(code, {});
}

// Moves bytes until the engine closes stdout and stderr, which it does
// when the container has exited.
void container_session::pump(child_process& child) {
  const auto max_in_flight = engine_->settings().max_lines_in_flight;
  line_stream out;
  out.fd = child.out.get();
  line_stream err;
  err.fd = child.err.get();
  while (out.open || err.open) {
    bool want_input = false;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      while (!input_.empty()) {
        pending_input_ += input_.front();
        input_.pop_front();
      }
      input_bytes_ = 0;
      pending_input_bytes_ = pending_input_.size();
      if (child.in && pending_input_.empty() && close_input_)
        child.in.reset();
      want_input = child.in && !pending_input_.empty();
    }
    // Lines go until the actor has the maximum in flight. Lines dropped
    // after a detach do not count, so the loop then takes all of them.
    bool backlog = false;
    for (;;) {
      auto in_flight = lines_in_flight_.load();
      if (in_flight >= max_in_flight)
        break;
      backlog = take_stdout_lines(out, max_in_flight - in_flight);
      if (!backlog)
        break;
    }

    pollfd fds[4] = {
      {out.open && !backlog ? out.fd : -1, POLLIN, 0},
      {err.open ? err.fd : -1, POLLIN, 0},
      {wake_.get(), POLLIN, 0},
      {want_input ? child.in.get() : -1, POLLOUT, 0},
    };
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (fds[2].revents != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto n = ::read(wake_.get(), &count, sizeof count);
    }
    if (fds[0].revents != 0)
      out.open = read_chunk(out.fd, out.buffer);
    if (fds[1].revents != 0) {
      err.open = read_chunk(err.fd, err.buffer);
      if (!err.open)
        end_last_line(err.buffer, err.discarding);
      take_stderr_lines(err);
    }
    if (fds[3].revents != 0 && !flush_stdin(child.in.get())) {
      // The agent closed its stdin: later lines could never be written.
      child.in.reset();
      pending_input_.clear();
      std::lock_guard<std::mutex> guard{mutex_};
      input_broken_ = true;
      input_.clear();
      input_bytes_ = 0;
    }
    pending_input_bytes_ = pending_input_.size();
  }
  // The lines held back for the actor are bounded by the buffer, so they
  // all go now, with a last line that has no newline.
  end_last_line(out.buffer, out.discarding);
  take_stdout_lines(out, std::numeric_limits<std::size_t>::max());
}

// Passes at most `max_lines` stdout lines to the actor; returns true when
// lines are left for later, complete ones or one already over the limit.
bool container_session::take_stdout_lines(line_stream& out,
                                          std::size_t max_lines) {
  split_lines(out.buffer, out.discarding, engine_->settings().max_line_bytes,
              max_lines,
              [this](std::string text, bool too_long, std::size_t length) {
                if (too_long) {
                  deliver(caf::make_message(
                            long_atom::value,
                            static_cast<std::uint64_t>(length)),
                          true);
                  return;
                }
                {
                  std::lock_guard<std::mutex> guard{mutex_};
                  printed_line_ = true;
                }
                deliver(caf::make_message(line_atom::value, std::move(text)),
                        true);
              });
  return out.buffer.find('\n') != std::string::npos
         || out.buffer.size() > engine_->settings().max_line_bytes;
}

void container_session::take_stderr_lines(line_stream& err) {
  split_lines(err.buffer, err.discarding, max_stderr_line_bytes,
              std::numeric_limits<std::size_t>::max(),
              [this](const std::string& text, bool too_long,
                     std::size_t length) {
                if (too_long)
                  log_stderr(text + "... (cut from a line of "
                             + std::to_string(length) + " bytes or more)");
                else
                  log_stderr(text);
              });
}

void container_session::log_stderr(const std::string& raw) {
  auto line = printable(raw);
  stderr_tail_.push_back(line.substr(0, tail_line_bytes));
  if (stderr_tail_.size() > tail_lines)
    stderr_tail_.pop_front();
  ++stderr_lines_;
  if (stderr_lines_ > logged_stderr_lines && stderr_lines_ % 1000 != 0)
    return;
  session_ids ids;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    ids = ids_;
  }
  auto text = "container " + name_ + " stderr: " + line;
  if (stderr_lines_ > logged_stderr_lines)
    text += " (line " + std::to_string(stderr_lines_)
            + "; only every 1000th is logged)";
  log(spdlog::level::info, {ids.node, ids.pid, ids.agent_id}, text);
}

bool container_session::flush_stdin(int fd) {
  while (!pending_input_.empty()) {
    auto n = ::write(fd, pending_input_.data(), pending_input_.size());
    if (n > 0) {
      pending_input_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && would_block())
      return true;
    discard_sigpipe();
    return false;
  }
  return true;
}

// A counted message is a line event that the actor confirms with
// `line_handled`.
void container_session::deliver(caf::message msg, bool counted) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (detached_)
    return;
  if (counted)
    ++lines_in_flight_;
  if (!attached_) {
    buffered_.push_back(std::move(msg));
    return;
  }
  caf::actor_cast<caf::abstract_actor*>(actor_)->enqueue(
    nullptr, caf::make_message_id(), std::move(msg), nullptr);
}

// Reports the end to the actor first, so that the agent's exit is not
// delayed by the removal, then removes the container.
void container_session::finish(int exit_code, const std::string& start_error) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    exited_ = true;
  }
  container_end end;
  end.exit_code = exit_code;
  for (const auto& line : stderr_tail_)
    end.stderr_tail += (end.stderr_tail.empty() ? "" : "; ") + line;
  if (!start_error.empty())
    end.stderr_tail = start_error;

  std::string error;
  auto facts = engine_->facts(error);
  if (facts != nullptr && exit_code != 0 && exit_code != -1) {
    auto inspected = run_command(
      engine_command(*facts, {"inspect", "--format", "{{.State.OOMKilled}}",
                              name_}),
      engine_->settings().command_timeout);
    end.oom_killed = inspected.exit_code == 0
                     && inspected.out.rfind("true", 0) == 0;
  }
  deliver(caf::make_message(ended_atom::value, std::move(end)), false);

  if (facts != nullptr && exit_code != -1)
    run_command(engine_command(*facts, {"rm", "-f", name_}),
                engine_->settings().command_timeout);
  std::lock_guard<std::mutex> guard{mutex_};
  finished_ = true;
  actor_ = nullptr;
}

} // namespace corral::container
