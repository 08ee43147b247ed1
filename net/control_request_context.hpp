#pragma once

#include <memory>
#include <string>

#include "net/control_reply_promise.hpp"
#include "net/control_stream.hpp"
#include "net/control_stream_registry.hpp"

namespace corral {

/// The context of one control request, through which a handler can turn
/// the request into a stream of frames to the same client, or promise its
/// reply for later.
class control_request_context {
public:
  /// Creates the context of the request `op` from the client at `address`.
  control_request_context(control_stream_registry& streams,
                          std::shared_ptr<pending_replies> replies,
                          reply_address address, std::string op)
    : streams_(streams),
      replies_(std::move(replies)),
      address_(std::move(address)),
      op_(std::move(op)) {
  }

  /// Opens a stream to the client. The reply the handler returns becomes
  /// its first frame and gets "stream": id added; frames posted before
  /// that wait behind it. If the reply is an error ("ok": false) the
  /// stream is dropped at once. `on_close` runs exactly once, when the
  /// stream closes for any reason. One stream per request: a second call,
  /// or a call after `defer_reply`, returns null and never runs its
  /// callback.
  std::shared_ptr<control_stream>
  open_stream(control_stream::close_callback on_close) {
    if (stream_ || promise_)
      return nullptr;
    stream_ = streams_.open(address_.identity, address_.delimiter,
                            std::move(on_close));
    return stream_;
  }

  /// Promises the reply for later, so that the handler can return while
  /// the work goes on elsewhere (e.g. in a CAF actor) and the handler
  /// thread serves other requests meanwhile. The handler's return value is
  /// then ignored unless it is an error reply, which is sent at once.
  /// Returns the same promise on every call, and null after `open_stream`,
  /// because a stream's first frame is the handler's return value.
  std::shared_ptr<control_reply_promise> defer_reply() {
    if (stream_)
      return nullptr;
    if (!promise_)
      promise_ = replies_->open(address_, op_);
    return promise_;
  }

  /// The stream opened by the handler, or null.
  const std::shared_ptr<control_stream>& stream() const {
    return stream_;
  }

  /// Returns the promise made by `defer_reply`, or null.
  const std::shared_ptr<control_reply_promise>& promise() const {
    return promise_;
  }

private:
  control_stream_registry& streams_;
  std::shared_ptr<pending_replies> replies_;
  reply_address address_;
  std::string op_;
  std::shared_ptr<control_stream> stream_;
  std::shared_ptr<control_reply_promise> promise_;
};

} // namespace corral
