#pragma once

// Helpers of the Container backend tests: the test image, spawn requests
// for its programs, and a look at the engine's containers.

#include <chrono>
#include <string>
#include <vector>

#include <unistd.h>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "backends/container/child_process.hpp"
#include "serialization/spawn_request.hpp"

namespace corral::testing {

/// The image CTest builds once per run (fixture container_image).
inline const std::string test_image = CORRAL_CONTAINER_TEST_IMAGE;

/// Time a container test waits for a reply or a state before it fails.
inline constexpr std::chrono::seconds hang_guard{20};

/// Sends a request that may wait up to `hang_guard`; returns the reply
/// payload, or "error: " followed by the described error.
inline std::string ask_long(corral::node& node, const std::string& target,
                            const std::string& topic,
                            const std::string& payload) {
  auto reply = node.request(target, topic, payload, hang_guard);
  if (!reply)
    return "error: " + describe(reply.error());
  return reply->payload;
}

/// Returns the name of the error's code, e.g. "spawn_failed".
inline std::string code_of(const caf::error& error) {
  return to_string(to_failure(error).code);
}

/// Returns a spawn request for a container agent that runs `command` in
/// the test image ("" runs the image's own echo.sh). Temporary, so that a
/// test decides itself about restarts.
inline spawn_request container_request(const std::string& agent_id,
                                       const std::string& command = {}) {
  spawn_request request;
  request.agent_id = agent_id;
  if (!command.empty())
    request.agent_type = command;
  request.backend = container_backend{test_image};
  request.restart = restart_type::temporary;
  return request;
}

/// Returns the names of the containers, running or not, that this test
/// process created.
inline std::vector<std::string> our_containers() {
  auto listed = container::run_command(
    {"/usr/bin/env", "podman", "ps", "-a", "--filter",
     "name=corral-" + std::to_string(::getpid()) + "-", "--format",
     "{{.Names}}"},
    std::chrono::seconds{30});
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < listed.out.size()) {
    auto end = listed.out.find('\n', start);
    if (end == std::string::npos)
      end = listed.out.size();
    if (end > start)
      names.push_back(listed.out.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

/// Returns `field` (a Go template such as {{.HostConfig.ReadonlyRootfs}})
/// of the container of the agent with `pid`.
inline std::string inspect_agent_container(pid_type pid,
                                           const std::string& field) {
  auto listed = container::run_command(
    {"/usr/bin/env", "podman", "ps", "--filter",
     "label=corral.pid=" + std::to_string(pid), "--filter",
     "name=corral-" + std::to_string(::getpid()) + "-", "--format",
     "{{.Names}}"},
    std::chrono::seconds{30});
  auto name = listed.out.substr(0, listed.out.find('\n'));
  if (name.empty())
    return "no container";
  auto inspected = container::run_command(
    {"/usr/bin/env", "podman", "inspect", "--format", field, name},
    std::chrono::seconds{30});
  auto out = inspected.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

} // namespace corral::testing
