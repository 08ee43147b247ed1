#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "net/curve_keys.hpp"
#include "net/curve_security.hpp"
#include "serialization/result.hpp"

namespace corral::cli {

/// The CurveZMQ options of `corral node`, as given on the command line or
/// in the config file, before the files are read.
struct security_options {
  /// The node's secret key file, as `corral keygen` writes it.
  std::string key_file;
  /// NODE_ID=KEY values of --peer-key.
  std::vector<std::string> peer_keys;
  /// Files of NODE_ID=KEY lines, from --peer-keys.
  std::vector<std::string> peer_key_files;
  /// Public keys of the config file's [peers] table, by node id.
  std::map<std::string, std::string> file_peers;
};

/// A --seed value: the listen address and, when written
/// NODE_ID@tcp://HOST:PORT, the node id expected there.
struct seed_address {
  std::string node_id;
  std::string address;
};

/// Splits NODE_ID@tcp://HOST:PORT at the last "@tcp://"; a plain address
/// gets an empty node id.
seed_address split_seed(const std::string& text);

/// Parses NODE_ID=KEY, where KEY is a 40-character Z85 public key. Fails
/// with invalid_request naming `source` (e.g. "--peer-key") and the value.
result<std::pair<std::string, std::string>>
parse_peer_key(const std::string& text, const std::string& source);

/// Reads a file of NODE_ID=KEY lines; blank lines and lines starting with
/// '#' are skipped. Errors name the file and the line.
result<std::map<std::string, std::string>>
read_peer_keys_file(const std::string& path);

/// Reads a secret key file (one line of Z85 text; '#' lines are skipped)
/// and derives its public key. When the public key file (PREFIX.pub for
/// PREFIX.key, else PATH.pub) exists, its key must match. A path ending
/// in ".pub" is rejected as a public key file.
/// Errors name the file but never quote the secret key.
result<curve_key_pair> read_key_file(const std::string& path);

/// Builds the transport's security settings: reads the key files, merges
/// the peer keys (the command line wins over the file's [peers]) and
/// maps each seed address with a node id to that id. Every seed must name
/// a node id with a known key, because the Curve client must know the
/// server's key before it connects.
result<curve_security> load_curve_security(const security_options& options,
                                           const std::vector<seed_address>& seeds,
                                           const std::string& self_id);

} // namespace corral::cli
