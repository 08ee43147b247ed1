#include "backends/tee/channel_reader.hpp"

#include <cerrno>
#include <cstdint>
#include <system_error>

#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/tee/frame_io.hpp"

namespace corral::tee {

namespace {

using clock = std::chrono::steady_clock;

constexpr const char* authentication_failure
  = "a sealed frame from the enclave host failed authentication (tampered, "
    "replayed or reordered)";

} // namespace

channel_reader::channel_reader(int fd, std::unique_ptr<channel_opener> opener)
  : fd_(fd),
    wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
    opener_(std::move(opener)) {
  if (wake_fd_ < 0)
    throw std::system_error(errno, std::generic_category(),
                            "cannot create the eventfd that wakes the "
                            "enclave channel's reader thread");
}

channel_reader::~channel_reader() {
  stop();
  ::close(wake_fd_);
}

void channel_reader::start(report_fn report) {
  thread_ = std::thread([this, report = std::move(report)] { run(report); });
}

void channel_reader::stop() {
  stopping_.store(true);
  wake_reader();
  if (thread_.joinable())
    thread_.join();
}

void channel_reader::wake_reader() {
  std::uint64_t increment = 1;
  // A full counter (2^64 - 2 wake-ups not yet read) still wakes the thread.
  [[maybe_unused]] auto n = ::write(wake_fd_, &increment, sizeof(increment));
}

void channel_reader::hand_off() {
  if (!reader_wanted_.exchange(true))
    wake_reader();
}

void channel_reader::frame_handled() {
  // Without the lock: the thread holds it while it reads a frame, which
  // takes as long as the host needs to write it.
  auto count = unhandled_.load();
  while (count > 0 && !unhandled_.compare_exchange_weak(count, count - 1)) {
  }
}

void channel_reader::run(report_fn report) {
  while (!stopping_.load()) {
    // Without POLLIN, data arriving while the actor reads inline does not
    // wake this thread; the peer's hang-up (POLLRDHUP, POLLHUP) always does.
    short events = POLLRDHUP;
    if (reader_wanted_.load())
      events |= POLLIN;
    pollfd entries[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
    int ready = ::poll(entries, 2, -1);
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      report(channel_event::closed, {});
      return;
    }
    if (entries[1].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof(count));
    }
    if (entries[0].revents == 0 || stopping_.load())
      continue;
    if (!read_reported(report))
      return;
  }
}

// Reads and reports one frame unless the actor reads it. Returns false
// after the last report.
bool channel_reader::read_reported(const report_fn& report) {
  std::unique_lock<std::mutex> lock(mutex_);
  actor_done_.wait(lock, [this] { return !actor_reading_; });

  // The actor may have read the frame while this thread waited.
  char byte = 0;
  auto n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return true;
  // After a hang-up this thread reads every frame left, so that they are
  // handled before the end is reported.
  bool hung_up = n == 0;
  if (n > 0 && !reader_wanted_.load()) {
    pollfd entry{fd_, POLLRDHUP, 0};
    hung_up = ::poll(&entry, 1, 0) > 0;
    if (!hung_up)
      return true; // the actor is about to read it inline
  }

  std::string sealed;
  if (read_frame(fd_, sealed) != read_status::ok) {
    report(channel_event::closed, {});
    return false;
  }
  auto plain = opener_->open(sealed);
  if (!plain) {
    report(channel_event::authentication, authentication_failure);
    return false;
  }
  unhandled_.fetch_add(1);
  report(channel_event::frame, std::move(*plain));
  return true;
}

channel_reader::peek_result channel_reader::peek_whole_frame() {
  unsigned char prefix[4];
  auto n = ::recv(fd_, prefix, sizeof(prefix), MSG_PEEK | MSG_DONTWAIT);
  if (n == 0)
    return peek_result::closed;
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
             ? peek_result::empty
             : peek_result::closed;
  if (n < 4)
    return peek_result::partial;
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i)
    size |= static_cast<std::uint32_t>(prefix[i]) << (8 * i);
  // An oversized frame is the thread's to report.
  if (size > max_frame_bytes)
    return peek_result::closed;
  int queued = 0;
  if (::ioctl(fd_, FIONREAD, &queued) != 0)
    return peek_result::closed;
  return static_cast<std::size_t>(queued) >= 4 + std::size_t{size}
           ? peek_result::whole
           : peek_result::partial;
}

channel_reader::inline_result
channel_reader::await_frame(std::chrono::microseconds spin) {
  {
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    // A thread holding the lock is reading a frame, and reported frames
    // must be handled first, so the next one is the thread's too.
    if (!lock.owns_lock() || unhandled_.load() > 0) {
      lock = {};
      hand_off();
      return {};
    }
    actor_reading_ = true;
  }
  // A thread waiting for data would wake when the frame arrives, in the
  // middle of this wait. Waking it now lets it wait for the hang-up only,
  // while the host is still working.
  if (reader_wanted_.exchange(false))
    wake_reader();

  inline_result result;
  auto until = clock::now() + spin;
  for (;;) {
    auto peek = peek_whole_frame();
    if (peek == peek_result::whole) {
      // All of the frame has arrived, so this read does not block.
      std::string sealed;
      if (read_frame(fd_, sealed) == read_status::ok) {
        if (auto plain = opener_->open(sealed)) {
          result.outcome = inline_result::kind::frame;
          result.plain = std::move(*plain);
          inline_frames_.fetch_add(1, std::memory_order_relaxed);
        } else {
          result.outcome = inline_result::kind::authentication;
          result.plain = authentication_failure;
        }
      }
      break;
    }
    // The thread reports the end of the channel.
    if (peek == peek_result::closed || clock::now() >= until)
      break;
    ::sched_yield();
  }

  {
    std::lock_guard<std::mutex> lock(mutex_);
    actor_reading_ = false;
  }
  actor_done_.notify_one();
  if (result.outcome == inline_result::kind::none)
    hand_off();
  return result;
}

} // namespace corral::tee
