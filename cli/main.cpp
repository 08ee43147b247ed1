// The `corral` executable: parses the command line and runs one subcommand.

#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"
#include "serialization/json_reader.hpp"

namespace {

/// Returns the first argument that is not an option when it names no
/// subcommand. CLI11 would only report that a subcommand is required.
std::optional<std::string> find_unknown_command(const CLI::App& app, int argc,
                                                char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    if (!argument.empty() && argument.front() == '-')
      continue;
    for (const auto* command : app.get_subcommands({}))
      if (command->check_name(argument))
        return std::nullopt;
    return argument;
  }
  return std::nullopt;
}

std::string list_commands(const CLI::App& app) {
  std::string names;
  for (const auto* command : app.get_subcommands({}))
    names += (names.empty() ? "" : ", ") + command->get_name();
  return names;
}

} // namespace

int main(int argc, char** argv) {
  using namespace corral::cli;

  CLI::App app{"corral runs agents as actors. Start a node with `corral node`, "
               "then manage its agents with the other commands.",
               "corral"};
  app.require_subcommand(1, 1);
  app.set_version_flag("--version", CORRAL_VERSION);

  command_table commands;
  add_node_command(app, commands);
  add_spawn_command(app, commands);
  add_message_commands(app, commands);
  add_ps_command(app, commands);
  add_agent_commands(app, commands);
  add_watch_command(app, commands);
  add_node_info_commands(app, commands);
  add_nodes_command(app, commands);
  add_keygen_command(app, commands);
  add_demo_command(app, commands);

  if (auto unknown = find_unknown_command(app, argc, argv)) {
    std::cerr << "corral: unknown command " << corral::quote_for_error(*unknown)
              << "; the commands are " << list_commands(app)
              << ", and corral --help describes them\n";
    return exit_usage;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0.
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }

  try {
    for (const auto* command : app.get_subcommands()) {
      auto runner = commands.find(command);
      if (runner != commands.end())
        return runner->second();
    }
  } catch (const std::exception& e) {
    std::cerr << "corral: internal error: " << e.what() << "\n";
    return exit_failed;
  }
  std::cerr << "corral: no command given; see corral --help\n";
  return exit_usage;
}
