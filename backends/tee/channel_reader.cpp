#include "backends/tee/channel_reader.hpp"

#include <cerrno>
#include <cstdint>
#include <system_error>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace corral::tee {

namespace {

using clock = std::chrono::steady_clock;

std::string rejection(const channel_opener& opener) {
  return "a sealed frame from the enclave host was rejected: "
         + opener.error();
}

} // namespace

channel_reader::channel_reader(int fd, std::unique_ptr<ring_consumer> ring,
                               std::unique_ptr<channel_opener> opener)
  : fd_(fd),
    wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
    ring_(std::move(ring)),
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
    bool wanted = reader_wanted_.load();
    // The host rings the doorbell only while this flag is set, so that a
    // reply the actor reads inline costs the host no system call.
    ring_->waiting_flag().store(wanted ? 1 : 0, std::memory_order_seq_cst);
    bool ready = hung_up_.load() || (wanted && ring_->maybe_has_bytes());
    if (!ready && !wait_for_host(wanted))
      continue;
    if (stopping_.load())
      continue;
    if (!read_reported(report))
      return;
  }
}

bool channel_reader::wait_for_host(bool wanted) {
  // Without POLLIN, doorbells do not wake this thread; the peer's hang-up
  // (POLLRDHUP, POLLHUP) always does.
  short events = POLLRDHUP;
  if (wanted)
    events |= POLLIN;
  pollfd entries[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
  int ready = ::poll(entries, 2, -1);
  if (ready < 0) {
    // Any other failure of poll on two valid descriptors ends the channel.
    if (errno != EINTR)
      hung_up_.store(true);
    return errno != EINTR;
  }

  if (entries[1].revents & POLLIN) {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof(count));
  }

  auto socket = entries[0].revents;
  if (socket & POLLIN) {
    // Doorbell bytes carry nothing; a bounded number of reads per wake.
    char bytes[256];
    for (int reads = 0; reads < 16; ++reads) {
      auto n = ::recv(fd_, bytes, sizeof(bytes), MSG_DONTWAIT);
      if (n == 0)
        hung_up_.store(true);
      if (n <= 0)
        break;
    }
  }
  if (socket & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
    hung_up_.store(true);
  return hung_up_.load() || (wanted && ring_->maybe_has_bytes());
}

// Reads and reports one frame unless the actor reads it. Returns false
// after the last report.
bool channel_reader::read_reported(const report_fn& report) {
  std::unique_lock<std::mutex> lock(mutex_);
  actor_done_.wait(lock, [this] { return !actor_reading_; });

  // After a hang-up this thread reads every frame left, so that they are
  // handled before the end is reported.
  bool hung_up = hung_up_.load();
  // The actor may have read the frame while this thread waited.
  if (!ring_->maybe_has_bytes()) {
    if (!hung_up)
      return true;
    report(channel_event::closed, {});
    return false;
  }
  if (!hung_up && !reader_wanted_.load())
    return true; // the actor is about to read it inline

  std::string sealed;
  auto wait = [this](const ring_ready& ready) {
    return wait_for_doorbell(fd_, ring_->waiting_flag(), ready, {},
                             std::nullopt);
  };
  auto status = read_ring_frame(*ring_, sealed, wait);
  if (status == ring_status::corrupt) {
    report(channel_event::corrupt,
           "the enclave host corrupted the shared ring: " + ring_->error());
    return false;
  }
  if (status != ring_status::ok) {
    report(channel_event::closed, {});
    return false;
  }
  auto plain = opener_->open(sealed);
  if (!plain) {
    report(channel_event::authentication, rejection(*opener_));
    return false;
  }
  unhandled_.fetch_add(1);
  report(channel_event::frame, std::move(*plain));
  return true;
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
  // A thread waiting for data would wake when the host rings, in the
  // middle of this wait. Waking it now lets it clear the doorbell flag and
  // wait for the hang-up only, while the host is still working.
  if (reader_wanted_.exchange(false))
    wake_reader();

  inline_result result;
  auto until = clock::now() + spin;
  for (;;) {
    std::string sealed;
    auto peek = take_whole_frame(*ring_, sealed);
    if (peek == frame_peek::whole) {
      if (auto plain = opener_->open(sealed)) {
        result.outcome = inline_result::kind::frame;
        result.plain = std::move(*plain);
        inline_frames_.fetch_add(1, std::memory_order_relaxed);
      } else {
        result.outcome = inline_result::kind::authentication;
        result.plain = rejection(*opener_);
      }
      break;
    }
    if (peek == frame_peek::corrupt) {
      result.outcome = inline_result::kind::corrupt;
      result.plain = "the enclave host corrupted the shared ring: "
                     + ring_->error();
      break;
    }
    // A frame larger than the ring streams, which the thread does. The
    // thread reports the end of the channel.
    if (peek == frame_peek::large || hung_up_.load())
      break;
    if (clock::now() >= until)
      break;
    relax_core();
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
