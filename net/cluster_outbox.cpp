#include "net/cluster_outbox.hpp"

#include <algorithm>
#include <cerrno>
#include <iterator>
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
  auto size = message.body.size();
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
  // One wake-up per burst: the I/O thread takes the whole queue at once.
  if (was_empty && std::this_thread::get_id() != consumer_.load())
    wake();
  return std::nullopt;
}

void cluster_outbox::set_consumer(std::thread::id consumer) {
  consumer_ = consumer;
}

void cluster_outbox::take(std::vector<outbound_message>& out,
                          bool clear_wakeup) {
  if (clear_wakeup) {
    std::uint64_t ignored = 0;
    while (::read(wakeup_fd_, &ignored, sizeof ignored) > 0)
      ;
  }
  std::lock_guard<std::mutex> guard{mutex_};
  if (out.empty()) {
    // Swapping keeps both vectors' capacity, so neither side reallocates
    // in a steady stream.
    out.swap(queue_);
    return;
  }
  std::move(queue_.begin(), queue_.end(), std::back_inserter(out));
  queue_.clear();
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
