#include "net/control_endpoint.hpp"

// The listening side of the control endpoint: binding the socket, the ipc
// socket file, and the check that rejects requests while the process is low
// on file descriptors.

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "net/control_protocol.hpp"
#include "net/fd_usage.hpp"
#include "net/net_log.hpp"
#include "net/socket_file.hpp"

namespace corral {

namespace {

failure bind_failure(const std::string& endpoint, const zmq::error_t& e) {
  if (e.num() == EADDRINUSE)
    return failure{errc::invalid_request,
                   "cannot listen on " + endpoint
                     + ": the address is in use by another process"};
  return failure{errc::internal_error,
                 "cannot listen on " + endpoint + ": " + e.what()};
}

} // namespace

std::optional<failure> control_endpoint::bind() {
  const auto& address = config_.address;
  auto endpoint = to_endpoint(address);
  router_.set(zmq::sockopt::router_mandatory, true);
  router_.set(zmq::sockopt::maxmsgsize, max_received_frame_bytes);
  router_.set(zmq::sockopt::sndhwm, config_.send_high_water_mark);
  // End frames queued at stop get this long to reach their clients.
  router_.set(zmq::sockopt::linger, 200);

  if (address.transport == control_transport::tcp) {
    if (address.host == "::1")
      router_.set(zmq::sockopt::ipv6, true);
    try {
      router_.bind(endpoint);
    } catch (const zmq::error_t& e) {
      return bind_failure(endpoint, e);
    }
    bound_endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    return std::nullopt;
  }

  if (auto error = prepare_socket_directory(address.path))
    return error;
  if (auto error = remove_stale_socket(address.path))
    return error;
  try {
    // The umask makes the socket file 0600 from the moment bind creates
    // it; the chmod below only states the mode explicitly.
    umask_guard private_files{0077};
    router_.bind(endpoint);
  } catch (const zmq::error_t& e) {
    return bind_failure(endpoint, e);
  }
  struct stat info {};
  if (::stat(address.path.c_str(), &info) == 0)
    socket_file_ = socket_file_id{info.st_dev, info.st_ino};
  if (::chmod(address.path.c_str(), 0600) != 0)
    return failure{errc::internal_error, "chmod of the control socket \""
                                           + address.path + "\" failed: "
                                           + std::strerror(errno)};
  bound_endpoint_ = endpoint;
  return std::nullopt;
}

void control_endpoint::remove_socket_file() {
  // libzmq 4.3 leaves the ipc socket file behind when the socket closes.
  // Remove it only while it is still the file this endpoint bound, never
  // the socket of a node that took over the path since.
  if (!socket_file_)
    return;
  const auto& path = config_.address.path;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return;
  if (info.st_dev == socket_file_->device && info.st_ino == socket_file_->inode)
    ::unlink(path.c_str());
}

std::optional<failure> control_endpoint::start_monitor() {
  static std::atomic<std::uint64_t> next{1};
  auto endpoint = "inproc://corral-control-monitor-" + std::to_string(next++);
  if (zmq_socket_monitor(router_.handle(), endpoint.c_str(),
                         ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED
                           | ZMQ_EVENT_DISCONNECTED)
      != 0)
    return failure{errc::internal_error,
                   std::string{"cannot monitor the control socket: "}
                     + zmq_strerror(zmq_errno())};
  try {
    monitor_ = zmq::socket_t{context_, zmq::socket_type::pair};
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return failure{errc::internal_error,
                   std::string{"cannot monitor the control socket: "}
                     + e.what()};
  }
  return std::nullopt;
}

void control_endpoint::read_monitor_events() {
  // Each event is two frames: 2 bytes of event number and 4 of value,
  // then the endpoint's address.
  std::size_t accepted = 0;
  std::size_t failed = 0;
  bool disconnected = false;
  zmq::message_t frame;
  while (monitor_.recv(frame, zmq::recv_flags::dontwait)) {
    if (frame.size() >= sizeof(std::uint16_t)) {
      std::uint16_t event = 0;
      std::memcpy(&event, frame.data(), sizeof(event));
      if (event == ZMQ_EVENT_ACCEPTED)
        ++accepted;
      else if (event == ZMQ_EVENT_ACCEPT_FAILED)
        ++failed;
      else if (event == ZMQ_EVENT_DISCONNECTED)
        disconnected = true;
    }
    while (frame.more() && monitor_.recv(frame, zmq::recv_flags::dontwait))
      ;
  }

  if (failed > 0) {
    // One line per batch of events, at the counts where a single event
    // would be logged: the first ten, then every thousandth.
    auto before = failed_accepts_;
    failed_accepts_ += failed;
    if (before < 10 || before / 1000 != failed_accepts_ / 1000)
      net_log(spdlog::level::warn, config_.node_id,
              "closed " + std::to_string(failed) + " new connections at once ("
                + std::to_string(failed_accepts_)
                + " so far), most likely because the process has no free "
                  "file descriptor; close idle clients or raise the limit "
                  "(ulimit -n)");
  }
  accepted_since_count_ += accepted;
  // A closed connection may end the rejection of requests at once.
  if (accepted > 0 || failed > 0 || (disconnected && low_on_fds_))
    check_file_descriptors(failed > 0 || disconnected);
}

void control_endpoint::check_file_descriptors(bool exact) {
  // Counting /proc/self/fd takes time in proportion to the open
  // descriptors, so far from the limit an estimate from the last count and
  // the connections accepted since decides.
  if (!exact && fd_usage_) {
    auto estimate = fd_usage_->open + accepted_since_count_;
    auto reserve = fd_reserve_for(fd_usage_->limit);
    if (estimate + 4 * reserve < fd_usage_->limit)
      return;
  }
  auto usage = fd_counter_.read();
  if (!usage)
    return;
  fd_usage_ = usage;
  accepted_since_count_ = 0;

  auto reserve = fd_reserve_for(usage->limit);
  auto free = usage->limit > usage->open ? usage->limit - usage->open : 0;
  bool low = free <= reserve;
  if (low != low_on_fds_)
    net_log(low ? spdlog::level::warn : spdlog::level::info, config_.node_id,
            std::to_string(usage->open) + " of " + std::to_string(usage->limit)
              + " file descriptors are open; the control endpoint "
              + (low ? "rejects new requests until more than "
                         + std::to_string(reserve) + " are free"
                     : "takes requests again"));
  low_on_fds_ = low;
}

failure control_endpoint::out_of_descriptors() const {
  std::string counts = fd_usage_ ? std::to_string(fd_usage_->open) + " of "
                                     + std::to_string(fd_usage_->limit)
                                 : std::string{"nearly all"};
  return failure{errc::resource_limit_exceeded,
                 "node " + config_.node_id + " has " + counts
                   + " file descriptors open, so it rejects new requests "
                     "until some close; close idle clients (e.g. corral "
                     "watch), or raise the node's limit (ulimit -n) and "
                     "restart it"};
}

} // namespace corral
