#pragma once

// The byte transport of the sealed channel: one single-producer,
// single-consumer ring per direction in memory shared by the node and the
// enclave host. The rings carry the sealed frames with the framing of
// `write_frame` (a 4-byte little-endian length, then the bytes). The Unix
// socket stays as the doorbell: a side that is about to sleep sets its
// waiting flag and blocks in poll on the socket, and the other side writes
// one byte to it when the flag is set. The socket also reports to each side
// that the other one ended. docs/tee.md describes the layout.
//
// Either side may be hostile and may write anything into the shared memory
// at any time. So every index and length read from it is checked against
// the ring's size and `max_frame_bytes`, each one is read once, and the
// bytes are copied out before they are opened. An invalid value makes the
// reading call fail with `ring_status::corrupt` and an error naming it.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace corral::tee {

/// Bytes of each direction's ring. A frame larger than this streams through
/// in parts while the consumer reads.
inline constexpr std::size_t ring_capacity = std::size_t{256} << 10;

/// The descriptor number of the shared memory in a starting enclave host.
/// The host maps it and closes the descriptor before it isolates itself.
inline constexpr int host_ring_fd = 4;

/// The control words of one direction, each on its own cache line. The
/// indexes count the bytes written and read since the start; they never
/// wrap in practice (2^64 bytes).
struct ring_control {
  /// Written by the producer: the end of the published bytes.
  alignas(64) std::atomic<std::uint64_t> head{0};
  /// Written by the consumer: the end of the bytes it has taken.
  alignas(64) std::atomic<std::uint64_t> tail{0};
  /// Set by the consumer while it may block on the socket for new bytes.
  alignas(64) std::atomic<std::uint32_t> consumer_waiting{0};
  /// Set by the producer while it may block on the socket for room.
  alignas(64) std::atomic<std::uint32_t> producer_waiting{0};
};

// The shared atomics must work across processes without locks.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

/// One direction of the ring: its control words and its data.
struct ring_view {
  ring_control* control = nullptr;
  unsigned char* data = nullptr;
};

/// The shared memory of both rings: a memfd the node creates, seals against
/// resizing and maps, and the host maps from `host_ring_fd`.
class shared_ring_memory {
public:
  /// Creates, seals and maps new shared memory (the node's side). Returns
  /// nothing and sets `error` when it cannot.
  static std::unique_ptr<shared_ring_memory> create(std::string& error);

  /// Maps the shared memory on descriptor `fd` (the host's side) after
  /// checking its size and header, then closes `fd`.
  static std::unique_ptr<shared_ring_memory> attach(int fd,
                                                    std::string& error);

  /// Unmaps the memory and closes the descriptor if still open.
  ~shared_ring_memory();

  shared_ring_memory(const shared_ring_memory&) = delete;
  shared_ring_memory& operator=(const shared_ring_memory&) = delete;

  /// Returns the memfd, or -1 once closed.
  int fd() const {
    return fd_;
  }

  /// Closes the memfd; the mapping stays.
  void close_fd();

  /// Returns the ring from the node to the host.
  ring_view to_host() const;

  /// Returns the ring from the host to the node.
  ring_view to_proxy() const;

private:
  shared_ring_memory(unsigned char* base, int fd) : base_(base), fd_(fd) {
  }

  unsigned char* base_;
  int fd_;
};

/// The outcome of waiting on, reading or writing a ring.
enum class ring_status {
  ok,
  closed,    ///< the peer hung up the socket
  timed_out, ///< the deadline passed first
  corrupt,   ///< the peer wrote an invalid index or length
};

/// A condition a waiting side checks; true ends the wait.
using ring_ready = std::function<bool()>;

/// The wait of one side for data or room. It returns ok once `ready` may be
/// true (the caller checks again), or else the reason it stopped waiting.
using ring_waiter = std::function<ring_status(const ring_ready& ready)>;

/// The writing end of one direction. Not thread-safe.
class ring_producer {
public:
  /// Writes into `ring` and rings `doorbell_fd` when the consumer may
  /// sleep. `peer` names the consumer in errors ("the enclave host").
  ring_producer(ring_view ring, int doorbell_fd, std::string peer);

  /// Returns the bytes the consumer has room for, or nothing when its read
  /// index is invalid (`error` describes it).
  std::optional<std::size_t> room();

  /// Copies `size` bytes, at most `room()`, publishes them and rings the
  /// doorbell when the consumer has set its waiting flag.
  void write(const char* bytes, std::size_t size);

  /// Returns the flag this side sets while it waits for room.
  std::atomic<std::uint32_t>& waiting_flag() {
    return ring_.control->producer_waiting;
  }

  /// Returns the doorbell socket.
  int doorbell_fd() const {
    return doorbell_fd_;
  }

  /// Returns this side's write index, for test faults.
  std::uint64_t head() const {
    return head_;
  }

  /// Returns the control words, for test faults.
  ring_control& control() {
    return *ring_.control;
  }

  /// Describes the last invalid value read.
  const std::string& error() const {
    return error_;
  }

private:
  ring_view ring_;
  int doorbell_fd_;
  std::string peer_;
  /// This side's own copy of the write index; the shared one is only
  /// written, never trusted back.
  std::uint64_t head_ = 0;
  std::string error_;
};

/// The reading end of one direction. One thread at a time may read; the
/// proxy hands it between its actor and its reader thread under a lock.
class ring_consumer {
public:
  /// Reads from `ring` and rings `doorbell_fd` when the producer waits for
  /// room. `peer` names the producer in errors.
  ring_consumer(ring_view ring, int doorbell_fd, std::string peer);

  /// Returns the bytes published and not yet taken, or nothing when the
  /// producer's write index is invalid (`error` describes it).
  std::optional<std::size_t> available();

  /// Returns true when the shared write index differs from this side's
  /// read index. A hint only, with no side effect, for any thread.
  bool maybe_has_bytes() const;

  /// Copies `size` bytes starting `offset` bytes after the read index.
  /// The caller has checked them against `available()`.
  void copy(char* out, std::size_t size, std::size_t offset) const;

  /// Takes `size` copied bytes and rings the doorbell when the producer
  /// waits for room.
  void consume(std::size_t size);

  /// Records an invalid value the caller found (e.g. a frame length).
  void fail(std::string error) {
    error_ = std::move(error);
  }

  /// Returns the flag this side sets while it waits for data.
  std::atomic<std::uint32_t>& waiting_flag() {
    return ring_.control->consumer_waiting;
  }

  /// Returns the doorbell socket.
  int doorbell_fd() const {
    return doorbell_fd_;
  }

  /// Describes the last invalid value read.
  const std::string& error() const {
    return error_;
  }

private:
  ring_view ring_;
  int doorbell_fd_;
  std::string peer_;
  /// This side's own copy of the read index. Atomic because another
  /// thread may call `maybe_has_bytes`.
  std::atomic<std::uint64_t> tail_{0};
  std::string error_;
};

/// The outcome of looking for a whole frame without waiting.
enum class frame_peek {
  whole,   ///< taken: the frame's bytes are in `out`
  partial, ///< part of the frame has been published so far
  large,   ///< the frame is larger than the ring, so it streams
  empty,   ///< no byte is there
  corrupt, ///< an invalid index or length; `ring.error()` describes it
};

/// Takes the next frame when all of it is in the ring. Reads the length
/// once and copies the bytes out.
frame_peek take_whole_frame(ring_consumer& ring, std::string& out);

/// Reads the next frame, calling `wait` whenever the ring is empty. A frame
/// larger than the ring streams through in parts.
ring_status read_ring_frame(ring_consumer& ring, std::string& out,
                            const ring_waiter& wait);

/// Writes `bytes`, calling `wait` whenever the ring is full. Bytes that fit
/// in the ring are published at once, when there is room for all of them;
/// more stream through in parts.
ring_status write_ring_bytes(ring_producer& ring, std::string_view bytes,
                             const ring_waiter& wait);

/// Pauses the core and yields it, between two polls of a ring.
void relax_core();

/// Checks `ready` for up to `spin`, relaxing the core between checks.
/// Returns true once `ready` was true.
bool spin_until(const ring_ready& ready, std::chrono::microseconds spin);

/// Waits for the peer's doorbell: spins for `spin`, then sets `flag`,
/// checks `ready` once more and blocks in poll on `fd` until a byte
/// arrives, the peer hangs up (closed) or `deadline` passes. Reads the
/// doorbell bytes that arrived.
ring_status wait_for_doorbell(
  int fd, std::atomic<std::uint32_t>& flag, const ring_ready& ready,
  std::chrono::microseconds spin,
  std::optional<std::chrono::steady_clock::time_point> deadline);

/// Waits without a doorbell: spins for `spin`, then sleeps in growing
/// steps of up to 1 ms, checking `ready` and whether the peer hung up `fd`,
/// until `deadline`. For a side whose socket another thread reads.
ring_status poll_ring(int fd, const ring_ready& ready,
                      std::chrono::microseconds spin,
                      std::chrono::steady_clock::time_point deadline);

/// Writes one doorbell byte without blocking. A full socket already contains
/// a doorbell, so a failed write is ignored.
void ring_doorbell(int fd);

} // namespace corral::tee
