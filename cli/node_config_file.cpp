#include "cli/node_config_file.hpp"

#include <set>

#include <toml++/toml.h>

#include "cli/file_input.hpp"
#include "net/curve_keys.hpp"
#include "serialization/node_id.hpp"

namespace corral::cli {

namespace {

/// Maximum timing accepted, in ms: an hour. Longer timeouts would make a
/// dead node look alive for longer than anyone waits.
constexpr std::int64_t max_timing_ms = 3'600'000;
/// Busy polling longer than this only burns CPU: a round trip on loopback
/// takes about 100 µs.
constexpr std::int64_t max_busy_poll_us = 10'000;

/// Thrown by the readers below with the key's path; turned into a failure
/// at the top.
struct config_error {
  std::string detail;
};

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw config_error{key + ": " + what};
}

/// Rejects the first key of `table` that is not in `known`.
void check_keys(const toml::table& table, const std::string& path,
                const std::set<std::string>& known) {
  for (const auto& [key, value] : table) {
    std::string name{key.str()};
    if (known.count(name) == 0) {
      std::string expected;
      for (const auto& k : known)
        expected += (expected.empty() ? "" : ", ") + k;
      fail(path.empty() ? name : path + "." + name,
           "unknown key (expected " + expected + ")");
    }
  }
}

const toml::table* sub_table(const toml::table& table, const char* name,
                             const std::string& path) {
  const auto* node = table.get(name);
  if (node == nullptr)
    return nullptr;
  const auto* sub = node->as_table();
  if (sub == nullptr)
    fail(path, "expected a table");
  return sub;
}

std::optional<std::string> read_string(const toml::table& table,
                                       const char* name,
                                       const std::string& path) {
  const auto* node = table.get(name);
  if (node == nullptr)
    return std::nullopt;
  auto value = node->value<std::string>();
  if (!value || value->empty())
    fail(path, "expected a non-empty string");
  return value;
}

std::optional<bool> read_bool(const toml::table& table, const char* name,
                              const std::string& path) {
  const auto* node = table.get(name);
  if (node == nullptr)
    return std::nullopt;
  if (!node->is_boolean())
    fail(path, "expected true or false");
  return node->value<bool>();
}

std::optional<std::vector<std::string>>
read_string_array(const toml::table& table, const char* name,
                  const std::string& path) {
  const auto* node = table.get(name);
  if (node == nullptr)
    return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr)
    fail(path, "expected an array of strings");
  std::vector<std::string> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto value = array->get(i)->value<std::string>();
    if (!value || value->empty())
      fail(path + "[" + std::to_string(i) + "]", "expected a non-empty string");
    values.push_back(*value);
  }
  return values;
}

/// Reads a positive integer of at most `max` into `target`, if present.
template <class Target>
void read_positive(const toml::table& table, const char* name,
                   const std::string& path, std::int64_t max,
                   Target& target) {
  const auto* node = table.get(name);
  if (node == nullptr)
    return;
  if (!node->is_integer())
    fail(path, "expected an integer");
  auto value = *node->value<std::int64_t>();
  if (value < 1 || value > max)
    fail(path, "must be from 1 to " + std::to_string(max) + ", got "
                 + std::to_string(value));
  target = Target(value);
}

/// Reads [cluster] busy_poll_us, from 0 (off) to 10,000.
std::optional<std::chrono::microseconds>
read_busy_poll(const toml::table& cluster) {
  const auto* node = cluster.get("busy_poll_us");
  if (node == nullptr)
    return std::nullopt;
  const std::string path = "cluster.busy_poll_us";
  if (!node->is_integer())
    fail(path, "expected an integer");
  auto value = *node->value<std::int64_t>();
  if (value < 0 || value > max_busy_poll_us)
    fail(path, "must be from 0 (off) to " + std::to_string(max_busy_poll_us)
                 + ", got " + std::to_string(value));
  return std::chrono::microseconds{value};
}

void read_timing(const toml::table& timing, membership_config& config) {
  const std::string path = "cluster.timing";
  check_keys(timing, path,
             {"heartbeat_interval_ms", "suspect_after_ms", "down_after_ms",
              "disconnect_confirm_ms", "gossip_interval_ms", "gossip_fanout",
              "join_timeout_ms", "removal_after_ms"});
  auto key = [&path](const char* name) { return path + "." + name; };
  read_positive(timing, "heartbeat_interval_ms", key("heartbeat_interval_ms"),
                max_timing_ms, config.heartbeat_interval);
  read_positive(timing, "suspect_after_ms", key("suspect_after_ms"),
                max_timing_ms, config.suspect_after);
  read_positive(timing, "down_after_ms", key("down_after_ms"), max_timing_ms,
                config.down_after);
  read_positive(timing, "disconnect_confirm_ms", key("disconnect_confirm_ms"),
                max_timing_ms, config.disconnect_confirm);
  read_positive(timing, "gossip_interval_ms", key("gossip_interval_ms"),
                max_timing_ms, config.gossip_interval);
  read_positive(timing, "gossip_fanout", key("gossip_fanout"), 1000,
                config.gossip_fanout);
  read_positive(timing, "join_timeout_ms", key("join_timeout_ms"),
                max_timing_ms, config.join_timeout);
  read_positive(timing, "removal_after_ms", key("removal_after_ms"),
                max_timing_ms, config.removal_after);

  // A member must miss several heartbeats before it is suspect, and be
  // suspect before it is down.
  if (config.suspect_after <= config.heartbeat_interval)
    fail(key("suspect_after_ms"), "must be above heartbeat_interval_ms ("
                                    + std::to_string(
                                      config.heartbeat_interval.count())
                                    + ")");
  if (config.down_after < config.suspect_after)
    fail(key("down_after_ms"),
         "must be at least suspect_after_ms ("
           + std::to_string(config.suspect_after.count()) + ")");
}

/// Upper bound of [remote] max_served_requests. A served request keeps an
/// entry of a few hundred bytes (an estimate), so the table stays within a
/// few GiB.
constexpr std::int64_t max_served_requests_bound = 10'000'000;

void read_remote(const toml::table& remote_table,
                 remote::remote_settings& settings) {
  const std::string path = "remote";
  check_keys(remote_table, path,
             {"spawn_timeout_ms", "request_timeout_ms", "max_served_requests"});
  auto key = [&path](const char* name) { return path + "." + name; };
  read_positive(remote_table, "spawn_timeout_ms", key("spawn_timeout_ms"),
                max_timing_ms, settings.spawn_timeout);
  read_positive(remote_table, "request_timeout_ms", key("request_timeout_ms"),
                max_timing_ms, settings.request_timeout);
  read_positive(remote_table, "max_served_requests",
                key("max_served_requests"), max_served_requests_bound,
                settings.max_served_requests);
}

/// Returns `path` relative to `folder` unless it is absolute.
std::string resolve(const std::string& folder, const std::string& path) {
  if (path.empty() || path[0] == '/' || folder.empty())
    return path;
  return folder + "/" + path;
}

void read_security(const toml::table& security, const std::string& folder,
                   node_file_settings& settings) {
  check_keys(security, "security", {"key_file", "peer_keys_files"});
  if (auto key_file = read_string(security, "key_file", "security.key_file"))
    settings.key_file = resolve(folder, *key_file);
  if (auto files = read_string_array(security, "peer_keys_files",
                                     "security.peer_keys_files")) {
    for (auto& file : *files)
      file = resolve(folder, file);
    settings.peer_key_files = std::move(*files);
  }
}

void read_peers(const toml::table& peers, node_file_settings& settings) {
  for (const auto& [name, value] : peers) {
    std::string id{name.str()};
    auto path = "peers." + id;
    if (auto error = node_id_error(id))
      fail(path, *error);
    auto key = value.value<std::string>();
    if (!key)
      fail(path, "expected a string with the node's Z85 public key");
    if (auto error = curve_key_error(*key, "the public key"))
      fail(path, *error);
    settings.peers[id] = *key;
  }
}

node_file_settings read_settings(const toml::table& root,
                                 const std::string& folder) {
  node_file_settings settings;
  check_keys(root, "",
             {"node", "cluster", "remote", "security", "peers", "tee"});
  if (const auto* security = sub_table(root, "security", "security"))
    read_security(*security, folder, settings);
  if (const auto* peers = sub_table(root, "peers", "peers"))
    read_peers(*peers, settings);
  if (const auto* node = sub_table(root, "node", "node")) {
    check_keys(*node, "node", {"id", "max_agent_memory_bytes"});
    settings.node_id = read_string(*node, "id", "node.id");
    std::uint64_t memory = 0;
    read_positive(*node, "max_agent_memory_bytes",
                  "node.max_agent_memory_bytes",
                  static_cast<std::int64_t>(max_agent_memory_bound), memory);
    if (memory > 0)
      settings.max_agent_memory_bytes = memory;
  }
  if (const auto* cluster = sub_table(root, "cluster", "cluster")) {
    check_keys(*cluster, "cluster",
               {"listen", "seeds", "insecure", "busy_poll_us", "timing"});
    settings.listen = read_string(*cluster, "listen", "cluster.listen");
    settings.seeds = read_string_array(*cluster, "seeds", "cluster.seeds");
    settings.insecure = read_bool(*cluster, "insecure", "cluster.insecure");
    settings.busy_poll = read_busy_poll(*cluster);
    if (const auto* timing = sub_table(*cluster, "timing", "cluster.timing"))
      read_timing(*timing, settings.membership);
  }
  if (const auto* remote_table = sub_table(root, "remote", "remote"))
    read_remote(*remote_table, settings.remote);
  if (const auto* tee = sub_table(root, "tee", "tee")) {
    check_keys(*tee, "tee", {"allow", "measurements", "allow_debug"});
    settings.tee_allow = read_string_array(*tee, "allow", "tee.allow");
    settings.tee_measurements
      = read_string_array(*tee, "measurements", "tee.measurements");
    settings.tee_allow_debug = read_bool(*tee, "allow_debug",
                                         "tee.allow_debug");
  }
  return settings;
}

} // namespace

result<node_file_settings> read_node_config_file(const std::string& path) {
  auto text = read_input_file(path, "the node configuration file");
  if (!text)
    return text.error();
  auto invalid = [&path](const std::string& what) {
    return failure{errc::invalid_request,
                   "invalid node configuration file \"" + path + "\": "
                     + what};
  };
  try {
    auto root = toml::parse(*text, path);
    auto slash = path.rfind('/');
    std::string folder;
    if (slash != std::string::npos)
      folder = slash == 0 ? "/" : path.substr(0, slash);
    return read_settings(root, folder);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return invalid("line " + std::to_string(where.line) + ", column "
                   + std::to_string(where.column) + ": "
                   + std::string{e.description()});
  } catch (const config_error& e) {
    return invalid(e.detail);
  }
}

} // namespace corral::cli
