#include "cli/process_format.hpp"

#include <iostream>

#include "cli/command_output.hpp"
#include "serialization/json_forms.hpp"

namespace corral::cli {

namespace {

std::string uptime_text(const process_info& info, std::int64_t now_ms) {
  if (info.state == process_state::exited)
    return "-";
  return format_duration(now_ms - info.start_time_ms);
}

std::string exit_text(const process_info& info) {
  return info.exit ? to_string(*info.exit) : std::string{"-"};
}

std::string join_pids(const std::vector<pid_type>& pids) {
  if (pids.empty())
    return "-";
  std::string text;
  for (auto pid : pids) {
    if (!text.empty())
      text += ",";
    text += std::to_string(pid);
  }
  return text;
}

// Memory in the largest binary unit that keeps a whole number, e.g. "64K";
// WASM memory grows in 64 KiB pages, so most figures print exactly.
std::string bytes_text(std::uint64_t bytes) {
  const char* units[] = {"", "K", "M", "G"};
  int unit = 0;
  while (unit < 3 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + units[unit];
}

} // namespace

std::vector<std::string> ps_header(bool with_exit) {
  std::vector<std::string> header{"PID",     "AGENT_ID", "TYPE",
                                  "BACKEND", "NODE",     "STATE",
                                  "RESTARTS", "MSGS_IN", "MSGS_OUT",
                                  "MEMORY",  "FUEL",     "UPTIME"};
  if (with_exit)
    header.emplace_back("EXIT_REASON");
  return header;
}

std::vector<std::string> ps_row(const process_info& info, std::int64_t now_ms,
                                bool with_exit) {
  std::vector<std::string> row{std::to_string(info.pid),
                               info.agent_id,
                               info.agent_type,
                               info.backend,
                               info.node,
                               to_string(info.state),
                               std::to_string(info.restart_count),
                               std::to_string(info.usage.messages_in),
                               std::to_string(info.usage.messages_out),
                               bytes_text(info.usage.memory_bytes),
                               std::to_string(info.usage.fuel),
                               uptime_text(info, now_ms)};
  // A proxy has no memory or fuel of its own, and ps does not ask the
  // agent's node for them (inspect does), so 0 would be wrong.
  if (info.backend == "Remote") {
    row[9] = "-";
    row[10] = "-";
  }
  if (with_exit)
    row.push_back(exit_text(info));
  return row;
}

void print_process(const process_info& info, std::int64_t now_ms) {
  auto line = [](const char* name, const std::string& value) {
    std::cout << name << ": " << value << "\n";
  };
  line("pid", std::to_string(info.pid));
  line("global pid", to_string(info.global));
  line("agent_id", info.agent_id);
  line("agent_type", info.agent_type);
  line("backend", info.backend);
  line("node", info.node);
  line("state", to_string(info.state));
  line("parent", std::to_string(info.parent));
  line("children", join_pids(info.children));
  line("restart", to_string(info.restart));
  line("restart_count", std::to_string(info.restart_count));
  line("started", format_clock_time(info.start_time_ms));
  line("uptime", uptime_text(info, now_ms));
  line("messages_in", std::to_string(info.usage.messages_in));
  line("messages_out", std::to_string(info.usage.messages_out));
  line("cpu_ns", std::to_string(info.usage.cpu_ns));
  line("memory_bytes", std::to_string(info.usage.memory_bytes));
  line("fuel", std::to_string(info.usage.fuel));
  line("capabilities", to_json(info.caps).dump());
  line("limits", to_json(info.limits).dump());
  line("exit_reason", exit_text(info));
  for (const auto& [name, value] : info.backend_details)
    line(name.c_str(), value);
}

std::string describe_change(const state_change& change) {
  auto text = format_clock_time(change.time_ms) + "  pid "
              + std::to_string(change.pid) + "  " + change.agent_id + "  "
              + to_string(change.from) + " -> " + to_string(change.to);
  if (change.exit)
    text += "  " + to_string(*change.exit);
  return text;
}

} // namespace corral::cli
