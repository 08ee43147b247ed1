#include "backends/tee/enclave_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace corral::tee {

namespace {

// Closes a descriptor when the start fails half-way.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

// posix_spawn's file actions: /dev/null on 0 and 1, the stderr pipe on 2,
// the host's end of the channel on 3, the rings' shared memory on 4, and
// every other descriptor closed, whatever the node has open.
bool prepare_actions(posix_spawn_file_actions_t& actions, int host_end,
                     int error_end, int ring_fd, std::string& error) {
  int rc = posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 1 && rc == 0; ++fd)
    rc = posix_spawn_file_actions_addopen(&actions, fd, "/dev/null",
                                          fd == 0 ? O_RDONLY : O_WRONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&actions, error_end, 2);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&actions, host_end,
                                          host_channel_fd);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&actions, ring_fd, host_ring_fd);
  if (rc == 0)
    rc = posix_spawn_file_actions_addclosefrom_np(&actions,
                                                  host_ring_fd + 1);
  if (rc != 0)
    error = std::string("cannot prepare the enclave host's descriptors: ")
            + std::strerror(rc);
  return rc == 0;
}

// Every signal back to its default action and none blocked, whatever the
// spawning thread of the node has set.
bool prepare_attributes(posix_spawnattr_t& attributes, std::string& error) {
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  int rc = posix_spawnattr_init(&attributes);
  if (rc == 0)
    rc = posix_spawnattr_setsigmask(&attributes, &none);
  if (rc == 0)
    rc = posix_spawnattr_setsigdefault(&attributes, &all);
  if (rc == 0)
    rc = posix_spawnattr_setflags(&attributes,
                                  POSIX_SPAWN_SETSIGMASK
                                    | POSIX_SPAWN_SETSIGDEF);
  if (rc != 0)
    error = std::string("cannot prepare the enclave host's signals: ")
            + std::strerror(rc);
  return rc == 0;
}

// Describes a wait status: "exit code 3", "killed by signal 9 (SIGKILL)".
std::string describe_wait_status(int status) {
  if (WIFEXITED(status))
    return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int signal = WTERMSIG(status);
    const char* name = sigabbrev_np(signal);
    std::string text = "killed by signal " + std::to_string(signal);
    if (name != nullptr)
      text += std::string(" (SIG") + name + ")";
    if (signal == SIGSYS)
      text += ", a system call its seccomp filter does not allow";
    return text;
  }
  return "wait status " + std::to_string(status);
}

} // namespace

std::unique_ptr<enclave_process>
enclave_process::start(const std::string& executable,
                       const std::vector<std::string>& args,
                       std::string& error) {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    error = std::string("cannot create the enclave channel: ")
            + std::strerror(errno);
    return nullptr;
  }
  fd_guard proxy_end{ends[0]};
  fd_guard host_end{ends[1]};
  // Both ends non-blocking: a host that writes more than the pipe holds
  // loses the rest instead of blocking, and the proxy reads it only after
  // the exit.
  int error_ends[2];
  if (::pipe2(error_ends, O_CLOEXEC | O_NONBLOCK) != 0) {
    error = std::string("cannot create the enclave host's stderr pipe: ")
            + std::strerror(errno);
    return nullptr;
  }
  fd_guard error_read{error_ends[0]};
  fd_guard error_write{error_ends[1]};
  auto ring = shared_ring_memory::create(error);
  if (!ring)
    return nullptr;
  // Above the host's descriptors, so that moving the channel's socket to
  // 3 cannot overwrite it before it moves to 4.
  fd_guard ring_copy{::fcntl(ring->fd(), F_DUPFD_CLOEXEC, host_ring_fd + 1)};
  if (ring_copy.fd < 0) {
    error = std::string("cannot pass the enclave channel's shared memory: ")
            + std::strerror(errno);
    return nullptr;
  }
  ring->close_fd();

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  bool prepared = prepare_actions(actions, host_end.fd, error_write.fd,
                                  ring_copy.fd, error);
  prepared = prepare_attributes(attributes, error) && prepared;
  if (!prepared) {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return nullptr;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(executable.c_str()));
  for (const auto& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  // The host needs no environment: everything it gets comes over the
  // channel, where the proxy can account for it.
  char* no_environment[] = {nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, executable.c_str(), &actions, &attributes,
                       argv.data(), no_environment);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    error = "cannot start the enclave host " + executable + ": "
            + std::strerror(rc);
    return nullptr;
  }
  std::unique_ptr<enclave_process> process(
    new enclave_process(pid, proxy_end.fd, error_read.fd, std::move(ring)));
  proxy_end.fd = -1;
  error_read.fd = -1;
  return process;
}

enclave_process::~enclave_process() {
  kill();
  wait();
  ::close(channel_);
  if (error_output_ >= 0)
    ::close(error_output_);
}

std::string enclave_process::describe_exit() {
  auto text = describe_wait_status(wait());
  std::string output;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (error_output_ < 0)
      return text;
    // At most one pipe's worth (64 KiB by default) is there, because the
    // host's writes beyond it failed; the loop ends at EOF or EAGAIN.
    char buffer[4096];
    for (int reads = 0; reads < 64; ++reads) {
      auto n = ::read(error_output_, buffer, sizeof(buffer));
      if (n <= 0)
        break;
      output.append(buffer, static_cast<std::size_t>(n));
      if (output.size() > 2 * stderr_quote_bytes)
        output.erase(0, output.size() - stderr_quote_bytes);
    }
    ::close(error_output_);
    error_output_ = -1;
  }
  while (!output.empty() && (output.back() == '\n' || output.back() == ' '))
    output.pop_back();
  if (output.empty())
    return text;
  if (output.size() > stderr_quote_bytes)
    output = "..." + output.substr(output.size() - stderr_quote_bytes);
  return text + "; stderr: " + output;
}

void enclave_process::kill() {
  std::lock_guard<std::mutex> guard(mutex_);
  if (!status_)
    ::kill(pid_, SIGKILL);
}

void enclave_process::shutdown_channel() {
  ::shutdown(channel_, SHUT_RDWR);
}

int enclave_process::wait() {
  // Wait without reaping, so that `kill` can still signal this pid safely;
  // reap under the lock.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT)
           != 0
         && errno == EINTR) {
  }
  std::lock_guard<std::mutex> guard(mutex_);
  if (!status_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
  }
  return *status_;
}

} // namespace corral::tee
