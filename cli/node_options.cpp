#include "cli/node_options.hpp"

#include <limits>

#include "actors/grace_period.hpp"
#include "cli/node_config_file.hpp"
#include "cli/option_checks.hpp"
#include "net/listen_address.hpp"
#include "serialization/node_id.hpp"

namespace corral::cli {

void add_node_options(CLI::App& command, node_options& options) {
  auto& config = options.config;
  command.add_option("--id", config.node_id, "Node id, unique in the cluster")
    ->capture_default_str();
  command
    .add_option("--control", options.control,
                "Control address: a socket path, ipc://PATH or "
                "tcp://127.0.0.1:PORT (default: "
                "$XDG_RUNTIME_DIR/corral/ID.sock, else "
                "/tmp/corral-UID/ID.sock)")
    ->check(non_empty("give an address, or leave --control out to use the "
                      "default socket path"));
  command
    .add_option("--token-file", options.token_file,
                "File holding the token that a tcp control address "
                "requires (default: $CORRAL_CONTROL_TOKEN, else a new "
                "token written next to the default socket path)")
    ->check(non_empty("give a file, or leave --token-file out to use "
                      "$CORRAL_CONTROL_TOKEN or a new token"));

  command.add_option("--max-agents", config.max_agents,
                     "Live agents at most")
    ->check(whole_number_in(1, std::numeric_limits<std::size_t>::max()))
    ->capture_default_str();
  command
    .add_option("--max-agent-memory", config.max_agent_memory_bytes,
                "Memory one agent may request, in bytes (limits.memory_bytes, "
                "a Tee enclave's memory_bytes); larger spawns are rejected")
    ->check(whole_number_in(1, max_agent_memory_bound))
    ->capture_default_str();
  command.add_option("--grace", config.default_grace_ms,
                     "Default grace period of stop, in ms, at most 86400000 "
                     "(24 h)")
    ->check(whole_number_in(0, max_grace_ms))
    ->capture_default_str();
  command.add_option("--threads", config.scheduler_threads,
                     "Scheduler threads, 0 to 1024; 0 means one per core")
    ->check(CLI::Range(0, 1024))
    ->capture_default_str();
  command.add_option("--control-threads", options.handler_threads,
                     "Threads that run control requests")
    ->check(CLI::Range(1, 64))
    ->capture_default_str();
  command.add_option("--log-level", options.log_level,
                     "trace, debug, info, warn, error or off")
    ->capture_default_str();

  command
    .add_option("--listen", options.listen,
                "Cluster mode: accept peers on tcp://HOST:PORT (port 0 "
                "picks a free one); peers connect to this address")
    ->check(non_empty("give tcp://HOST:PORT, or leave --listen out to run "
                      "the node alone"));
  command
    .add_option("--seed", options.seeds,
                "A node to join through, NODE_ID@tcp://HOST:PORT (the node "
                "id selects its public key; plain tcp://HOST:PORT only "
                "with --insecure); repeatable")
    ->check(non_empty("give NODE_ID@tcp://HOST:PORT of a running node"));
  command
    .add_option("--key", options.security.key_file,
                "This node's secret key file from `corral keygen`; the "
                "public key is derived from it")
    ->check(non_empty("give the PREFIX.key file that `corral keygen` wrote"));
  command
    .add_option("--peer-key", options.security.peer_keys,
                "NODE_ID=KEY: the Z85 public key of a node this node "
                "accepts and connects to; repeatable")
    ->check(non_empty("give NODE_ID=KEY"));
  command
    .add_option("--peer-keys", options.security.peer_key_files,
                "File of NODE_ID=KEY lines ('#' starts a comment line); "
                "repeatable")
    ->check(non_empty("give a file of NODE_ID=KEY lines"));
  command.add_flag("--insecure", options.insecure,
                   "Run cluster mode without CurveZMQ: no authentication "
                   "and no encryption, only for a trusted network");
  command
    .add_option("--config", options.config_file,
                "TOML file with [node] id and max_agent_memory_bytes, "
                "[cluster] listen, seeds, insecure, busy_poll_us and "
                "timing, [remote] timeouts, [security] key_file, [peers] "
                "and [tee] allow, measurements and allow_debug; flags "
                "given here override it")
    ->check(non_empty("give a file, or leave --config out"));

  add_tee_policy_options(command, options.tee);
}

std::optional<failure> apply_config_file(node_options& options) {
  if (options.config_file.empty())
    return std::nullopt;
  auto file = read_node_config_file(options.config_file);
  if (!file)
    return file.error();
  auto given = [&options](const char* flag) {
    return options.command != nullptr && options.command->count(flag) > 0;
  };
  if (file->node_id && !given("--id"))
    options.config.node_id = *file->node_id;
  if (file->max_agent_memory_bytes && !given("--max-agent-memory"))
    options.config.max_agent_memory_bytes = *file->max_agent_memory_bytes;
  if (file->listen && !given("--listen"))
    options.listen = *file->listen;
  if (file->seeds && !given("--seed"))
    options.seeds = *file->seeds;
  if (file->insecure && !given("--insecure"))
    options.insecure = *file->insecure;
  if (file->key_file && !given("--key"))
    options.security.key_file = *file->key_file;
  if (file->peer_key_files && !given("--peer-keys"))
    options.security.peer_key_files = *file->peer_key_files;
  options.security.file_peers = file->peers;
  options.membership = file->membership;
  options.remote = file->remote;
  options.busy_poll = file->busy_poll;
  if (file->tee_allow && !given("--tee-allow"))
    options.tee.allow = *file->tee_allow;
  if (file->tee_measurements && !given("--tee-measurement"))
    options.tee.measurements = *file->tee_measurements;
  if (file->tee_allow_debug && !given("--tee-allow-debug"))
    options.tee.allow_debug = *file->tee_allow_debug;
  return std::nullopt;
}

std::optional<std::string> cluster_usage_error(const node_options& options) {
  if (options.listen.empty()) {
    if (!options.seeds.empty())
      return "--seed needs --listen: a node joins a cluster only with an "
             "address where its peers reach it";
    return std::nullopt;
  }
  const auto& security = options.security;
  bool has_keys = !security.key_file.empty() || !security.peer_keys.empty()
                  || !security.peer_key_files.empty()
                  || !security.file_peers.empty();
  if (options.insecure && has_keys)
    return "--insecure turns CurveZMQ off, so the keys given with it would "
           "be ignored; drop --insecure to use the keys, or drop the keys";
  if (auto error = node_id_error(options.config.node_id))
    return "--id: " + *error;
  if (auto address = parse_listen_address(options.listen); !address)
    return "--listen: " + address.error().detail;
  for (const auto& seed : options.seeds)
    if (auto address = parse_listen_address(split_seed(seed).address);
        !address)
      return "--seed: " + address.error().detail;
  return std::nullopt;
}

} // namespace corral::cli
