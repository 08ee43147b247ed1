#include "net/cluster_outbox.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <sys/eventfd.h>
#include <unistd.h>

namespace corral {

cluster_outbox::cluster_outbox(std::size_t max_queued_bytes_per_peer)
  : max_queued_bytes_per_peer_(max_queued_bytes_per_peer) {
  wakeup_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeup_fd_ < 0)
    throw std::system_error(errno, std::generic_category(),
                            "cannot create the transport's eventfd");
}

cluster_outbox::~cluster_outbox() {
  if (wakeup_fd_ >= 0)
    ::close(wakeup_fd_);
}

std::optional<failure> cluster_outbox::push(outbound_message message) {
  auto size = message.body ? message.body->size() : 0;
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    auto entry = queued_bytes_.find(message.peer);
    if (entry == queued_bytes_.end())
      return failure{errc::node_unreachable,
                     "no connection to node " + message.peer
                       + "; check `corral nodes` for its state"};
    if (entry->second + size > max_queued_bytes_per_peer_)
      return failure{errc::resource_limit_exceeded,
                     "the send queue to node " + message.peer + " holds "
                       + std::to_string(entry->second)
                       + " bytes and a message of "
                       + std::to_string(size) + " bytes would exceed its "
                       + std::to_string(max_queued_bytes_per_peer_)
                       + "-byte limit; retry later"};
    entry->second += size;
    was_empty = queue_.empty();
    queue_.push_back(std::move(message));
  }
  // One wake-up per batch: the I/O thread takes the whole queue at once.
  if (was_empty)
    wake();
  return std::nullopt;
}

std::vector<outbound_message> cluster_outbox::take() {
  std::uint64_t ignored = 0;
  while (::read(wakeup_fd_, &ignored, sizeof ignored) > 0)
    ;
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<outbound_message> taken;
  taken.swap(queue_);
  return taken;
}

void cluster_outbox::release(const std::string& peer, std::size_t bytes) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto entry = queued_bytes_.find(peer);
  if (entry == queued_bytes_.end())
    return;
  // A link closed and opened again while its messages were in flight can
  // release bytes counted before the reopening; never go below zero.
  entry->second -= std::min(entry->second, bytes);
}

void cluster_outbox::set_open(const std::string& peer, bool open) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (open)
    queued_bytes_.emplace(peer, 0);
  else
    queued_bytes_.erase(peer);
}

void cluster_outbox::wake() {
  std::uint64_t one = 1;
  // A full eventfd counter (2^64 - 2) is still readable, so a failed write
  // loses no wake-up.
  [[maybe_unused]] auto written = ::write(wakeup_fd_, &one, sizeof one);
}

} // namespace corral
