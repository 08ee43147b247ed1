#include "backends/container/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace corral::container {

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

unique_fd::~unique_fd() {
  reset();
}

void unique_fd::reset() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

namespace {

struct pipe_pair {
  unique_fd read;
  unique_fd write;
};

bool make_pipe(pipe_pair& pair, std::string& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error = std::string{"pipe2 failed: "} + std::strerror(errno);
    return false;
  }
  pair.read = unique_fd{fds[0]};
  pair.write = unique_fd{fds[1]};
  return true;
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Reads what is available from `fd` into `sink` up to `max_output` bytes;
// returns false at end of file or on an error other than EAGAIN.
bool drain(int fd, std::string& sink, std::size_t max_output) {
  char buffer[4096];
  for (;;) {
    auto n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      auto room = max_output - std::min(max_output, sink.size());
      sink.append(buffer, std::min<std::size_t>(room, n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

} // namespace

std::optional<child_process> start_child(const std::vector<std::string>& argv,
                                         std::string& error) {
  if (argv.empty()) {
    error = "no command to start";
    return std::nullopt;
  }
  pipe_pair in, out, err;
  if (!make_pipe(in, error) || !make_pipe(out, error)
      || !make_pipe(err, error))
    return std::nullopt;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);

  // The child starts with default signal handling and an empty mask, even
  // when the calling thread blocks SIGPIPE.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, &attributes,
                       args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    error = "could not start " + argv[0] + ": " + std::strerror(rc);
    return std::nullopt;
  }

  child_process child;
  child.pid = pid;
  child.in = std::move(in.write);
  child.out = std::move(out.read);
  child.err = std::move(err.read);
  set_nonblocking(child.in.get());
  set_nonblocking(child.out.get());
  set_nonblocking(child.err.get());
  return child;
}

int wait_child(pid_t pid) {
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, 0) >= 0)
      break;
    if (errno != EINTR)
      return -1;
  }
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout,
                           std::size_t max_output) {
  command_result result;
  auto child = start_child(argv, result.err);
  if (!child)
    return result;
  child->in.reset();

  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(child->pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? child->out.get() : -1, POLLIN, 0},
                     {err_open ? child->err.get() : -1, POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR)
      break;
    if (out_open && fds[0].revents != 0)
      out_open = drain(child->out.get(), result.out, max_output);
    if (err_open && fds[1].revents != 0)
      err_open = drain(child->err.get(), result.err, max_output);
  }
  int code = wait_child(child->pid);
  result.exit_code = result.timed_out ? -1 : code;
  return result;
}

std::optional<std::string> find_executable(const std::string& name) {
  auto usable = [](const std::string& path) {
    struct stat info;
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)
           && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.empty())
    return std::nullopt;
  if (name.find('/') != std::string::npos)
    return usable(name) ? std::optional<std::string>{name} : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    auto dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      auto candidate = dir + "/" + name;
      if (usable(candidate))
        return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty())
      out += ' ';
    out += arg;
  }
  return out;
}

} // namespace corral::container
