// `corral ps`: the process table as a table or JSON.

#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/exit_code.hpp"
#include "cli/node_connection.hpp"
#include "cli/process_format.hpp"
#include "serialization/json_forms.hpp"

namespace corral::cli {

namespace {

struct ps_options {
  connection_options connection;
  bool all = false;
  bool json = false;
};

int print_processes(const ps_options& options, const nlohmann::json& reply) {
  const auto& processes = reply.at("processes");
  if (options.json) {
    print_json(processes);
    return exit_ok;
  }

  std::vector<process_info> entries;
  for (const auto& process : processes) {
    auto info = from_json<process_info>(process);
    if (!info) {
      std::cerr << "corral: the node sent an unreadable process entry: "
                << info.error().detail << "\n";
      return exit_failed;
    }
    entries.push_back(std::move(*info));
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& x, const auto& y) { return x.pid < y.pid; });

  auto now = now_epoch_milliseconds();
  std::vector<std::vector<std::string>> rows;
  for (const auto& info : entries)
    rows.push_back(ps_row(info, now, options.all));
  print_table(ps_header(options.all), rows);
  return exit_ok;
}

} // namespace

void add_ps_command(CLI::App& app, command_table& commands) {
  auto options = std::make_shared<ps_options>();
  auto* command = app.add_subcommand("ps", "List the agents of a node");
  command->add_flag("--all,-a", options->all,
                    "Include exited agents and their exit reasons");
  command->add_flag("--json", options->json, "Print the entries as JSON");
  add_connection_options(*command, options->connection);
  commands[command] = [options] {
    nlohmann::json request = {{"op", "ps"}, {"all", options->all}};
    return call_node(options->connection, std::move(request),
                     std::chrono::milliseconds{10'000},
                     [&](const nlohmann::json& reply) {
                       return print_processes(*options, reply);
                     });
  };
}

} // namespace corral::cli
