// `corral nodes`: the cluster's members in the node's member list.

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/exit_code.hpp"
#include "cli/node_connection.hpp"

namespace corral::cli {

namespace {

struct nodes_options {
  connection_options connection;
  bool json = false;
};

/// "12ms ago", or "-" when nothing was heard.
std::string heartbeat_age(const nlohmann::json& member) {
  const auto& age = member.value("last_heartbeat_ms", nlohmann::json{});
  if (!age.is_number_integer())
    return "-";
  return format_duration(age.get<std::int64_t>()) + " ago";
}

/// Milliseconds with two decimals, e.g. "0.31ms", or "-".
std::string round_trip(const nlohmann::json& member) {
  const auto& rtt = member.value("rtt_us", nlohmann::json{});
  if (!rtt.is_number_integer())
    return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2fms",
                static_cast<double>(rtt.get<std::int64_t>()) / 1000.0);
  return text;
}

int print_nodes(const nodes_options& options, const nlohmann::json& reply) {
  const auto& members = reply.at("members");
  if (options.json) {
    print_json(members);
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& member : members) {
    auto id = cell_text(member.value("node_id", nlohmann::json{}));
    if (member.value("self", false))
      id += " (this node)";
    rows.push_back({id, cell_text(member.value("address", nlohmann::json{})),
                    cell_text(member.value("state", nlohmann::json{})),
                    heartbeat_age(member), round_trip(member),
                    cell_text(member.value("agents", nlohmann::json{}))});
  }
  print_table({"ID", "ADDRESS", "STATE", "LAST HEARTBEAT", "RTT", "AGENTS"},
              rows);
  return exit_ok;
}

} // namespace

void add_nodes_command(CLI::App& app, command_table& commands) {
  auto options = std::make_shared<nodes_options>();
  auto* command = app.add_subcommand(
    "nodes", "List the cluster's members with state, last heartbeat, RTT and agents");
  command->add_flag("--json", options->json, "Print the members as JSON");
  add_connection_options(*command, options->connection);
  commands[command] = [options] {
    return call_node(options->connection, {{"op", "nodes"}},
                     std::chrono::milliseconds{10'000},
                     [&](const nlohmann::json& reply) {
                       return print_nodes(*options, reply);
                     });
  };
}

} // namespace corral::cli
