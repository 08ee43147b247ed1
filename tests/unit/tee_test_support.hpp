#pragma once

// Helpers shared by the Tee suites: a node whose Tee backend allows
// simulation (optionally with a host fault), spawn requests for enclaves,
// and a count of the enclave hosts this process has not reaped.

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "backends/builtin_backends.hpp"
#include "backends/tee/tee_launcher.hpp"
#include "wasm_test_support.hpp"

namespace corral::testing {

/// Options of a Tee backend that accepts simulated enclaves.
inline tee::tee_options simulation_options(
  tee::test_fault fault = tee::test_fault::none) {
  tee::tee_options options;
  options.policy.allowed_types = {enclave_type::simulation};
  options.fault = fault;
  return options;
}

/// A node whose Tee backend runs with `options`.
class tee_node : public node_fixture {
public:
  explicit tee_node(tee::tee_options options = simulation_options())
    : node_fixture(test_config(), registry(options)) {
  }

private:
  static backend_registry registry(const tee::tee_options& options) {
    auto backends = builtin_backends();
    backends.add("Tee", std::make_shared<tee::tee_launcher>(options));
    return backends;
  }
};

/// A request for a Tee agent running `workload`, not restarted.
inline spawn_request tee_request(
  const std::string& agent_id, const std::string& workload,
  std::optional<std::string> measurement = std::nullopt,
  enclave_type type = enclave_type::simulation) {
  spawn_request request;
  request.agent_id = agent_id;
  enclave_config enclave;
  enclave.type = type;
  enclave.workload = workload;
  enclave.expected_measurement = std::move(measurement);
  enclave.memory_bytes = 16ull << 20;
  request.backend = tee_backend{enclave};
  request.restart = restart_type::temporary;
  return request;
}

/// Counts this process's children that are enclave hosts, running or not
/// yet reaped, from /proc (the command name is cut to 15 characters).
inline int enclave_host_children() {
  int count = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr)
    return -1;
  auto self = std::to_string(::getpid());
  while (auto* entry = ::readdir(proc)) {
    std::string name = entry->d_name;
    if (name.empty() || name[0] < '0' || name[0] > '9')
      continue;
    std::ifstream stat("/proc/" + name + "/stat");
    std::string line;
    std::getline(stat, line);
    auto open = line.find('(');
    auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos)
      continue;
    auto command = line.substr(open + 1, close - open - 1);
    std::istringstream rest(line.substr(close + 2));
    std::string state, parent;
    rest >> state >> parent;
    if (parent == self && command.rfind("corral-enclave", 0) == 0)
      ++count;
  }
  ::closedir(proc);
  return count;
}

/// Waits until the agent with `pid` has exited and returns its exit
/// reason; nothing after `patience`.
inline std::optional<exit_reason> exit_of(node& n, pid_type pid) {
  std::optional<exit_reason> reason;
  wait_until(
    [&] {
      auto info = n.inspect(std::to_string(pid));
      if (info && info->exit)
        reason = info->exit;
      return reason.has_value();
    },
    patience);
  return reason;
}

} // namespace corral::testing
