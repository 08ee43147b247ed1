#pragma once

#include <cstdint>
#include <string>

#include "serialization/result.hpp"

namespace corral {

/// A node's cluster listen address, checked.
struct listen_address {
  /// Host name or IP address; an IPv6 address keeps its brackets.
  std::string host;
  /// 0 picks a free port when binding.
  std::uint16_t port = 0;
  /// True for a bracketed IPv6 host.
  bool ipv6 = false;
  /// The ZeroMQ endpoint to bind, with "*" for port 0.
  std::string bind_endpoint;
};

/// Parses "tcp://HOST:PORT" (PORT 0 to 65535, an IPv6 HOST in brackets).
/// Rejects wildcard hosts ("*", 0.0.0.0, [::]) with invalid_request,
/// because peers connect to the address that a node announces and cannot
/// reach a wildcard.
result<listen_address> parse_listen_address(const std::string& text);

} // namespace corral
