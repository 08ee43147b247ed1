#pragma once

#include <map>
#include <string>

namespace corral {

/// The CurveZMQ settings of a cluster node. When `enabled`, the node's
/// ROUTER is a Curve server that admits only the public keys in
/// `peer_keys`, and each DEALER is a Curve client that expects the peer's
/// public key from `peer_keys` (or `seed_keys` for a seed). Keys are Z85
/// text and must be valid; the CLI checks them.
struct curve_security {
  bool enabled = false;
  /// This node's key pair.
  std::string public_key;
  std::string secret_key;
  /// The public key of each node this node accepts and connects to, by
  /// node id.
  std::map<std::string, std::string> peer_keys;
  /// The node id expected at each seed's listen address, so that the seed
  /// link knows which server key to expect.
  std::map<std::string, std::string> seed_ids;
};

} // namespace corral
