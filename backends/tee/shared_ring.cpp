#include "backends/tee/shared_ring.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/tee/frame_io.hpp"

namespace corral::tee {

namespace {

using clock = std::chrono::steady_clock;

/// "corralR1" in ASCII: what the host checks before it uses the memory.
constexpr std::uint64_t ring_magic = 0x3152'6c61'7272'6f63ull;

/// The first page of the shared memory; the data of both rings follows.
struct ring_header {
  std::uint64_t magic = ring_magic;
  std::uint64_t capacity = ring_capacity;
  alignas(64) ring_control to_host;
  alignas(64) ring_control to_proxy;
};

constexpr std::size_t header_bytes = 4096;
constexpr std::size_t shared_bytes = header_bytes + 2 * ring_capacity;

static_assert(sizeof(ring_header) <= header_bytes);
static_assert((ring_capacity & (ring_capacity - 1)) == 0,
              "the ring's capacity must be a power of two");
static_assert(ring_capacity > 4, "a ring must hold a frame's length");

std::string failed(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}



std::uint32_t decode_length(const unsigned char* prefix) {
  std::uint32_t size = 0;
  for (int i = 0; i < 4; ++i)
    size |= static_cast<std::uint32_t>(prefix[i]) << (8 * i);
  return size;
}

std::string length_error(std::uint32_t size) {
  return "a frame length of " + std::to_string(size)
         + " bytes, more than the largest frame ("
         + std::to_string(max_frame_bytes) + " bytes)";
}

// Reads `size` bytes, waiting whenever none is there.
ring_status read_exact(ring_consumer& ring, char* out, std::size_t size,
                       const ring_waiter& wait) {
  std::size_t done = 0;
  while (done < size) {
    auto available = ring.available();
    if (!available)
      return ring_status::corrupt;
    if (*available == 0) {
      auto status = wait([&ring] { return ring.maybe_has_bytes(); });
      if (status != ring_status::ok)
        return status;
      continue;
    }
    auto n = std::min(*available, size - done);
    ring.copy(out + done, n, 0);
    ring.consume(n);
    done += n;
  }
  return ring_status::ok;
}

} // namespace

std::unique_ptr<shared_ring_memory>
shared_ring_memory::create(std::string& error) {
  int fd = ::memfd_create("corral-enclave-ring",
                          MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    error = failed("cannot create the enclave channel's shared memory "
                   "(memfd_create)");
    return nullptr;
  }
  // Sealed against resizing: a host that shrank the file would make the
  // node's next access to the mapping raise SIGBUS.
  if (::ftruncate(fd, static_cast<off_t>(shared_bytes)) != 0
      || ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
           != 0) {
    error = failed("cannot size and seal the enclave channel's shared "
                   "memory");
    ::close(fd);
    return nullptr;
  }
  void* base = ::mmap(nullptr, shared_bytes, PROT_READ | PROT_WRITE,
                      MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    error = failed("cannot map the enclave channel's shared memory");
    ::close(fd);
    return nullptr;
  }
  new (base) ring_header{};
  return std::unique_ptr<shared_ring_memory>(
    new shared_ring_memory(static_cast<unsigned char*>(base), fd));
}

std::unique_ptr<shared_ring_memory>
shared_ring_memory::attach(int fd, std::string& error) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    error = failed("cannot read the channel's shared memory on descriptor 4");
    return nullptr;
  }
  if (static_cast<std::uint64_t>(info.st_size) != shared_bytes) {
    error = "the channel's shared memory on descriptor 4 has "
            + std::to_string(info.st_size) + " bytes, expected "
            + std::to_string(shared_bytes)
            + "; the node and the enclave host come from different builds";
    return nullptr;
  }
  void* base = ::mmap(nullptr, shared_bytes, PROT_READ | PROT_WRITE,
                      MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    error = failed("cannot map the channel's shared memory");
    return nullptr;
  }
  std::unique_ptr<shared_ring_memory> memory(
    new shared_ring_memory(static_cast<unsigned char*>(base), fd));
  const auto* header = static_cast<const ring_header*>(base);
  if (header->magic != ring_magic || header->capacity != ring_capacity) {
    error = "the channel's shared memory has an unknown header; the node "
            "and the enclave host come from different builds";
    return nullptr;
  }
  memory->close_fd();
  return memory;
}

shared_ring_memory::~shared_ring_memory() {
  ::munmap(base_, shared_bytes);
  close_fd();
}

void shared_ring_memory::close_fd() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

ring_view shared_ring_memory::to_host() const {
  auto* header = reinterpret_cast<ring_header*>(base_);
  return {&header->to_host, base_ + header_bytes};
}

ring_view shared_ring_memory::to_proxy() const {
  auto* header = reinterpret_cast<ring_header*>(base_);
  return {&header->to_proxy, base_ + header_bytes + ring_capacity};
}

ring_producer::ring_producer(ring_view ring, int doorbell_fd,
                             std::string peer)
  : ring_(ring), doorbell_fd_(doorbell_fd), peer_(std::move(peer)) {
}

std::optional<std::size_t> ring_producer::room() {
  auto tail = ring_.control->tail.load(std::memory_order_seq_cst);
  // A read index ahead of the write index wraps to a huge difference.
  auto used = head_ - tail;
  if (used > ring_capacity) {
    error_ = peer_ + " wrote an invalid read index into the shared ring: "
             + std::to_string(tail) + ", while this side has written "
             + std::to_string(head_) + " bytes into a ring of "
             + std::to_string(ring_capacity);
    return std::nullopt;
  }
  return ring_capacity - static_cast<std::size_t>(used);
}

void ring_producer::write(const char* bytes, std::size_t size) {
  auto position = static_cast<std::size_t>(head_ & (ring_capacity - 1));
  auto first = std::min(size, ring_capacity - position);
  std::memcpy(ring_.data + position, bytes, first);
  std::memcpy(ring_.data, bytes + first, size - first);
  head_ += size;
  // Sequentially consistent, like the consumer's flag-then-index check, so
  // that either the consumer reads the new index or this side reads its flag.
  ring_.control->head.store(head_, std::memory_order_seq_cst);
  if (ring_.control->consumer_waiting.load(std::memory_order_seq_cst) != 0)
    ring_doorbell(doorbell_fd_);
}

ring_consumer::ring_consumer(ring_view ring, int doorbell_fd,
                             std::string peer)
  : ring_(ring), doorbell_fd_(doorbell_fd), peer_(std::move(peer)) {
}

std::optional<std::size_t> ring_consumer::available() {
  auto head = ring_.control->head.load(std::memory_order_seq_cst);
  auto tail = tail_.load(std::memory_order_relaxed);
  // A write index behind the read index wraps to a huge difference.
  auto published = head - tail;
  if (published > ring_capacity) {
    error_ = peer_ + " wrote an invalid write index into the shared ring: "
             + std::to_string(head) + ", while this side has read "
             + std::to_string(tail) + " bytes from a ring of "
             + std::to_string(ring_capacity);
    return std::nullopt;
  }
  return static_cast<std::size_t>(published);
}

bool ring_consumer::maybe_has_bytes() const {
  return ring_.control->head.load(std::memory_order_seq_cst)
         != tail_.load(std::memory_order_relaxed);
}

void ring_consumer::copy(char* out, std::size_t size,
                         std::size_t offset) const {
  auto start = tail_.load(std::memory_order_relaxed) + offset;
  auto position = static_cast<std::size_t>(start & (ring_capacity - 1));
  auto first = std::min(size, ring_capacity - position);
  // NOTE: the producer may change these bytes during the copy. The copy is
  // private afterwards, and the opener rejects changed bytes.
  std::memcpy(out, ring_.data + position, first);
  std::memcpy(out + first, ring_.data, size - first);
}

void ring_consumer::consume(std::size_t size) {
  auto tail = tail_.load(std::memory_order_relaxed) + size;
  tail_.store(tail, std::memory_order_relaxed);
  ring_.control->tail.store(tail, std::memory_order_seq_cst);
  if (ring_.control->producer_waiting.load(std::memory_order_seq_cst) != 0)
    ring_doorbell(doorbell_fd_);
}

frame_peek take_whole_frame(ring_consumer& ring, std::string& out) {
  auto available = ring.available();
  if (!available)
    return frame_peek::corrupt;
  if (*available == 0)
    return frame_peek::empty;
  if (*available < 4)
    return frame_peek::partial;
  unsigned char prefix[4];
  ring.copy(reinterpret_cast<char*>(prefix), 4, 0);
  // Read once: every decision below uses this copy.
  auto size = decode_length(prefix);
  if (size > max_frame_bytes) {
    ring.fail(length_error(size));
    return frame_peek::corrupt;
  }
  if (4 + std::size_t{size} > ring_capacity)
    return frame_peek::large;
  if (*available < 4 + std::size_t{size})
    return frame_peek::partial;
  out.resize(size);
  ring.copy(out.data(), size, 4);
  ring.consume(4 + std::size_t{size});
  return frame_peek::whole;
}

ring_status read_ring_frame(ring_consumer& ring, std::string& out,
                            const ring_waiter& wait) {
  unsigned char prefix[4];
  auto status = read_exact(ring, reinterpret_cast<char*>(prefix), 4, wait);
  if (status != ring_status::ok)
    return status;
  auto size = decode_length(prefix);
  if (size > max_frame_bytes) {
    ring.fail(length_error(size));
    return ring_status::corrupt;
  }
  out.resize(size);
  return read_exact(ring, out.data(), size, wait);
}

ring_status write_ring_bytes(ring_producer& ring, std::string_view bytes,
                             const ring_waiter& wait) {
  // A frame that fits in the ring is published whole, so that the
  // consumer can take it inline; a larger one streams in parts.
  std::size_t least = bytes.size() <= ring_capacity ? bytes.size() : 1;
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto room = ring.room();
    if (!room)
      return ring_status::corrupt;
    if (*room < std::min(least, bytes.size() - done)) {
      auto status = wait([&ring, least] {
        auto now = ring.room();
        return !now || *now >= least;
      });
      if (status != ring_status::ok)
        return status;
      continue;
    }
    auto n = std::min(*room, bytes.size() - done);
    ring.write(bytes.data() + done, n);
    done += n;
  }
  return ring_status::ok;
}

void relax_core() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
  // Every poll, because on a loaded machine the peer often waits for this
  // very core. A ring round trip between two processes took 2.7 us with a
  // yield per poll and 4.4 us with one per 16 polls (load average 4.5, two
  // cores).
  // NOTE: with more CPU-bound processes than cores, a yield gives the core
  // away for a whole time slice and a spinning peer rings no doorbell, so
  // the round trip rose to 1.5-4 ms (three busy loops on two cores). No
  // spin at all gave 11-50 us there but 27-29 us idle; a spin that stops
  // after one long yield was not steady. Not solved.
  ::sched_yield();
}

bool spin_until(const ring_ready& ready, std::chrono::microseconds spin) {
  if (ready())
    return true;
  if (spin.count() <= 0)
    return false;
  auto until = clock::now() + spin;
  for (;;) {
    relax_core();
    if (ready())
      return true;
    if (clock::now() >= until)
      return false;
  }
}

ring_status wait_for_doorbell(int fd, std::atomic<std::uint32_t>& flag,
                              const ring_ready& ready,
                              std::chrono::microseconds spin,
                              std::optional<clock::time_point> deadline) {
  if (spin_until(ready, spin))
    return ring_status::ok;
  // Flag first, then check. The peer publishes first, then reads the flag,
  // so one of the two reads the other's store (both sequentially
  // consistent).
  flag.store(1, std::memory_order_seq_cst);
  if (ready()) {
    flag.store(0, std::memory_order_seq_cst);
    return ring_status::ok;
  }
  int timeout = -1;
  if (deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  *deadline - clock::now())
                  .count();
    if (left <= 0) {
      flag.store(0, std::memory_order_seq_cst);
      return ring_status::timed_out;
    }
    // Rounded up, so that the wait does not end just before the deadline.
    timeout = static_cast<int>(std::min<long long>(left + 1, 60'000));
  }
  pollfd entry{fd, POLLIN | POLLRDHUP, 0};
  int ready_count = ::poll(&entry, 1, timeout);
  flag.store(0, std::memory_order_seq_cst);
  if (ready_count < 0)
    return errno == EINTR ? ring_status::ok : ring_status::closed;
  if (ready_count == 0)
    return deadline && clock::now() >= *deadline ? ring_status::timed_out
                                                 : ring_status::ok;
  if (entry.revents & POLLIN) {
    // Doorbell bytes carry nothing; a bounded number of reads per wake.
    char bytes[256];
    for (int reads = 0; reads < 16; ++reads) {
      auto n = ::recv(fd, bytes, sizeof(bytes), MSG_DONTWAIT);
      if (n > 0)
        continue;
      if (n == 0)
        return ready() ? ring_status::ok : ring_status::closed;
      break;
    }
  }
  if ((entry.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
      && !ready())
    return ring_status::closed;
  return ring_status::ok;
}

ring_status poll_ring(int fd, const ring_ready& ready,
                      std::chrono::microseconds spin,
                      clock::time_point deadline) {
  if (spin_until(ready, spin))
    return ring_status::ok;
  auto nap = std::chrono::microseconds{10};
  for (;;) {
    if (clock::now() >= deadline)
      return ring_status::timed_out;
    timespec pause{0, static_cast<long>(nap.count() * 1000)};
    ::nanosleep(&pause, nullptr);
    nap = std::min(nap * 2, std::chrono::microseconds{1000});
    if (ready())
      return ring_status::ok;
    pollfd entry{fd, POLLRDHUP, 0};
    if (::poll(&entry, 1, 0) > 0
        && (entry.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
      return ready() ? ring_status::ok : ring_status::closed;
  }
}

void ring_doorbell(int fd) {
  char byte = 0;
  [[maybe_unused]] auto n = ::send(fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

} // namespace corral::tee
