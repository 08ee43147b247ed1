#pragma once

#include <cstdint>
#include <string>

#include "serialization/result.hpp"

namespace corral {

/// Transports the control endpoint can listen on.
enum class control_transport : std::uint8_t {
  ipc, ///< a Unix domain socket file, protected by its 0600 mode
  tcp, ///< a loopback TCP port; every request must carry the token
};

/// The address a node's control endpoint listens on and the CLI connects to.
struct control_address {
  control_transport transport = control_transport::ipc;
  /// Socket file for ipc.
  std::string path;
  /// "127.0.0.1" or "::1" for tcp.
  std::string host;
  /// TCP port; 0 lets the endpoint pick a free port when it binds.
  std::uint16_t port = 0;
};

/// Maximum length of an ipc socket path in bytes: what fits into
/// `sockaddr_un::sun_path` on Linux with its terminating zero.
inline constexpr std::size_t max_ipc_path_bytes = 107;

/// Parses "ipc://PATH", "tcp://127.0.0.1:PORT", "tcp://[::1]:PORT",
/// "tcp://localhost:PORT" or a bare socket path. PORT may be "*" or 0 for
/// any free port. Returns invalid_request for any other host, because
/// the control endpoint must not be reachable from other machines.
result<control_address> parse_control_address(const std::string& text);

/// Formats the address as a ZeroMQ endpoint, e.g. "ipc:///tmp/x.sock" or
/// "tcp://127.0.0.1:7000" ("tcp://127.0.0.1:*" for port 0).
std::string to_endpoint(const control_address& address);

/// Returns the socket path of node `node_id` when none is given:
/// $XDG_RUNTIME_DIR/corral/NODE_ID.sock when XDG_RUNTIME_DIR is set,
/// otherwise /tmp/corral-UID/NODE_ID.sock. Rejects node ids that would
/// leave that directory or exceed max_ipc_path_bytes.
result<std::string> default_control_path(const std::string& node_id);

/// Returns the default ipc address of node `node_id`.
result<control_address> default_control_address(const std::string& node_id);

} // namespace corral
