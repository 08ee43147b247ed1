#pragma once

#include <functional>
#include <map>

#include <CLI/CLI.hpp>

namespace corral::cli {

/// Runs a parsed subcommand and returns the process exit code.
using command_runner = std::function<int()>;

/// The runner of each subcommand, keyed by its CLI11 app.
using command_table = std::map<const CLI::App*, command_runner>;

// Each function adds its subcommands to `app` and their runners to
// `commands`. The runners read the options the parse filled in.

void add_node_command(CLI::App& app, command_table& commands);
void add_demo_command(CLI::App& app, command_table& commands);
void add_spawn_command(CLI::App& app, command_table& commands);
void add_agent_commands(CLI::App& app, command_table& commands);
void add_message_commands(CLI::App& app, command_table& commands);
void add_ps_command(CLI::App& app, command_table& commands);
void add_watch_command(CLI::App& app, command_table& commands);
void add_node_info_commands(CLI::App& app, command_table& commands);
void add_nodes_command(CLI::App& app, command_table& commands);
void add_keygen_command(CLI::App& app, command_table& commands);

} // namespace corral::cli
