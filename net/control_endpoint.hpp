#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <optional>
#include <thread>

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "net/control_address.hpp"
#include "net/control_outbox.hpp"
#include "net/control_request_context.hpp"
#include "net/control_stream_registry.hpp"
#include "net/fd_usage.hpp"
#include "net/handler_pool.hpp"
#include "net/request_envelope.hpp"
#include "serialization/result.hpp"

namespace corral {

/// Turns one control request (a JSON object with "op") into its reply, a
/// JSON object with "ok". Runs on a handler thread; an exception it throws
/// becomes an internal_error reply. The endpoint adds the request's "id"
/// to the reply. A handler that must wait (for an agent, a grace period)
/// calls `context.defer_reply()` and delivers the reply later, so that it
/// does not hold the handler thread.
using control_handler = std::function<nlohmann::json(
  const nlohmann::json& request, control_request_context& context)>;

/// Settings of a control endpoint.
struct control_endpoint_config {
  control_address address;
  /// Token that every tcp request must carry as "token"; required for tcp.
  /// The endpoint removes it before calling the handler. Ignored for ipc,
  /// where the socket file's 0600 mode admits only this user.
  std::string token;
  /// Node id, for log lines.
  std::string node_id;
  /// Threads that run the handler.
  std::size_t handler_threads = 4;
  /// Requests that may wait for a free handler thread; more get an error
  /// reply with code resource_limit_exceeded.
  std::size_t max_pending_requests = 256;
  /// Promised replies (see `control_request_context::defer_reply`) that may
  /// be outstanding; while this many are, new requests get an error reply
  /// with code resource_limit_exceeded.
  std::size_t max_deferred_replies = 1024;
  /// Time between heartbeat frames on each active stream. A client that
  /// has gone is noticed at the next frame sent to it, so this also bounds
  /// how long a stream to a gone client lives when no events flow.
  std::chrono::milliseconds heartbeat_interval{1000};
  /// Frames queued for one client before the endpoint stops sending to it
  /// (ZMQ_SNDHWM); a stream whose client falls this far behind is dropped.
  int send_high_water_mark = 10'000;
};

/// Counters of rejected input and dropped output, for `corral stats`.
struct control_endpoint_counters {
  std::uint64_t requests = 0;
  std::uint64_t malformed_json = 0;
  std::uint64_t oversized_frames = 0;
  std::uint64_t bad_frame_counts = 0;
  std::uint64_t rejected_tokens = 0;
  std::uint64_t busy_rejections = 0;
  std::uint64_t handler_exceptions = 0;
  /// Replies and stream frames whose client had gone or fell behind.
  std::uint64_t undeliverable_frames = 0;
  std::uint64_t streams_opened = 0;
  std::uint64_t streams_dropped = 0;
  /// Promised replies not delivered yet, at the time of the snapshot.
  std::uint64_t deferred_replies = 0;
  /// Connections closed at once because the process had no free file
  /// descriptor; counted for the whole process.
  std::uint64_t connections_refused = 0;
};

/// Returns the counters as a JSON object with the same field names.
nlohmann::json to_json(const control_endpoint_counters& x);

/// The server side of the CLI's control protocol (docs/control-protocol.md):
/// a ZeroMQ ROUTER socket on an ipc path or a loopback TCP port.
///
/// The endpoint counts the process's free file descriptors after new
/// connections and with every heartbeat. While no more than a reserve (see
/// `fd_reserve_for`) are free, it rejects new requests with
/// resource_limit_exceeded, so that no request makes the node open more.
/// At the limit itself, the accept guard (accept_guard.hpp) closes new
/// connections, where libzmq would abort the process.
///
/// One I/O thread owns the socket and reads the requests. It rejects
/// malformed ones itself with an error reply: invalid JSON, frames over
/// 1 MiB, wrong frame counts, a missing or wrong token. It passes the rest
/// to a pool of handler threads, and sends the frames that they and the
/// streams queue in the outbox. No input from a peer makes that thread
/// throw or stop.
class control_endpoint {
public:
  /// Binds the socket and starts the threads. For ipc, it creates the
  /// socket directory with mode 0700 and removes a stale socket file. It
  /// binds under umask 0077, so the socket is never accessible to others,
  /// and then sets its mode to 0600. Fails with invalid_request for a tcp address
  /// without a token, and when another process listens on the address.
  static result<std::unique_ptr<control_endpoint>>
  start(control_endpoint_config config, control_handler handler);

  /// Stops: stops accepting requests, waits for running handlers (each
  /// bounded by its own timeout), fails every promised reply with
  /// node_unreachable, ends every stream with an end frame, then closes the
  /// socket and removes the ipc socket file it created.
  ~control_endpoint();

  control_endpoint(const control_endpoint&) = delete;
  control_endpoint& operator=(const control_endpoint&) = delete;

  /// Returns the ZeroMQ endpoint clients connect to, with the real port
  /// when the configured one was 0.
  const std::string& endpoint() const {
    return bound_endpoint_;
  }

  /// Returns a snapshot of the counters.
  control_endpoint_counters counters() const;

private:
  struct atomic_counters;

  control_endpoint(control_endpoint_config config, control_handler handler);

  /// Device and inode of the ipc socket file this endpoint created.
  struct socket_file_id {
    dev_t device;
    ino_t inode;
  };

  std::optional<failure> bind();
  void remove_socket_file();
  std::optional<failure> start_monitor();
  void read_monitor_events();
  void check_file_descriptors(bool exact);
  failure out_of_descriptors() const;
  void run();
  void poll_once();
  void receive_requests();
  void accept(request_envelope envelope);
  void reject(const request_envelope& envelope);
  void dispatch(nlohmann::json request, std::string identity, bool delimiter);
  void handle(const nlohmann::json& request, reply_address address);
  nlohmann::json call_handler(const nlohmann::json& request,
                              control_request_context& context);
  void cancel_stream(const nlohmann::json& request, const std::string& identity,
                     bool delimiter);
  void reply_now(const std::string& identity, bool delimiter,
                 const nlohmann::json& reply);
  void flush_outbox();
  bool send_frame(const outgoing_frame& frame);
  void send_heartbeats();
  void log_repeated(const char* event, std::uint64_t count,
                    const std::string& detail) const;

  control_endpoint_config config_;
  control_handler handler_;
  std::string wakeup_endpoint_;
  std::string bound_endpoint_;
  std::optional<socket_file_id> socket_file_;

  zmq::context_t context_;
  zmq::socket_t router_;
  zmq::socket_t wakeup_receiver_;
  /// Receives the router's connection events, which trigger the file
  /// descriptor check (accepted, disconnected) or a log line (accept
  /// failed).
  zmq::socket_t monitor_;
  std::shared_ptr<control_outbox> outbox_;
  std::shared_ptr<pending_replies> replies_;
  control_stream_registry streams_;
  std::unique_ptr<atomic_counters> counters_;
  std::unique_ptr<handler_pool> handlers_;

  /// Set while the process is low on file descriptors, so that requests
  /// are rejected. Only the I/O thread uses it once started.
  bool low_on_fds_ = false;
  /// The latest count of open file descriptors, and the connections
  /// accepted since, which the next estimate adds to it.
  fd_counter fd_counter_;
  std::optional<fd_usage> fd_usage_;
  std::size_t accepted_since_count_ = 0;
  /// Connections that libzmq could not accept, for rate-limited logging.
  std::uint64_t failed_accepts_ = 0;

  std::atomic<bool> accepting_{true};
  std::atomic<bool> stopping_{false};
  std::chrono::steady_clock::time_point next_heartbeat_;
  std::thread io_thread_;
};

} // namespace corral
