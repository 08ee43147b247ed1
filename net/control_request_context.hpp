#pragma once

#include <memory>
#include <string>

#include "net/control_stream.hpp"
#include "net/control_stream_registry.hpp"

namespace corral {

/// The context of one control request, through which a handler can turn
/// the request into a stream of frames to the same client.
class control_request_context {
public:
  /// Creates the context of one request from the client with routing id
  /// `identity`.
  control_request_context(control_stream_registry& streams,
                          std::string identity, bool delimiter)
    : streams_(streams), identity_(std::move(identity)), delimiter_(delimiter) {
  }

  /// Opens a stream to the client. The reply the handler returns becomes
  /// its first frame and gets "stream": id added; frames posted before
  /// that wait behind it. If the reply is an error ("ok": false) the
  /// stream is dropped at once. `on_close` runs exactly once, when the
  /// stream closes for any reason. One stream per request: a second call
  /// returns null and never runs its callback.
  std::shared_ptr<control_stream>
  open_stream(control_stream::close_callback on_close) {
    if (stream_)
      return nullptr;
    stream_ = streams_.open(identity_, delimiter_, std::move(on_close));
    return stream_;
  }

  /// The stream opened by the handler, or null.
  const std::shared_ptr<control_stream>& stream() const {
    return stream_;
  }

private:
  control_stream_registry& streams_;
  std::string identity_;
  bool delimiter_;
  std::shared_ptr<control_stream> stream_;
};

} // namespace corral
