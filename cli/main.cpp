// The `corral` executable: parses the command line and runs one subcommand.

#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"

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
  add_demo_command(app, commands);

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
