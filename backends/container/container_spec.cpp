#include "backends/container/container_spec.hpp"

#include <atomic>
#include <sstream>

#include <unistd.h>

namespace corral::container {

namespace {

std::string name_safe(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                   || (c >= '0' && c <= '9') || c == '_' || c == '.'
                   || c == '-';
    out += allowed ? c : '_';
  }
  return out;
}

std::vector<std::string> common_labels(const std::string& node,
                                       const std::string& name) {
  return {"--name",  name,
          "--label", container_label,
          "--label", "corral.host=" + host_name(),
          "--label", "corral.node=" + node};
}

// The command of the agent: the image's own for the default agent_type,
// else the words of agent_type.
std::vector<std::string> agent_command(const spawn_request& request) {
  std::vector<std::string> words;
  if (request.agent_type.empty() || request.agent_type == default_agent_type)
    return words;
  std::istringstream in{request.agent_type};
  std::string word;
  while (in >> word)
    words.push_back(word);
  return words;
}

} // namespace

std::string make_container_name(const std::string& node,
                                const std::string& tag) {
  static std::atomic<std::uint64_t> serial{1};
  return "corral-" + std::to_string(::getpid()) + "-"
         + std::to_string(serial.fetch_add(1)) + "-" + name_safe(node) + "-"
         + name_safe(tag);
}

container_spec make_container_spec(const engine_settings& settings,
                                   const spawn_request& request,
                                   const agent_cell& cell,
                                   const std::string& node,
                                   const std::string& name) {
  container_spec spec;
  spec.identity = common_labels(node, name);
  spec.identity.insert(spec.identity.end(),
                       {"--label", "corral.pid=" + std::to_string(cell.pid),
                        "--label", "corral.agent_id=" + cell.agent_id});

  auto& options = spec.options;
  options.insert(options.end(), {"-i", "--pull", settings.pull});
  if (!cell.caps.can_network)
    options.insert(options.end(), {"--network", "none"});
  options.insert(options.end(),
                 {"--read-only", "--tmpfs",
                  "/tmp:rw,nosuid,nodev,size=" + settings.tmpfs_size,
                  "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                  "--pids-limit", std::to_string(settings.pids_limit)});

  const auto& limits = cell.limits;
  if (limits.memory_bytes && *limits.memory_bytes > 0) {
    auto bytes = std::to_string(*limits.memory_bytes);
    // Equal memory and memory-swap limits leave the container no swap, so
    // that going over the limit is an OOM kill rather than slow paging.
    options.insert(options.end(),
                   {"--memory", bytes, "--memory-swap", bytes});
  }
  if (limits.cpu_ms && *limits.cpu_ms > 0) {
    // RLIMIT_CPU counts whole seconds of CPU time per process.
    auto seconds = std::to_string((*limits.cpu_ms + 999) / 1000);
    options.insert(options.end(), {"--ulimit", "cpu=" + seconds});
  }
  for (const auto& [key, value] : request.env)
    options.insert(options.end(), {"--env", key + "=" + value});

  const auto* backend = std::get_if<container_backend>(&request.backend);
  options.push_back(backend ? backend->image : std::string{});
  auto command = agent_command(request);
  options.insert(options.end(), command.begin(), command.end());
  return spec;
}

std::vector<std::string> pool_identity(const std::string& node,
                                       const std::string& name) {
  return common_labels(node, name);
}

} // namespace corral::container
