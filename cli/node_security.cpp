#include "cli/node_security.hpp"

#include <cstdio>
#include <optional>
#include <sstream>
#include <sys/stat.h>

#include "cli/file_input.hpp"
#include "serialization/json_reader.hpp"
#include "serialization/node_id.hpp"

namespace corral::cli {

namespace {

failure invalid(const std::string& detail) {
  return failure{errc::invalid_request, detail};
}

std::string trim(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return {};
  auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

/// Returns the lines of `text` that are neither blank nor '#' comments,
/// trimmed, each with its 1-based line number.
std::vector<std::pair<int, std::string>> content_lines(const std::string& text) {
  std::vector<std::pair<int, std::string>> lines;
  std::istringstream input{text};
  std::string line;
  int number = 0;
  while (std::getline(input, line)) {
    ++number;
    auto content = trim(line);
    if (!content.empty() && content[0] != '#')
      lines.emplace_back(number, content);
  }
  return lines;
}

bool file_exists(const std::string& path) {
  struct stat info{};
  return ::stat(path.c_str(), &info) == 0;
}

// Rejects a secret key file that users other than its owner may read or
// write, as OpenSSH rejects such private keys, because anyone who reads the
// key can join the cluster as this node.
std::optional<failure> check_key_file_mode(const std::string& path) {
  struct stat info{};
  if (::stat(path.c_str(), &info) != 0 || (info.st_mode & 077) == 0)
    return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o",
                static_cast<unsigned>(info.st_mode & 07777));
  return invalid("the secret key file \"" + path + "\" has mode "
                 + std::string{mode}
                 + ", so other users may read it; run chmod 600 on it, as "
                   "corral keygen does");
}

} // namespace

seed_address split_seed(const std::string& text) {
  auto at = text.rfind("@tcp://");
  if (at == std::string::npos)
    return {{}, text};
  return {text.substr(0, at), text.substr(at + 1)};
}

result<std::pair<std::string, std::string>>
parse_peer_key(const std::string& text, const std::string& source) {
  // Node ids and Z85 keys may both contain '=', so the key is the last 40
  // characters when they follow a '='; otherwise the first '=' splits, for
  // the error message.
  auto split = text.size() > curve_key_text_length
                   && text[text.size() - curve_key_text_length - 1] == '='
                 ? text.size() - curve_key_text_length - 1
                 : text.find('=');
  if (split == std::string::npos || split == 0)
    return invalid(source + " " + quote_for_error(text)
                   + " is not NODE_ID=KEY; give the node id, '=' and the "
                     "public key that `corral keygen` printed");
  auto id = text.substr(0, split);
  auto key = text.substr(split + 1);
  if (auto error = node_id_error(id))
    return invalid(source + " " + quote_for_error(text) + ": " + *error);
  if (auto error = curve_key_error(key, "the public key of " + id))
    return invalid(source + " " + quote_for_error(text) + ": " + *error);
  return std::make_pair(id, key);
}

result<std::map<std::string, std::string>>
read_peer_keys_file(const std::string& path) {
  auto text = read_input_file(path, "the peer keys file");
  if (!text)
    return text.error();
  std::map<std::string, std::string> keys;
  for (const auto& [number, line] : content_lines(*text)) {
    auto source = "peer keys file \"" + path + "\", line "
                  + std::to_string(number) + ":";
    auto entry = parse_peer_key(line, source);
    if (!entry)
      return entry.error();
    keys[entry->first] = entry->second;
  }
  return keys;
}

result<curve_key_pair> read_key_file(const std::string& path) {
  // A public key file contains 40 Z85 characters too, so its content alone
  // would pass as a secret key, and the node would run with a key pair
  // that no peer lists.
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".pub") == 0)
    return invalid("\"" + path + "\" is a public key file; --key takes the "
                   "secret key file that `corral keygen --out PREFIX` wrote "
                   "as PREFIX.key");
  auto text = read_input_file(path, "the secret key file");
  if (!text)
    return text.error();
  if (auto exposed = check_key_file_mode(path))
    return *exposed;
  auto lines = content_lines(*text);
  if (lines.size() != 1)
    return invalid("the secret key file \"" + path + "\" has "
                   + std::to_string(lines.size())
                   + " key lines instead of 1; write it with `corral "
                     "keygen --out PREFIX` and pass PREFIX.key");
  auto public_key = derive_curve_public_key(lines[0].second);
  if (!public_key)
    return invalid("the secret key file \"" + path + "\" is invalid: "
                   + public_key.error().detail
                   + "; write a new one with `corral keygen`");

  auto public_path = path + ".pub";
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".key") == 0)
    public_path = path.substr(0, path.size() - 4) + ".pub";
  if (file_exists(public_path)) {
    auto stored = read_input_file(public_path, "the public key file");
    if (!stored)
      return stored.error();
    auto stored_lines = content_lines(*stored);
    if (stored_lines.size() != 1 || stored_lines[0].second != *public_key)
      return invalid("the public key file \"" + public_path
                     + "\" does not match the secret key in \"" + path
                     + "\"; its public key is " + *public_key);
  }
  return curve_key_pair{*public_key, lines[0].second};
}

result<curve_security> load_curve_security(const security_options& options,
                                           const std::vector<seed_address>& seeds,
                                           const std::string& self_id) {
  curve_security security;
  security.enabled = true;
  if (options.key_file.empty())
    return invalid("--listen needs --key FILE (this node's secret key) "
                   "unless --insecure is given; make a key pair with "
                   "`corral keygen --out PREFIX`");
  auto pair = read_key_file(options.key_file);
  if (!pair)
    return pair.error();
  security.public_key = pair->public_key;
  security.secret_key = pair->secret_key;

  security.peer_keys = options.file_peers;
  for (const auto& path : options.peer_key_files) {
    auto keys = read_peer_keys_file(path);
    if (!keys)
      return keys.error();
    for (const auto& [id, key] : *keys)
      security.peer_keys[id] = key;
  }
  for (const auto& text : options.peer_keys) {
    auto entry = parse_peer_key(text, "--peer-key");
    if (!entry)
      return entry.error();
    security.peer_keys[entry->first] = entry->second;
  }
  auto others = security.peer_keys.size() - security.peer_keys.count(self_id);
  if (others == 0)
    return invalid("--listen needs at least one peer key (--peer-key "
                   "NODE_ID=KEY, --peer-keys FILE or a [peers] table) unless "
                   "--insecure is given; `corral keygen` prints the public "
                   "key of each node");

  for (const auto& seed : seeds) {
    if (seed.node_id.empty())
      return invalid("--seed " + quote_for_error(seed.address)
                     + " names no node id; with CurveZMQ write it "
                       "NODE_ID@" + seed.address
                     + " so that this node knows which public key to expect");
    if (seed.node_id != self_id && security.peer_keys.count(seed.node_id) == 0)
      return invalid("--seed " + quote_for_error(seed.node_id + "@"
                                                 + seed.address)
                     + ": no public key for node " + seed.node_id
                     + "; add --peer-key " + seed.node_id + "=KEY");
    security.seed_ids[seed.address] = seed.node_id;
  }
  return security;
}

} // namespace corral::cli
