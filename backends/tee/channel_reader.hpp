#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "backends/tee/secure_channel.hpp"
#include "backends/tee/shared_ring.hpp"

namespace corral::tee {

/// Events that the reader thread of a channel reports.
enum class channel_event {
  frame,          ///< an opened frame; the text is its plaintext
  authentication, ///< a frame was rejected (not the next one, or failed
                  ///< authentication); the text describes it
  corrupt,        ///< the host wrote an invalid index or length into the ring
  closed,         ///< the channel ended
};

/// Time the proxy actor waits inline for the enclave host's next frame
/// after it sent a frame that the host replies to. A whole round trip to
/// the echo workload took 13.7 us at load average 3 to 4 (corral-bench,
/// two cores), so the reply of a short handler is read without a hand-off
/// to another thread. Longer handlers cost this time once per message, and
/// their reply comes through the reader thread.
inline constexpr std::chrono::microseconds inline_reply_spin{50};

/// The proxy's receiving end of the sealed channel, shared by the proxy
/// actor and a reader thread so that exactly one of them reads each frame,
/// and reads it whole. The frames come through the host's ring; the socket
/// carries the host's doorbell and its hang-up. The actor reads inline
/// (`await_frame`) for a short, bounded time after it sent a frame. The
/// reader thread reads the frames that come later and reports them, in
/// channel order, through `report`. While the actor reads, the reader
/// thread does not wake for data, and the host rings no doorbell: the
/// thread waits only for the peer's hang-up. Frames that the thread
/// reported come before frames the actor reads, because the actor reads
/// inline only when it has handled every reported frame.
class channel_reader {
public:
  /// Called on the reader thread for each event; `closed` is the last one.
  using report_fn = std::function<void(channel_event, std::string)>;

  /// The result of an inline wait.
  struct inline_result {
    /// A frame opened inline (`frame`), nothing in time (`none`), a
    /// frame that failed authentication (`authentication`), or an invalid
    /// index or length in the ring (`corrupt`).
    enum class kind { frame, none, authentication, corrupt } outcome
      = kind::none;
    /// The plaintext of the frame, or the failure's description.
    std::string plain;
  };

  /// Reads frames from `ring` with `opener`, and waits for the doorbell
  /// and the hang-up on socket `fd` (not owned). Throws std::system_error
  /// when no eventfd can be created.
  channel_reader(int fd, std::unique_ptr<ring_consumer> ring,
                 std::unique_ptr<channel_opener> opener);

  /// Stops and joins the reader thread.
  ~channel_reader();

  channel_reader(const channel_reader&) = delete;
  channel_reader& operator=(const channel_reader&) = delete;

  /// Starts a reader thread that calls `run`. Call once, and only when no
  /// other thread calls `run`.
  void start(report_fn report);

  /// Reads the channel on the calling thread, the reader thread, until the
  /// channel ends or `stop` is called. Call from one thread only.
  void run(report_fn report);

  /// Waits up to `spin` for the next frame, pausing the core between
  /// polls, and reads it when it has arrived whole. A frame larger than
  /// the ring is left to the thread at once. Returns `none` at
  /// once when frames reported by the thread are not handled yet, or the
  /// thread is reading. After `none`, the thread reads and reports the
  /// next frame. Call from one thread only (the proxy actor).
  inline_result await_frame(std::chrono::microseconds spin);

  /// Leaves the next frame to the reader thread, without waiting.
  void hand_off();

  /// Records that the owner handled one frame reported by the thread.
  /// Does not wait for the thread.
  void frame_handled();

  /// Stops the reader thread, and joins it when `start` started it. The
  /// owner shuts the channel down first when the thread may be blocked
  /// inside a frame.
  void stop();

  /// Returns how many frames the actor has read inline, for tests.
  std::uint64_t inline_frames() const {
    return inline_frames_.load(std::memory_order_relaxed);
  }

private:
  void wake_reader();
  /// Blocks until the host rings, hangs up or `stop` is called. Returns
  /// true when the thread should try to read a frame.
  bool wait_for_host(bool wanted);
  bool read_reported(const report_fn& report);

  int fd_;
  int wake_fd_;
  std::unique_ptr<ring_consumer> ring_;
  std::unique_ptr<channel_opener> opener_;
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable actor_done_;
  /// Set while the actor reads inline: the thread must not read then.
  bool actor_reading_ = false;
  /// Frames reported by the thread and not yet handled by the actor. The
  /// thread counts up under the lock, before it reports a frame.
  std::atomic<std::size_t> unhandled_{0};
  /// Set when the thread is to wait for data and read it. When clear, it
  /// waits only for the peer's hang-up.
  std::atomic<bool> reader_wanted_{false};
  std::atomic<bool> stopping_{false};
  /// Set by the thread when the host hung up; ends the actor's inline wait.
  std::atomic<bool> hung_up_{false};
  std::atomic<std::uint64_t> inline_frames_{0};
};

} // namespace corral::tee
