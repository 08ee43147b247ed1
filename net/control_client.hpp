#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "net/control_address.hpp"
#include "serialization/result.hpp"

namespace corral {

/// Settings of a control client.
struct control_client_options {
  /// Sent as "token" in every request; required by tcp endpoints.
  std::string token;
  /// How long sending a request may block before it fails with
  /// node_unreachable (ZMQ_SNDTIMEO).
  std::chrono::milliseconds connect_timeout{2000};
};

/// The CLI's side of the control protocol: a ZeroMQ DEALER socket that sends
/// one request at a time and receives its reply and any stream frames.
/// Not thread-safe, like the socket it owns.
class control_client {
public:
  /// Connects to `address`. Fails with node_unreachable at once when no
  /// process accepts connections there (no socket file, a stale one, or a
  /// closed port), so that a missing node is reported without waiting.
  static result<std::unique_ptr<control_client>>
  connect(const control_address& address, control_client_options options);

  /// Sends `request` (an object with "op"), adding "id" and "token", and
  /// waits for its reply. Returns the reply whether it has "ok": true or
  /// false, so that a caller can tell a failure the node reported from a
  /// node that did not reply. Fails with node_unreachable when the send
  /// blocks beyond the connect timeout or no reply arrives within
  /// `timeout`, and with invalid_request when the request exceeds the
  /// endpoint's frame limit. Stream frames that arrive meanwhile are kept
  /// for `next_stream_frame`; replies to earlier, timed-out requests are
  /// discarded.
  result<nlohmann::json> exchange(nlohmann::json request,
                                  std::chrono::milliseconds timeout);

  /// Like `exchange`, but returns the failure that an error reply carries
  /// instead of the reply.
  result<nlohmann::json> request(nlohmann::json request,
                                 std::chrono::milliseconds timeout);

  /// Waits at most `timeout` for the next frame of `stream` (an object with
  /// "stream" and "event"). Frames of other streams that arrive meanwhile
  /// stay queued for their own readers, so that a client with several
  /// streams open (e.g. two watches) reads each event once per stream.
  /// Fails with timeout when no frame of `stream` arrives in time.
  result<nlohmann::json> next_stream_frame(std::uint64_t stream,
                                           std::chrono::milliseconds timeout);

  /// Asks the node to end `stream` and drops its frames, those queued and
  /// those still on their way. Returns the reply like `request`.
  result<nlohmann::json> cancel_stream(std::uint64_t stream,
                                       std::chrono::milliseconds timeout);

  /// Returns the ZeroMQ endpoint the client connects to, for messages.
  const std::string& endpoint() const {
    return endpoint_;
  }

private:
  control_client(std::string endpoint, control_client_options options);

  /// Receives one frame's JSON; fails with timeout when `timeout` passes
  /// first.
  result<nlohmann::json> receive(std::chrono::milliseconds timeout);

  failure no_reply(std::chrono::milliseconds timeout) const;

  /// Queues `frame` for `next_stream_frame` when it is a frame of a stream
  /// that was not cancelled, and drops it otherwise.
  void keep_stream_frame(nlohmann::json frame);

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_;
  control_client_options options_;
  std::uint64_t next_id_ = 1;
  /// Frames received but not yet read, by stream id.
  std::map<std::uint64_t, std::deque<nlohmann::json>> stream_frames_;
  /// Streams ended by `cancel_stream`, whose late frames are dropped.
  std::set<std::uint64_t> cancelled_streams_;
};

} // namespace corral
