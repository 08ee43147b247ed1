// `corral demo`: a guided run of an embedded node. It spawns a command
// loop, a counter and a worker, exchanges messages with them, with two
// WASM agents and a simulated Tee agent (demo_tee.cpp), crashes the worker
// and shows its supervisor restarting it. Then two more nodes in the
// process form a cluster (demo_cluster.cpp), and a container agent
// (demo_container.cpp) answers the same echo.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "actors/node.hpp"
#include "backends/builtin_backends.hpp"
#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/demo_cluster.hpp"
#include "cli/demo_container.hpp"
#include "cli/demo_tee.hpp"
#include "cli/exit_code.hpp"
#include "cli/process_format.hpp"
#include "examples/native/example_agents.hpp"

namespace corral::cli {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds request_timeout{2000};

/// Maximum wait for the supervisor's restart. The default backoff is
/// 100 ms, so this only ends a demo whose node misbehaves.
constexpr milliseconds restart_wait{5000};

struct demo_options {
  // The crash is on purpose, so its warning would only interrupt the output.
  std::string log_level = "error";
  std::string modules = CORRAL_WASM_EXAMPLES_DIR;
};

/// A failed demo step, with a message naming the step.
struct demo_failure {
  std::string message;
};

void step(const std::string& text) {
  std::cout << "\n== " << text << "\n";
}

spawn_result spawn_request_or_fail(node& instance,
                                   const spawn_request& request,
                                   const std::string& what) {
  auto spawned = instance.spawn(request);
  if (!spawned)
    throw demo_failure{"spawning " + request.agent_id + " failed: "
                       + describe(spawned.error())};
  std::cout << "spawned " << request.agent_id << " (" << what << ") as "
            << to_string(spawned->global) << "\n";
  return *spawned;
}

spawn_result spawn_agent(node& instance, const std::string& agent_id,
                         const std::string& agent_type) {
  spawn_request request;
  request.agent_id = agent_id;
  request.agent_type = agent_type;
  return spawn_request_or_fail(instance, request, agent_type);
}

spawn_result spawn_wasm(node& instance, const std::string& agent_id,
                        const std::string& module) {
  spawn_request request;
  request.agent_id = agent_id;
  request.backend = wasm_backend{module};
  return spawn_request_or_fail(instance, request, "WASM " + module);
}

std::string ask(node& instance, const std::string& target,
                const std::string& topic, const std::string& payload) {
  auto reply = instance.request(target, topic, payload, request_timeout);
  if (!reply)
    throw demo_failure{"request " + topic + " to " + target + " failed: "
                       + describe(reply.error())};
  std::cout << target << " <- " << topic
            << (payload.empty() ? "" : " \"" + payload + "\"") << "  => "
            << reply->payload << "\n";
  return reply->payload;
}

process_info inspect(node& instance, const std::string& target) {
  auto info = instance.inspect(target);
  if (!info)
    throw demo_failure{"inspect " + target + " failed: "
                       + describe(info.error())};
  return *info;
}

/// Polls until `agent_id` runs under a pid other than `old_pid`.
process_info wait_for_restart(node& instance, const std::string& agent_id,
                              pid_type old_pid) {
  auto deadline = std::chrono::steady_clock::now() + restart_wait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto info = instance.inspect(agent_id);
    if (info && info->pid != old_pid && info->state == process_state::running)
      return *info;
    std::this_thread::sleep_for(milliseconds{20});
  }
  throw demo_failure{agent_id + " was not restarted within "
                     + std::to_string(restart_wait.count()) + " ms"};
}

void crash_and_recover(node& instance) {
  auto before = inspect(instance, "worker-1");
  std::cout << "worker-1 runs as pid " << before.pid << ", restart count "
            << before.restart_count << "\n";

  auto reply = instance.request("worker-1", "crash", "demo", request_timeout);
  if (reply)
    throw demo_failure{"worker-1 replied to crash instead of crashing"};
  std::cout << "worker-1 <- crash \"demo\"  => error: "
            << describe(reply.error()) << "\n";

  auto after = wait_for_restart(instance, "worker-1", before.pid);
  std::cout << "the supervisor restarted worker-1: pid " << before.pid
            << " -> " << after.pid << ", restart count "
            << after.restart_count << "\n";
  auto old = inspect(instance, std::to_string(before.pid));
  if (old.exit)
    std::cout << "pid " << before.pid << " exited with "
              << to_string(*old.exit) << "\n";
}

void print_summary(node& instance) {
  auto entries = instance.list(true);
  if (!entries)
    throw demo_failure{"listing the agents failed: "
                       + describe(entries.error())};
  std::sort(entries->begin(), entries->end(),
            [](const auto& x, const auto& y) { return x.pid < y.pid; });
  std::vector<std::vector<std::string>> rows;
  auto now = now_epoch_milliseconds();
  for (const auto& info : *entries)
    rows.push_back(ps_row(info, now, true));
  print_table(ps_header(true), rows);

  auto counters = instance.stats();
  std::cout << "\nnode " << counters.node_id << ": " << counters.live_agents
            << " live agents, " << counters.spawned << " spawned, "
            << counters.dead_letters << " dead letters\n";
}

// The WASM step needs the example modules, which the build puts next to
// the corral binary's build folder; an installed corral may lack them.
void run_wasm_steps(node& instance, const std::string& folder) {
  auto echo = folder + "/echo.wat";
  auto counter = folder + "/counter.wat";
  std::error_code missing;
  if (!std::filesystem::exists(echo, missing)
      || !std::filesystem::exists(counter, missing)) {
    std::cout << "skipped: the example modules are not in " << folder
              << "; pass --modules with the folder of echo.wat and "
                 "counter.wat\n";
    return;
  }
  spawn_wasm(instance, "wasm-echo", echo);
  spawn_wasm(instance, "wasm-counter", counter);
  ask(instance, "wasm-echo", "echo", "hello from a sandbox");
  ask(instance, "wasm-counter", "add", "5");
  ask(instance, "wasm-counter", "add", "37");
  ask(instance, "wasm-counter", "get", "");
}

void run_steps(node& instance, const std::string& modules) {
  step("spawning three native agents");
  spawn_agent(instance, "loop-1", "command_loop");
  spawn_agent(instance, "counter-1", "counter");
  spawn_agent(instance, "worker-1", "worker");

  step("request-reply");
  ask(instance, "loop-1", "ping", "");
  ask(instance, "loop-1", "echo", "hello, corral");
  for (int i = 0; i < 3; ++i)
    ask(instance, "counter-1", "increment", "");
  ask(instance, "counter-1", "get", "");
  ask(instance, "worker-1", "work", "job-1");

  step("WASM agents: the same messages, in a sandboxed interpreter");
  run_wasm_steps(instance, modules);

  run_tee_step(instance, modules);

  step("crashing worker-1 on purpose");
  crash_and_recover(instance);
  ask(instance, "worker-1", "work", "job-2");

  step("a cluster of two more nodes in this process: spawning on another "
       "node");
  auto cluster = run_demo_cluster(modules);
  if (!cluster)
    throw demo_failure{cluster.error().detail};

  // After the cluster step, so that the engine's processes, which start
  // and clean up containers in the background, do not compete with it.
  step("a container agent: the same echo, in a Podman container");
  run_container_step(instance);

  step("summary (ps --all)");
  print_summary(instance);
  std::cout << *cluster << "\n";
}

int run_demo(const demo_options& options) {
  if (!set_log_level(options.log_level)) {
    std::cerr << "corral: unknown --log-level " << options.log_level << "\n";
    return exit_usage;
  }
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  examples::register_example_agents();

  node_config config;
  config.node_id = "demo";
  config.default_grace_ms = 1000;
  try {
    node instance{config, with_demo_tee(builtin_backends(), config.node_id)};
    std::cout << "started an embedded node \"demo\" in this process\n";
    run_steps(instance, options.modules);
  } catch (const demo_failure& e) {
    std::cerr << "corral: demo failed: " << e.message << "\n";
    return exit_failed;
  }
  std::cout << "\ndemo finished; the node stopped every agent\n";
  return exit_ok;
}

} // namespace

void add_demo_command(CLI::App& app, command_table& commands) {
  auto options = std::make_shared<demo_options>();
  auto* command = app.add_subcommand(
    "demo", "Run a short demo on an embedded node: native and WASM agents, "
            "messages, a crash and a supervised restart, then a cluster of "
            "two nodes on 127.0.0.1 and a spawn on the other node");
  command->add_option("--modules", options->modules,
                      "Folder with the example WASM agents echo.wat and "
                      "counter.wat")
    ->capture_default_str();
  command->add_option("--log-level", options->log_level,
                      "trace, debug, info, warn, error or off")
    ->capture_default_str();
  commands[command] = [options] { return run_demo(*options); };
}

} // namespace corral::cli
