// Lifecycle commands on one agent: stop, restart, suspend, resume, inspect.

#include <iostream>
#include <memory>
#include <optional>

#include "actors/grace_period.hpp"
#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/exit_code.hpp"
#include "cli/node_connection.hpp"
#include "cli/option_checks.hpp"
#include "cli/process_format.hpp"
#include "serialization/json_forms.hpp"

namespace corral::cli {

namespace {

/// Reply timeout of commands that do not wait for an agent.
constexpr std::chrono::milliseconds default_timeout{10'000};

/// Options shared by the commands that act on one agent.
struct target_options {
  connection_options connection;
  std::string target;
  bool json = false;
};

void add_target_options(CLI::App& command, target_options& options) {
  command
    .add_option("TARGET", options.target,
                "The agent: its agent_id, pid or global pid (node:pid)")
    ->required()
    ->check(non_empty("give an agent_id, a pid or a global pid"));
  command.add_flag("--json", options.json, "Print the reply as JSON");
  add_connection_options(command, options.connection);
}

/// Formats the field `key` of the reply, a JSON form of T, as text.
template <class T>
std::string describe_field(const nlohmann::json& reply, const char* key) {
  auto value = from_json<T>(reply.at(key));
  return value ? to_string(*value) : cell_text(reply.at(key));
}

struct stop_options {
  target_options target;
  /// Set when --grace was given; 0 is a valid grace period.
  std::optional<std::uint64_t> grace_ms;
  bool now = false;
};

int run_stop(const stop_options& options) {
  nlohmann::json request = {{"op", "stop"}, {"target", options.target.target}};
  auto timeout = default_timeout;
  if (options.now) {
    request["immediate"] = true;
  } else if (options.grace_ms) {
    request["grace_ms"] = *options.grace_ms;
    timeout += std::chrono::milliseconds{*options.grace_ms};
  } else {
    // The node's default grace period is not known here; 5 s is the
    // built-in default.
    timeout += std::chrono::milliseconds{5000};
  }
  return call_node(options.target.connection, std::move(request), timeout,
                   [&](const nlohmann::json& reply) {
                     if (options.target.json)
                       print_json({{"exit_reason", reply.at("exit_reason")}});
                     else
                       std::cout << options.target.target << " exited: "
                                 << describe_field<exit_reason>(reply,
                                                                "exit_reason")
                                 << "\n";
                     return exit_ok;
                   });
}

int run_restart(const target_options& options) {
  nlohmann::json request = {{"op", "restart"}, {"target", options.target}};
  // A restart stops the agent first, with the node's grace period.
  auto timeout = default_timeout + std::chrono::milliseconds{5000};
  return call_node(options.connection, std::move(request), timeout,
                   [&](const nlohmann::json& reply) {
                     const auto& result = reply.at("result");
                     if (options.json)
                       print_json(result);
                     else
                       std::cout << "restarted " << cell_text(result["agent_id"])
                                 << " as " << cell_text(result["global"])
                                 << "\n";
                     return exit_ok;
                   });
}

int run_state_change(const target_options& options, const char* op,
                     const char* done) {
  nlohmann::json request = {{"op", op}, {"target", options.target}};
  return call_node(options.connection, std::move(request), default_timeout,
                   [&](const nlohmann::json&) {
                     if (options.json)
                       print_json({{"ok", true}});
                     else
                       std::cout << done << " " << options.target << "\n";
                     return exit_ok;
                   });
}

int run_inspect(const target_options& options) {
  nlohmann::json request = {{"op", "inspect"}, {"target", options.target}};
  return call_node(options.connection, std::move(request), default_timeout,
                   [&](const nlohmann::json& reply) {
                     const auto& process = reply.at("process");
                     auto info = from_json<process_info>(process);
                     if (options.json || !info) {
                       print_json(process);
                       return exit_ok;
                     }
                     print_process(*info, now_epoch_milliseconds());
                     return exit_ok;
                   });
}

} // namespace

void add_agent_commands(CLI::App& app, command_table& commands) {
  auto stop = std::make_shared<stop_options>();
  auto grace_ms = std::make_shared<std::uint64_t>(0);
  auto* stop_command = app.add_subcommand(
    "stop", "Stop an agent and print its exit reason");
  add_target_options(*stop_command, stop->target);
  auto* grace = stop_command->add_option(
    "--grace", *grace_ms,
    "Time the agent gets to finish after the shutdown signal, in ms, at "
    "most 86400000 (24 h); 0 kills it if it has not exited at once "
    "(default: the node's, 5000)");
  grace->check(whole_number_in(0, max_grace_ms));
  auto* now = stop_command->add_flag("--now", stop->now,
                                     "Kill the agent without a grace period");
  grace->excludes(now);
  commands[stop_command] = [stop, grace, grace_ms] {
    if (grace->count() > 0)
      stop->grace_ms = *grace_ms;
    return run_stop(*stop);
  };

  auto restart = std::make_shared<target_options>();
  auto* restart_command = app.add_subcommand(
    "restart", "Stop an agent and start it again; print its new pid");
  add_target_options(*restart_command, *restart);
  commands[restart_command] = [restart] { return run_restart(*restart); };

  auto suspend = std::make_shared<target_options>();
  auto* suspend_command = app.add_subcommand(
    "suspend", "Hold an agent's messages until resume");
  add_target_options(*suspend_command, *suspend);
  commands[suspend_command] = [suspend] {
    return run_state_change(*suspend, "suspend", "suspended");
  };

  auto resume = std::make_shared<target_options>();
  auto* resume_command = app.add_subcommand(
    "resume", "Deliver the messages held since suspend");
  add_target_options(*resume_command, *resume);
  commands[resume_command] = [resume] {
    return run_state_change(*resume, "resume", "resumed");
  };

  auto inspect = std::make_shared<target_options>();
  auto* inspect_command = app.add_subcommand(
    "inspect", "Show every field of an agent's process-table entry");
  add_target_options(*inspect_command, *inspect);
  commands[inspect_command] = [inspect] { return run_inspect(*inspect); };
}

} // namespace corral::cli
