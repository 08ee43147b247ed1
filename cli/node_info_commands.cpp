// Commands about the node as a whole: stats, dead-letters and ping.

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/exit_code.hpp"
#include "cli/node_connection.hpp"

namespace corral::cli {

namespace {

constexpr std::chrono::milliseconds reply_timeout{10'000};

struct node_info_options {
  connection_options connection;
  bool json = false;
};

void add_common_options(CLI::App& command, node_info_options& options) {
  command.add_flag("--json", options.json, "Print the reply as JSON");
  add_connection_options(command, options.connection);
}

/// Prints the fields of `object` as "prefix.name: value" lines: scalars
/// first, then each nested object.
void print_fields(const nlohmann::json& object, const std::string& prefix) {
  auto key_of = [&](const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
  };
  for (const auto& [name, value] : object.items())
    if (!value.is_object())
      std::cout << key_of(name) << ": " << cell_text(value) << "\n";
  for (const auto& [name, value] : object.items())
    if (value.is_object())
      print_fields(value, key_of(name));
}

int print_stats(const node_info_options& options, const nlohmann::json& reply) {
  const auto& stats = reply.at("stats");
  if (options.json) {
    print_json(stats);
    return exit_ok;
  }
  auto text = stats;
  if (text.contains("uptime_ms"))
    text["uptime"] = format_duration(text["uptime_ms"].get<std::int64_t>());
  print_fields(text, "");
  return exit_ok;
}

int print_dead_letters(const node_info_options& options,
                       const nlohmann::json& reply) {
  if (options.json) {
    print_json({{"dead_letters", reply.at("dead_letters")},
                {"total", reply.at("total")},
                {"dropped", reply.at("dropped")}});
    return exit_ok;
  }
  // The table reads the JSON directly, so that one odd entry cannot hide
  // the others.
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : reply.at("dead_letters")) {
    auto message = entry.value("message", nlohmann::json::object());
    rows.push_back({format_clock_time(entry.value("time_ms", std::int64_t{0})),
                    cell_text(entry.value("target", nlohmann::json{})),
                    cell_text(message.value("topic", nlohmann::json{})),
                    cell_text(entry.value("reason", nlohmann::json{})),
                    cell_text(message.value("from", nlohmann::json{}))});
  }
  print_table({"TIME", "TARGET", "TOPIC", "REASON", "FROM"}, rows);
  std::cout << "total " << cell_text(reply.at("total")) << ", dropped "
            << cell_text(reply.at("dropped")) << "\n";
  return exit_ok;
}

int print_ping(const node_info_options& options, const nlohmann::json& reply) {
  if (options.json) {
    auto copy = reply;
    copy.erase("id");
    print_json(copy);
  } else {
    std::cout << "node " << cell_text(reply.at("node_id")) << " is up (corral "
              << cell_text(reply.at("version")) << ", protocol "
              << cell_text(reply.at("protocol")) << ")\n";
  }
  return exit_ok;
}

void add_info_command(CLI::App& app, command_table& commands, const char* name,
                      const char* op, const char* description,
                      int (*print)(const node_info_options&,
                                   const nlohmann::json&)) {
  auto options = std::make_shared<node_info_options>();
  auto* command = app.add_subcommand(name, description);
  add_common_options(*command, *options);
  commands[command] = [options, op, print] {
    return call_node(options->connection, {{"op", op}}, reply_timeout,
                     [&](const nlohmann::json& reply) {
                       return print(*options, reply);
                     });
  };
}

} // namespace

void add_node_info_commands(CLI::App& app, command_table& commands) {
  add_info_command(app, commands, "stats", "stats",
                   "Show the node's counters", print_stats);
  add_info_command(app, commands, "dead-letters", "dead_letters",
                   "List the messages that could not be delivered",
                   print_dead_letters);
  add_info_command(app, commands, "ping", "ping",
                   "Check that a node answers on its control address",
                   print_ping);
}

} // namespace corral::cli
