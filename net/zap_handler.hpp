#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <zmq.hpp>

namespace corral {

/// The ZAP endpoint (ZeroMQ RFC 27) of a node's Curve server: a REP socket
/// bound to inproc://zeromq.zap.01 in the transport's context. It admits a
/// Curve client only when its public key is one of the configured peer
/// keys, and then names the key's node id as the connection's User-Id, so
/// that the transport can compare it with the node id a frame claims.
/// Owned and polled by the I/O thread; it never blocks.
class zap_handler {
public:
  /// Binds the ZAP endpoint in `context`; `peer_keys` maps node ids to
  /// Z85 public keys. Throws zmq::error_t when the endpoint is taken.
  zap_handler(zmq::context_t& context, std::string node_id,
              const std::map<std::string, std::string>& peer_keys);

  /// Returns the REP socket, for polling.
  zmq::socket_t& socket() {
    return socket_;
  }

  /// Answers the waiting requests, at most a fixed number per call, and
  /// returns how many it refused. A refused key is logged at most once a
  /// minute per key, with its first characters only.
  std::uint64_t answer_requests(std::chrono::steady_clock::time_point now);

private:
  struct refusal_log {
    std::chrono::steady_clock::time_point last{};
    std::uint64_t suppressed = 0;
  };

  std::uint64_t answer_one(std::chrono::steady_clock::time_point now);
  void log_refusal(const std::string& key, const std::string& address,
                   const std::string& why,
                   std::chrono::steady_clock::time_point now);

  std::string node_id_;
  zmq::socket_t socket_;
  /// Node id by 32-byte public key.
  std::map<std::string, std::string> allowed_;
  /// Last log line per refused 32-byte key; bounded in size.
  std::map<std::string, refusal_log> refusals_;
};

} // namespace corral
