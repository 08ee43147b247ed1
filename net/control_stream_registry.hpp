#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/control_outbox.hpp"
#include "net/control_stream.hpp"

namespace corral {

/// The open streams of one control endpoint, by id. Handler threads open
/// streams; the I/O thread looks them up to cancel them, to drop them when
/// their client is gone, and to send heartbeats. Thread-safe.
class control_stream_registry {
public:
  explicit control_stream_registry(std::shared_ptr<control_outbox> outbox);

  /// Opens an inactive stream to the client with routing id `identity`.
  /// Stream ids start at 1 and are never reused by this registry.
  std::shared_ptr<control_stream> open(std::string identity, bool delimiter,
                                       control_stream::close_callback on_close);

  /// Returns the open stream with `id`, or null.
  std::shared_ptr<control_stream> find(std::uint64_t id) const;

  /// Forgets closed streams and returns the active ones.
  std::vector<std::shared_ptr<control_stream>> prune();

  /// Closes every stream with `reason` and removes them from the registry.
  /// Each client gets an end frame if the I/O thread still runs to send it.
  void close_all(const std::string& reason);

private:
  std::shared_ptr<control_outbox> outbox_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::shared_ptr<control_stream>> streams_;
  std::uint64_t next_id_ = 1;
};

} // namespace corral
