#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "serialization/spawn_request.hpp"

namespace corral {

/// The fields of a spawn request other than its agent_id, in the form that
/// `stored_request` packs them. A thread that spawns outside the kernel
/// hands these to the kernel, which adds the agent_id from the agent's
/// cell and packs them there. The spawning thread then allocates nothing
/// for a request that sets only its agent_id and agent_type (with an
/// agent_type of at most 15 characters, the short-string limit of
/// libstdc++).
struct request_fields {
  std::string agent_type;
  /// The binary form of the fields not listed here, or empty when the
  /// request sets none of them.
  std::string encoded;
  const char* backend = "";
  restart_type restart = restart_type::permanent;
  /// Set when the request names its parent, even the kernel (pid 0).
  bool has_parent = false;
  pid_type parent = kernel_pid;
};

/// Copies or encodes the fields of `request` other than its agent_id.
request_fields split_fields(const spawn_request& request);

/// A spawn request as the kernel keeps it after the spawn, for restarts
/// and `inspect`: one string with the agent_id, the agent_type and the
/// binary form of the other fields, instead of the 616-byte struct. The
/// parent pid is a field of its own, and a request that sets nothing else
/// keeps no binary form at all, so that storing a plain child costs no
/// encoding. This saves about 0.5 KiB per agent (an estimate from the type
/// sizes).
class stored_request {
public:
  /// Packs `request`.
  explicit stored_request(const spawn_request& request);

  /// Packs the request with `agent_id` and the other `fields`.
  stored_request(const std::string& agent_id, request_fields fields);

  /// Returns the request as it was packed, or `internal_error` when its
  /// bytes no longer decode (a bug in the binary forms, not bad input).
  caf::expected<std::shared_ptr<const spawn_request>> unpack() const;

  /// Returns the agent_id, for logs about an agent that is not running.
  std::string agent_id() const {
    return packed_.substr(0, id_size_);
  }

  /// Returns the registered native behavior or the backend's type name.
  std::string agent_type() const {
    return packed_.substr(id_size_, type_size_);
  }

  /// Returns the backend variant's name (`Native`, `Wasm`, ...).
  const char* backend() const {
    return backend_;
  }

  /// Returns how the agent's parent restarts it.
  restart_type restart() const {
    return restart_;
  }

private:
  std::string packed_;
  const char* backend_;
  std::uint32_t type_size_;
  /// Fits because an agent_id has at most 128 characters, which every
  /// spawn checks before the request is stored.
  std::uint16_t id_size_;
  restart_type restart_;
  /// Set when the request names its parent, even the kernel (pid 0).
  bool has_parent_;
  pid_type parent_;
};

/// Packs `request` for the process table.
std::shared_ptr<const stored_request> store(const spawn_request& request);

} // namespace corral
