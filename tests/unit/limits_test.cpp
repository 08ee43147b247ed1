// Limits of native agents: a resource_warning at 80% to the agent and its
// supervisor, and an exit with limit_exceeded{resource} at 100%.

#include <string>

#include <boost/test/unit_test.hpp>

#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

/// Returns a request for a probe with `limits` that is not restarted, so
/// that its exit stays visible.
spawn_request limited(const std::string& agent_id, struct limits limits) {
  auto request = request_for(agent_id, probe_type);
  request.restart = restart_type::temporary;
  request.limits = limits;
  return request;
}

struct limits message_cap(std::uint64_t max_messages) {
  struct limits result;
  result.max_messages = max_messages;
  return result;
}

/// Returns the position of the first observation matching `match`, or the
/// number of observations.
template <class Match>
std::size_t position_of(const std::vector<observation>& seen, Match match) {
  std::size_t i = 0;
  while (i < seen.size() && !match(seen[i]))
    ++i;
  return i;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(messages, node_fixture)

BOOST_AUTO_TEST_CASE(exits_after_max_messages) {
  auto pid = spawn(limited("capped", message_cap(5))).pid;

  for (int i = 1; i <= 5; ++i)
    BOOST_REQUIRE(!node().send("capped", "m" + std::to_string(i), {}));

  auto reason = wait_for_exit(node(), std::to_string(pid));
  BOOST_REQUIRE(reason);
  BOOST_TEST(to_string(*reason) == "limit_exceeded{messages}");
}

BOOST_AUTO_TEST_CASE(handles_every_allowed_message) {
  auto log = recorder_for("capped");
  auto pid = spawn(limited("capped", message_cap(5))).pid;

  for (int i = 1; i <= 5; ++i)
    node().send("capped", "m" + std::to_string(i), {});

  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(pid)));
  BOOST_TEST(log->count("message") == 5u);
}

BOOST_AUTO_TEST_CASE(warns_at_eighty_percent) {
  auto log = recorder_for("capped");
  auto pid = spawn(limited("capped", message_cap(5))).pid;

  for (int i = 1; i <= 5; ++i)
    node().send("capped", "m" + std::to_string(i), {});

  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(pid)));
  auto seen = log->all();
  auto warning = position_of(seen, is_about("warning", pid));
  BOOST_REQUIRE(warning < seen.size());
  BOOST_TEST(seen[warning].reason.detail == "messages");
  BOOST_TEST(warning > position_of(seen, is_message("m4")));
  BOOST_TEST(warning < position_of(seen, is_message("m5")));
  BOOST_TEST(log->count("warning") == 1u);
}

BOOST_AUTO_TEST_CASE(warning_reaches_supervisor) {
  auto parent = spawn_probe("capped-parent");
  ask("capped-parent", "spawn", spawn_args(limited("capped", message_cap(5))));
  auto child = pid_of("capped");
  BOOST_REQUIRE(child != 0u);

  for (int i = 1; i <= 4; ++i)
    node().send("capped", "m" + std::to_string(i), {});

  auto warning = parent->wait_for(is_about("warning", child), patience);
  BOOST_REQUIRE(warning);
  BOOST_TEST(warning->reason.detail == "messages");
}

BOOST_AUTO_TEST_CASE(permanent_agent_restarts_with_fresh_count) {
  auto request = limited("capped", message_cap(2));
  request.restart = restart_type::permanent;
  auto pid = spawn(request).pid;

  node().send("capped", "m1", {});
  node().send("capped", "m2", {});

  auto restarted = wait_for_new_pid(*this, "capped", pid);
  BOOST_REQUIRE(restarted != 0u);
  auto info = node().inspect("capped");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->usage.messages_in == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(handler_time, node_fixture)

BOOST_AUTO_TEST_CASE(slow_handler_exceeds_timeout) {
  struct limits limits;
  limits.message_timeout_ms = 50;
  auto pid = spawn(limited("slowpoke", limits)).pid;

  ask("slowpoke", "sleep", "200");

  auto reason = wait_for_exit(node(), std::to_string(pid));
  BOOST_REQUIRE(reason);
  BOOST_TEST(to_string(*reason) == "limit_exceeded{time}");
}

BOOST_AUTO_TEST_CASE(fast_handler_within_timeout) {
  struct limits limits;
  limits.message_timeout_ms = 2000;
  spawn(limited("quick", limits));

  BOOST_TEST(ask("quick", "sleep", "10") == "slept");
  BOOST_TEST(state_of("quick") == "running");
}

BOOST_AUTO_TEST_CASE(handler_time_counts_as_cpu) {
  struct limits limits;
  limits.cpu_ms = 100;
  auto pid = spawn(limited("busy", limits)).pid;

  ask("busy", "sleep", "150");

  auto reason = wait_for_exit(node(), std::to_string(pid));
  BOOST_REQUIRE(reason);
  BOOST_TEST(to_string(*reason) == "limit_exceeded{cpu}");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(memory_estimate, node_fixture)

BOOST_AUTO_TEST_CASE(estimate_above_limit_exits) {
  struct limits limits;
  limits.memory_bytes = 1;
  auto pid = spawn(limited("hungry", limits)).pid;

  node().send("hungry", "anything", {});

  auto reason = wait_for_exit(node(), std::to_string(pid));
  BOOST_REQUIRE(reason);
  BOOST_TEST(to_string(*reason) == "limit_exceeded{memory}");
}

BOOST_AUTO_TEST_CASE(inspect_shows_memory_estimate) {
  spawn("measured");
  ask("measured", "echo", "x");

  auto info = node().inspect("measured");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->usage.memory_bytes > 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// The node's max_agent_memory_bytes caps what one spawn request may ask
// for, before any backend runs, and a rejected spawn leaves nothing behind.
struct small_memory_node : node_fixture {
  static node_config capped() {
    auto config = test_config();
    config.max_agent_memory_bytes = 1 << 20;
    return config;
  }

  small_memory_node() : node_fixture(capped()) {
  }
};

BOOST_FIXTURE_TEST_SUITE(memory_ceiling, small_memory_node)

BOOST_AUTO_TEST_CASE(native_request_above_ceiling_rejected) {
  struct limits limits;
  limits.memory_bytes = (1 << 20) + 1;

  auto result = node().spawn(limited("greedy", limits));

  BOOST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == errc::invalid_request);
  const auto text = to_failure(result.error()).detail;
  BOOST_TEST(text.find("limits.memory_bytes 1048577") != std::string::npos);
  BOOST_TEST(text.find("max_agent_memory_bytes of 1048576")
             != std::string::npos);
  BOOST_TEST(!node().inspect("greedy"));
  // The agent_id was not taken by the rejected spawn.
  limits.memory_bytes = 1 << 20;
  BOOST_TEST(static_cast<bool>(node().spawn(limited("greedy", limits))));
}

BOOST_AUTO_TEST_CASE(wasm_request_above_ceiling_rejected) {
  struct limits limits;
  limits.memory_bytes = 4ull << 30;
  auto request = limited("greedy-wasm", limits);
  request.backend = wasm_backend{"/nonexistent/module.wasm"};

  auto result = node().spawn(request);

  // The ceiling is checked before the backend is looked up, so this
  // node, which has no Wasm backend, rejects the request for its memory.
  BOOST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == errc::invalid_request);
  BOOST_TEST(to_failure(result.error()).detail.find("limits.memory_bytes")
             != std::string::npos);
  BOOST_TEST(!node().inspect("greedy-wasm"));
}

BOOST_AUTO_TEST_CASE(tee_enclave_above_ceiling_rejected) {
  auto request = request_for("greedy-tee", probe_type);
  tee_backend tee;
  tee.enclave.type = enclave_type::simulation;
  tee.enclave.memory_bytes = 2 << 20;
  request.backend = tee;

  auto result = node().spawn(request);

  BOOST_REQUIRE(!result);
  BOOST_TEST(code_of(result) == errc::invalid_request);
  BOOST_TEST(to_failure(result.error()).detail.find(
               "backend.Tee.enclave.memory_bytes 2097152")
             != std::string::npos);
  BOOST_TEST(!node().inspect("greedy-tee"));
}

BOOST_AUTO_TEST_SUITE_END()
