#include "backends/tee/host/isolation.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>

namespace corral::tee {

namespace {

std::string failed(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

#ifdef CORRAL_SANITIZED_HOST
// NOTE: a sanitizer build (-DCORRAL_SANITIZE=ON) of the host is isolated
// less, so that the ASan and UBSan runtimes work inside it. They test
// whether memory is readable by writing it into a pipe. UBSan's vptr check
// does so on every cereal archive, and it needs the pipe2 call and two
// descriptors beyond the four open ones. Without them each check fails and
// reports a false "invalid vptr". ASan checks the signal stack
// (sigaltstack) before every call that does not return, such as abort().
// ASan also reserves terabytes of shadow memory at start, so the address
// space is not limited.
constexpr rlim_t max_descriptors = 4 + 2;
constexpr bool limit_address_space = false;
#else
// 0-2 (/dev/null and the stderr pipe) and the channel on 3: no new ones.
// The rings' descriptor 4 is closed once they are mapped.
constexpr rlim_t max_descriptors = 4;
constexpr bool limit_address_space = true;
#endif

bool set_limit(int resource, rlim_t value) {
  rlimit limit{value, value};
  return ::setrlimit(resource, &limit) == 0;
}

// Everything the host does after start-up: the channel (recvfrom and
// sendto back recv and send, poll waits), memory for the interpreter and
// the guest's linear memory, clocks and randomness for WASI, and the ways
// to end, including abort(). The channel's shared-memory rings add
// nothing: they are mapped before the filter, their doorbell is the
// socket, and they wait with poll, not futex.
constexpr int allowed_calls[] = {
  SCMP_SYS(read),          SCMP_SYS(write),        SCMP_SYS(recvfrom),
  SCMP_SYS(sendto),        SCMP_SYS(poll),         SCMP_SYS(close),
  SCMP_SYS(brk),           SCMP_SYS(mmap),         SCMP_SYS(munmap),
  SCMP_SYS(mremap),        SCMP_SYS(mprotect),     SCMP_SYS(madvise),
  SCMP_SYS(futex),         SCMP_SYS(sched_yield),  SCMP_SYS(clock_gettime),
  SCMP_SYS(getrandom),     SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
  SCMP_SYS(getpid),        SCMP_SYS(gettid),       SCMP_SYS(tgkill),
  SCMP_SYS(exit),          SCMP_SYS(exit_group),
#ifdef CORRAL_SANITIZED_HOST
  SCMP_SYS(pipe2),         SCMP_SYS(sigaltstack),
#endif
};

} // namespace

std::optional<std::string> end_with_node() {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    return failed("cannot set the parent death signal", errno);
  return std::nullopt;
}

std::optional<std::string> enter_network_namespace() {
  if (::unshare(CLONE_NEWNET) == 0)
    return std::nullopt;
  int first = errno;
  // Without CAP_SYS_ADMIN a user namespace grants it inside.
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
    return std::nullopt;
  return failed("cannot enter a new network namespace (unshare)", first);
}

std::optional<std::string> apply_resource_limits(std::uint64_t memory_bytes) {
  if (limit_address_space) {
    auto address_space = memory_bytes + host_address_space_allowance;
    if (!set_limit(RLIMIT_AS, address_space))
      return failed("cannot limit the address space (RLIMIT_AS)", errno);
  }
  if (!set_limit(RLIMIT_CORE, 0) || !set_limit(RLIMIT_FSIZE, 0)
      || !set_limit(RLIMIT_NOFILE, max_descriptors)
      || !set_limit(RLIMIT_MEMLOCK, 0))
    return failed("cannot set the resource limits", errno);
  return std::nullopt;
}

std::optional<std::string> install_seccomp_filter() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return failed("cannot set no_new_privs", errno);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_KILL_PROCESS);
  if (filter == nullptr)
    return std::string("cannot create the seccomp filter");
  int rc = 0;
  for (int call : allowed_calls)
    if (rc == 0)
      rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, call, 0);
  if (rc == 0)
    rc = seccomp_load(filter);
  seccomp_release(filter);
  if (rc != 0)
    return failed("cannot install the seccomp filter", -rc);
  return std::nullopt;
}

} // namespace corral::tee
