#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace corral::testing {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::vector<char*> make_argv(const std::vector<std::string>& argv) {
  std::vector<char*> result;
  for (const auto& arg : argv)
    result.push_back(const_cast<char*>(arg.c_str()));
  result.push_back(nullptr);
  return result;
}

int decode_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/// Polls until `deadline` for the process to exit; true when reaped.
bool wait_until(pid_t pid, steady_clock::time_point deadline, int& status) {
  for (;;) {
    auto done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid)
      return true;
    if (done < 0 && errno != EINTR)
      throw std::runtime_error("waitpid failed");
    if (steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(milliseconds{10});
  }
}

/// Forks and execs `argv` with `signal` blocked and pending. A pending
/// signal survives execve, while posix_spawn offers no way to raise one.
/// The child calls only async-signal-safe functions before execve.
pid_t start_with_pending_signal(const std::vector<std::string>& argv,
                                const std::string& out_path,
                                const std::string& err_path, int signal) {
  auto args = make_argv(argv);
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid > 0)
    return pid;

  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, signal);
  ::sigprocmask(SIG_BLOCK, &blocked, nullptr);
  ::raise(signal);
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0
      || ::dup2(err, 2) < 0)
    ::_exit(126);
  ::execve(args[0], args.data(), environ);
  ::_exit(127);
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

} // namespace

command_result run_command(const std::vector<std::string>& argv,
                           milliseconds timeout, const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0
      || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  auto args = make_argv(argv);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(),
                         environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0)
    throw std::runtime_error("cannot start " + argv[0]);

  int stdin_fd = in_pipe[1];
  int stdout_fd = out_pipe[0];
  int stderr_fd = err_pipe[0];
  ::fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
  std::size_t written = 0;
  if (input.empty())
    close_fd(stdin_fd);

  command_result result;
  auto deadline = steady_clock::now() + timeout;
  while (stdout_fd >= 0 || stderr_fd >= 0) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline
                                                         - steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3] = {{stdout_fd, POLLIN, 0},
                     {stderr_fd, POLLIN, 0},
                     {stdin_fd, POLLOUT, 0}};
    if (::poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR)
      break;

    char buffer[4096];
    std::string* sinks[2] = {&result.out, &result.err};
    int* sources[2] = {&stdout_fd, &stderr_fd};
    for (int i = 0; i < 2; ++i) {
      if (*sources[i] < 0 || fds[i].revents == 0)
        continue;
      auto n = ::read(*sources[i], buffer, sizeof(buffer));
      if (n > 0)
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      else if (n == 0 || errno != EINTR)
        close_fd(*sources[i]);
    }
    if (stdin_fd >= 0 && fds[2].revents != 0) {
      auto n = ::write(stdin_fd, input.data() + written, input.size() - written);
      if (n > 0)
        written += static_cast<std::size_t>(n);
      if (n < 0 || written == input.size())
        close_fd(stdin_fd);
    }
  }
  close_fd(stdin_fd);
  close_fd(stdout_fd);
  close_fd(stderr_fd);

  int status = 0;
  if (!wait_until(pid, steady_clock::now() + milliseconds{5000}, status)) {
    ::kill(pid, SIGKILL);
    result.timed_out = true;
    ::waitpid(pid, &status, 0);
  }
  result.exit_code = decode_status(status);
  return result;
}

background_process::background_process(const std::vector<std::string>& argv,
                                       const std::string& output_prefix,
                                       int pending_signal)
  : out_path_(output_prefix + ".out"), err_path_(output_prefix + ".err") {
  if (pending_signal != 0) {
    pid_ = start_with_pending_signal(argv, out_path_, err_path_,
                                     pending_signal);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto args = make_argv(argv);
  int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(),
                         environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("cannot start " + argv[0]);
}

background_process::~background_process() {
  if (running())
    terminate(milliseconds{5000});
}

int background_process::wait_for_exit(milliseconds timeout) {
  if (!reaped_)
    reaped_ = wait_until(pid_, steady_clock::now() + timeout, status_);
  return reaped_ ? decode_status(status_) : -1;
}

int background_process::terminate(milliseconds timeout) {
  if (reaped_)
    return decode_status(status_);
  ::kill(pid_, SIGTERM);
  if (wait_for_exit(timeout) >= 0 || reaped_)
    return decode_status(status_);
  ::kill(pid_, SIGKILL);
  reaped_ = wait_until(pid_, steady_clock::now() + milliseconds{5000}, status_);
  return -1;
}

bool background_process::running() {
  if (!reaped_)
    reaped_ = ::waitpid(pid_, &status_, WNOHANG) == pid_;
  return !reaped_;
}

std::string background_process::out() const {
  return read_file(out_path_);
}

std::string background_process::err() const {
  return read_file(err_path_);
}

temp_directory::temp_directory() {
  char pattern[] = "/tmp/corral-it-XXXXXX";
  if (::mkdtemp(pattern) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_directory::~temp_directory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

} // namespace corral::testing
