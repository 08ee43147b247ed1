// `corral node`: runs a node in the foreground and serves its control
// endpoint until SIGINT or SIGTERM; with --listen, also joins a cluster.

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "actors/grace_period.hpp"
#include "actors/log.hpp"
#include "actors/node.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/container/container_launcher.hpp"
#include "backends/remote/remote_service.hpp"
#include "backends/tee/tee_launcher.hpp"
#include "cli/cluster_control.hpp"
#include "cli/command.hpp"
#include "cli/control_handler.hpp"
#include "cli/exit_code.hpp"
#include "cli/node_config_file.hpp"
#include "cli/node_connection.hpp"
#include "cli/node_options.hpp"
#include "cli/node_security.hpp"
#include "cli/node_tee_policy.hpp"
#include "cli/option_checks.hpp"
#include "examples/native/example_agents.hpp"
#include "net/cluster_node.hpp"
#include "net/control_endpoint.hpp"
#include "net/control_protocol.hpp"
#include "net/listen_address.hpp"
#include "net/socket_file.hpp"
#include "serialization/node_id.hpp"

namespace corral::cli {

namespace {

void log_node(spdlog::level::level_enum level, const node_options& options,
              const std::string& text) {
  log(level, {options.config.node_id, kernel_pid, {}}, text);
}

/// Reads the keys of cluster mode without --insecure; returns disabled
/// security otherwise.
result<curve_security> load_security(const node_options& options) {
  if (options.listen.empty() || options.insecure)
    return curve_security{};
  std::vector<seed_address> seeds;
  for (const auto& seed : options.seeds)
    seeds.push_back(split_seed(seed));
  return load_curve_security(options.security, seeds, options.config.node_id);
}

/// Starts cluster mode when --listen is set; returns nothing otherwise.
result<std::unique_ptr<cluster_node>> start_cluster(const node_options& options,
                                                    curve_security security,
                                                    node& local) {
  if (options.listen.empty())
    return std::unique_ptr<cluster_node>{};
  if (!security.enabled)
    log_node(spdlog::level::warn, options,
             "cluster mode with --insecure: node-to-node traffic is neither "
             "authenticated nor encrypted; run it only on a network you "
             "trust, or use keys from `corral keygen` instead");
  cluster_config config;
  config.node_id = options.config.node_id;
  config.listen_address = options.listen;
  for (const auto& seed : options.seeds)
    config.seeds.push_back(split_seed(seed).address);
  config.transport.security = std::move(security);
  config.membership = options.membership;
  if (options.busy_poll)
    config.transport.busy_poll = *options.busy_poll;
  config.local_agents = [&local] {
    return static_cast<std::uint64_t>(local.stats().live_agents);
  };
  auto cluster = std::make_unique<cluster_node>();
  if (auto error = cluster->start(std::move(config)))
    return *error;
  log_node(spdlog::level::info, options,
           "cluster node listening on " + cluster->listen_address());
  return cluster;
}

/// Writes a new random token to `path` with mode 0600.
result<std::string> write_new_token(const std::string& path) {
  if (auto error = prepare_socket_directory(path))
    return *error;
  auto write_failure = [&path](int error) {
    return failure{errc::internal_error, "cannot write the token file \""
                                           + path + "\": "
                                           + std::strerror(error)};
  };
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return write_failure(errno);
  if (::fchmod(fd, 0600) != 0) {
    auto error = errno;
    ::close(fd);
    return write_failure(error);
  }
  auto token = make_control_token();
  auto line = token + "\n";
  auto written = ::write(fd, line.data(), line.size());
  // A short write to a regular file means the disk is full.
  auto error = written < 0 ? errno : ENOSPC;
  ::close(fd);
  if (written != static_cast<ssize_t>(line.size()))
    return write_failure(error);
  return token;
}

/// Finds the token of a tcp endpoint: --token-file, $CORRAL_CONTROL_TOKEN,
/// or a new one written next to the node's default socket path.
result<std::string> find_or_make_token(const node_options& options) {
  if (!options.token_file.empty())
    return read_token_file(options.token_file);
  const char* from_environment = std::getenv("CORRAL_CONTROL_TOKEN");
  if (from_environment != nullptr && *from_environment != '\0')
    return std::string{from_environment};
  auto path = default_token_path(options.config.node_id);
  if (!path)
    return path.error();
  auto token = write_new_token(*path);
  if (token)
    log_node(spdlog::level::info, options,
             "wrote the control token to " + *path);
  return token;
}

result<control_endpoint_config> make_endpoint_config(const node_options& options) {
  control_endpoint_config config;
  config.node_id = options.config.node_id;
  config.handler_threads = options.handler_threads;
  auto address = options.control.empty()
                   ? default_control_address(options.config.node_id)
                   : parse_control_address(options.control);
  if (!address)
    return address.error();
  config.address = *address;
  if (config.address.transport == control_transport::tcp) {
    auto token = find_or_make_token(options);
    if (!token)
      return token.error();
    config.token = *token;
  }
  return config;
}

// libzmq aborts the process when accept() fails with EMFILE, so a node
// raises its soft file-descriptor limit to the hard limit before it binds.
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

/// Blocks SIGINT and SIGTERM in this thread and in every thread it starts
/// later, so that `wait_for_stop_signal` receives them synchronously.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

const char* signal_name(int signal) {
  return signal == SIGINT ? "SIGINT" : "SIGTERM";
}

/// Removes a stop signal that arrived while signals were blocked and
/// returns it, or returns 0 when none is pending. Never waits.
int take_pending_stop_signal(const sigset_t& signals) {
  timespec no_wait{0, 0};
  int received = 0;
  do
    received = sigtimedwait(&signals, nullptr, &no_wait);
  while (received < 0 && errno == EINTR);
  return received > 0 ? received : 0;
}

/// Logs that start-up ends early because of `signal`. The caller still
/// exits with exit_ok, because a stop before the node is ready is a clean
/// stop too.
void log_stop_during_start_up(const node_options& options, int signal) {
  log_node(spdlog::level::info, options,
           std::string{"received "} + signal_name(signal)
             + " during start-up; stopping before the node is ready");
}

int wait_for_stop_signal(const sigset_t& signals) {
  int received = 0;
  while (sigwait(&signals, &received) != 0)
    ;
  // A second Ctrl-C during a slow shutdown ends the process at once: only
  // this thread unblocks the signals, so the kernel delivers them here.
  // A second SIGTERM is ignored, because timeout(1) sends SIGTERM to the
  // node and to its process group at once, and would otherwise end the
  // node before it left the cluster and removed its socket file. Tools
  // that want a stop to end sooner send SIGKILL.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_IGN);
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  return received;
}

int run_node(node_options& options) {
  if (auto error = apply_config_file(options)) {
    std::cerr << "corral: " << error->detail << "\n";
    return exit_usage;
  }
  if (auto error = cluster_usage_error(options)) {
    std::cerr << "corral: " << *error << "\n";
    return exit_usage;
  }
  auto security = load_security(options);
  if (!security) {
    std::cerr << "corral: " << security.error().detail << "\n";
    return exit_usage;
  }

  // Signals are blocked before any step that creates a file, so that a stop
  // signal never kills the process half-way through start-up. A signal that
  // arrives during start-up stays pending, and the checks between the steps
  // below stop the node cleanly instead of making it ready first.
  auto signals = block_stop_signals();
  if (!set_log_level(options.log_level)) {
    std::cerr << "corral: unknown --log-level " << options.log_level
              << " (expected trace, debug, info, warn, error or off)\n";
    return exit_usage;
  }
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  if (int received = take_pending_stop_signal(signals)) {
    log_stop_during_start_up(options, received);
    return exit_ok;
  }

  auto endpoint_config = make_endpoint_config(options);
  if (!endpoint_config) {
    std::cerr << "corral: " << endpoint_config.error().detail << "\n";
    return exit_usage;
  }
  auto tee_policy = make_tee_policy(options.tee);
  if (!tee_policy) {
    std::cerr << "corral: " << tee_policy.error().detail << "\n";
    return exit_usage;
  }

  raise_file_limit();
  examples::register_example_agents();
  auto remote = std::make_shared<remote::remote_service>(options.remote);
  auto backends = builtin_backends();
  backends.add("Remote", remote->make_launcher());
  if (auto* containers = dynamic_cast<container::container_launcher*>(
        backends.find("Container")))
    containers->remove_leftovers_in_background();
  tee::tee_options tee_options;
  tee_options.policy = std::move(*tee_policy);
  tee_options.node_id = options.config.node_id;
  backends.add("Tee", std::make_shared<tee::tee_launcher>(tee_options));
  node instance{options.config, std::move(backends)};
  if (int received = take_pending_stop_signal(signals)) {
    log_stop_during_start_up(options, received);
    return exit_ok;
  }

  auto cluster = start_cluster(options, std::move(*security), instance);
  if (!cluster) {
    log_node(spdlog::level::err, options,
             "cannot start the cluster node: " + to_string(cluster.error()));
    return exit_failed;
  }
  if (*cluster)
    remote->attach(instance.shared_services(), instance.system(), **cluster);

  // Requests can arrive before `start` returns, so `stats` reads the
  // endpoint through an atomic pointer that is set afterwards.
  std::atomic<control_endpoint*> endpoint_view{nullptr};
  control_handler handler{instance, [&endpoint_view] {
                            auto* endpoint = endpoint_view.load();
                            return endpoint ? to_json(endpoint->counters())
                                            : nlohmann::json::object();
                          }};
  auto endpoint = control_endpoint::start(
    *endpoint_config,
    with_cluster_operations(handler, instance, cluster->get()));
  if (!endpoint) {
    log_node(spdlog::level::err, options,
             "cannot start the control endpoint: "
               + to_string(endpoint.error()));
    return exit_failed;
  }
  endpoint_view = endpoint->get();

  int received = take_pending_stop_signal(signals);
  if (received != 0) {
    log_stop_during_start_up(options, received);
  } else {
    log_node(spdlog::level::info, options,
             "node ready; control endpoint " + (*endpoint)->endpoint()
               + "; stop it with Ctrl-C or SIGTERM");
    received = wait_for_stop_signal(signals);
    log_node(spdlog::level::info, options,
             std::string{"received "} + signal_name(received) + "; stopping");
  }

  // The endpoint goes first: its streams refer to the node. The cluster
  // node follows, telling its peers that this node leaves.
  endpoint_view = nullptr;
  endpoint->reset();
  remote->detach();
  if (*cluster)
    (*cluster)->stop();
  return exit_ok;
}

} // namespace

void add_node_command(CLI::App& app, command_table& commands) {
  auto options = std::make_shared<node_options>();
  auto* command = app.add_subcommand(
    "node", "Run a node in the foreground until SIGINT or SIGTERM");

  add_node_options(*command, *options);

  options->command = command;
  commands[command] = [options] { return run_node(*options); };
}

} // namespace corral::cli
