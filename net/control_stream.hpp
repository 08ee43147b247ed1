#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/control_outbox.hpp"

namespace corral {

/// A sequence of frames from the control endpoint to one client, opened by
/// a request handler (e.g. for `watch`) through
/// `control_request_context::open_stream`. Every frame is a JSON object
/// with "stream": id and an "event" name.
///
/// Thread-safe: any thread may post. The stream closes once, for the first
/// of these reasons: the producer calls `close`, the client cancels it, the
/// client is gone (a send to it fails), the handler's reply is an error, or
/// the endpoint stops. The close callback then runs once, on the thread that
/// closed the stream; it must not block and must not call `close`.
class control_stream {
public:
  using close_callback = std::function<void()>;

  /// Creates a stream that is not yet active: frames posted now wait until
  /// `activate` has queued the handler's reply.
  control_stream(std::uint64_t id, std::string identity, bool delimiter,
                 std::shared_ptr<control_outbox> outbox,
                 close_callback on_close);

  control_stream(const control_stream&) = delete;
  control_stream& operator=(const control_stream&) = delete;

  /// Returns the id that every frame of this stream carries.
  std::uint64_t id() const {
    return id_;
  }

  /// Queues `event` (a JSON object, to which "stream" is added) for the
  /// client. Returns false once the stream is closed, which tells the
  /// producer to stop.
  bool post(nlohmann::json event);

  /// Ends the stream: the client gets {"stream":id,"event":"end",
  /// "reason":reason} as its last frame. Does nothing when already closed.
  void close(const std::string& reason);

  /// True until the stream closes.
  bool is_open() const;

  /// True once the handler's reply has been queued and the stream is open.
  bool is_active() const;

  /// Queues the handler's `reply` frame, then the frames posted meanwhile.
  /// Called by the endpoint once the handler has returned.
  void activate(outgoing_frame reply);

  /// Closes the stream without a final frame, because the client cannot
  /// receive it or the request failed. Called by the endpoint.
  void drop();

  /// ZeroMQ routing id of the client.
  const std::string& identity() const {
    return identity_;
  }

private:
  outgoing_frame make_frame(nlohmann::json event) const;

  /// Marks the stream closed and returns the callback to run, if any.
  close_callback close_locked();

  const std::uint64_t id_;
  const std::string identity_;
  const bool delimiter_;
  const std::shared_ptr<control_outbox> outbox_;

  mutable std::mutex mutex_;
  close_callback on_close_;
  std::vector<outgoing_frame> waiting_;
  bool active_ = false;
  bool open_ = true;
};

} // namespace corral
