#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "actors/node.hpp"
#include "tests/harness/probe.hpp"

namespace corral::testing {

/// Polls `condition` every few milliseconds until it holds or `timeout`
/// passes; returns its last value.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout);

/// A Boost.Test fixture with one node in this process that runs the
/// built-in backends, the example agents and the probe. Defaults are
/// shortened for tests: 20 ms initial backoff and a 1 s grace period.
class node_fixture {
public:
  /// Returns the configuration the default constructor uses.
  static node_config test_config();

  /// Starts a node with `test_config()`.
  node_fixture();

  /// Starts a node with `config`. Both constructors forget the recorders
  /// of earlier probes (see `forget_recorders`).
  explicit node_fixture(node_config config);

  /// Starts a node with `config` that runs `backends` instead of the
  /// built-in ones (e.g. a Tee backend with a test policy).
  node_fixture(node_config config, backend_registry backends);

  /// Stops the node and every agent.
  ~node_fixture();

  /// The node under test.
  corral::node& node() {
    return *node_;
  }

  /// Spawns a native agent and fails the test if the spawn fails.
  spawn_result spawn(const std::string& agent_id,
                     const std::string& agent_type = default_agent_type);

  /// Spawns from a full request and fails the test if the spawn fails.
  spawn_result spawn(const spawn_request& request);

  /// Spawns a probe (with `base` for the other fields) and returns its
  /// recorder.
  std::shared_ptr<recorder> spawn_probe(const std::string& agent_id,
                                        spawn_request base = {});

  /// Sends a request with a 2 s timeout; returns the reply payload, or
  /// "error: " followed by the described error.
  std::string ask(const std::string& target, const std::string& topic,
                  const std::string& payload = {});

  /// Returns the state of `target` ("running", "exited", ...), or
  /// "missing".
  std::string state_of(const std::string& target);

  /// Returns the current pid of the live agent `agent_id`, or 0.
  pid_type pid_of(const std::string& agent_id);

private:
  std::unique_ptr<corral::node> node_;
};

} // namespace corral::testing
