// Container agents with real Podman: start failures, stop, exit reasons,
// restarts, and the removal of every container.

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/container/container_launcher.hpp"
#include "backends/container/engine.hpp"
#include "tests/harness/node_fixture.hpp"
#include "tests/integration/container_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

exit_reason exit_of(corral::node& node, pid_type pid) {
  auto info = node.inspect(std::to_string(pid));
  if (!info || !info->exit)
    return {exit_kind::backend_failure, "no exit recorded"};
  return *info->exit;
}

bool exited(corral::node& node, pid_type pid) {
  auto info = node.inspect(std::to_string(pid));
  return info && info->state == process_state::exited;
}

// Restores PATH when the test ends.
struct path_guard {
  std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ~path_guard() {
    ::setenv("PATH", saved.c_str(), 1);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(container_lifecycle)

BOOST_AUTO_TEST_CASE(stop_sends_shutdown_and_removes_container) {
  {
    node_fixture fixture;
    auto started = fixture.spawn(container_request("sh-echo"));

    auto reason = fixture.node().stop("sh-echo");

    BOOST_REQUIRE(reason);
    BOOST_TEST(to_string(*reason) == "shutdown");
    BOOST_TEST(wait_until([&] { return our_containers().empty(); },
                          hang_guard));
    (void) started;
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_CASE(sigterm_ignoring_agent_is_killed_after_grace) {
  node_fixture fixture;
  fixture.spawn(container_request("stubborn", "/bin/sh /agents/ignore_term.sh"));

  auto reason = fixture.node().stop("stubborn", stop_options{false, 1000});

  BOOST_REQUIRE(reason);
  BOOST_TEST(to_string(*reason) == "killed");
  BOOST_TEST(wait_until([&] { return our_containers().empty(); }, hang_guard));
}

BOOST_AUTO_TEST_CASE(crash_is_restarted_by_supervisor) {
  node_fixture fixture;
  auto request = container_request("crasher", "/agents/agent");
  request.restart = restart_type::permanent;
  auto first = fixture.spawn(request);

  BOOST_TEST(!fixture.node().send("crasher", "exit", "3"));

  BOOST_TEST(wait_until(
    [&] {
      auto pid = fixture.pid_of("crasher");
      return pid != 0 && pid != first.pid;
    },
    hang_guard));
  BOOST_TEST(to_string(exit_of(fixture.node(), first.pid))
             == "crashed{exit code 3}");
  auto reply = fixture.node().request("crasher", "echo", "again", hang_guard);
  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->payload == "again");
}

BOOST_AUTO_TEST_CASE(memory_limit_ends_agent_with_oom) {
  node_fixture fixture;
  auto request = container_request("hungry", "/agents/agent");
  request.limits.memory_bytes = 32ull << 20;
  auto started = fixture.spawn(request);

  auto reply = fixture.node().request("hungry", "alloc", "256", hang_guard);

  BOOST_TEST(!reply);
  BOOST_TEST(wait_until([&] { return exited(fixture.node(), started.pid); },
                        hang_guard));
  BOOST_TEST(to_string(exit_of(fixture.node(), started.pid))
             == "limit_exceeded{memory}");
}

BOOST_AUTO_TEST_CASE(missing_image_fails_spawn_with_engine_message) {
  node_fixture fixture;
  auto request = container_request("nowhere");
  request.backend = container_backend{"localhost/corral-no-such-image:none"};

  auto result = fixture.node().spawn(request);

  BOOST_REQUIRE(!result);
  BOOST_TEST(code_of(result.error()) == "spawn_failed");
  BOOST_TEST(describe(result.error()).find("image not known")
               != std::string::npos,
             "error: " << describe(result.error()));
  BOOST_TEST(fixture.state_of("nowhere") != "running");
}

// The spawner gets the spawn's error, so a restart would run an agent
// that no caller expects.
BOOST_AUTO_TEST_CASE(failed_start_is_not_restarted) {
  {
    node_fixture fixture;
    auto request = container_request("never");
    request.backend = container_backend{"localhost/corral-no-such-image:none"};
    request.restart = restart_type::permanent;

    auto result = fixture.node().spawn(request);

    BOOST_REQUIRE(!result);
    BOOST_TEST(code_of(result.error()) == "spawn_failed");
    // The fixture's backoff is 20 ms, so a restart would come well within
    // this time.
    std::this_thread::sleep_for(std::chrono::milliseconds{1000});
    auto all = fixture.node().list(true);
    BOOST_REQUIRE(all);
    auto entries = std::count_if(all->begin(), all->end(),
                                 [](const process_info& info) {
                                   return info.agent_id == "never";
                                 });
    BOOST_TEST(entries == 1);
    BOOST_TEST(fixture.state_of("never") != "running");
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_CASE(missing_engine_is_backend_not_available) {
  path_guard guard;
  ::setenv("PATH", "/nonexistent-corral-test-path", 1);
  node_fixture fixture;

  auto result = fixture.node().spawn(container_request("no-engine"));

  BOOST_REQUIRE(!result);
  BOOST_TEST(code_of(result.error()) == "backend_not_available");
  BOOST_TEST(describe(result.error()).find("podman") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_image_name_is_rejected) {
  node_fixture fixture;
  auto request = container_request("flag");
  request.backend = container_backend{"--privileged"};

  auto result = fixture.node().spawn(request);

  BOOST_REQUIRE(!result);
  BOOST_TEST(code_of(result.error()) == "invalid_request");
}

BOOST_AUTO_TEST_CASE(missing_ready_line_times_out) {
  {
    container::engine_settings settings;
    settings.ready_timeout = std::chrono::milliseconds{1500};
    auto backends = builtin_backends();
    backends.add("Container",
                 std::make_shared<container::container_launcher>(settings));
    corral::node node{node_fixture::test_config(), std::move(backends)};

    auto result = node.spawn(container_request("silent", "/bin/sh /agents/silent.sh"));

    BOOST_REQUIRE(!result);
    BOOST_TEST(code_of(result.error()) == "spawn_failed");
    BOOST_TEST(describe(result.error()).find("ready line") != std::string::npos,
               "error: " << describe(result.error()));
  }
  BOOST_TEST(our_containers().empty());
}

// Casts held while the agent is suspended never reach the container, so
// they become dead letters when the agent is killed.
BOOST_AUTO_TEST_CASE(held_casts_are_dead_letters_on_kill) {
  node_fixture fixture;
  auto receiver = fixture.spawn(container_request("sh-held")).global;
  BOOST_REQUIRE(!fixture.node().suspend("sh-held"));
  const int sent = 5;
  for (int i = 0; i < sent; ++i)
    BOOST_REQUIRE(
      !fixture.node().send("sh-held", "cast-" + std::to_string(i), {}));
  BOOST_REQUIRE(wait_until(
    [&] {
      return fixture.node().inspect("sh-held")->usage.messages_in
             == std::uint64_t{sent};
    },
    hang_guard));

  stop_options now;
  now.immediate = true;
  BOOST_REQUIRE(fixture.node().stop("sh-held", now));

  std::vector<dead_letter> letters;
  for (auto& letter : fixture.node().dead_letters())
    if (letter.target == to_string(receiver))
      letters.push_back(letter);
  BOOST_REQUIRE(letters.size() == std::size_t{sent});
  for (int i = 0; i < sent; ++i) {
    BOOST_TEST(to_string(letters[i].reason) == std::string{"exited_target"});
    BOOST_TEST(letters[i].message.topic == "cast-" + std::to_string(i));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(container_leftovers)

// A container named after a node process that no longer runs is what a
// crashed node leaves behind; `corral node` removes it at start.
BOOST_AUTO_TEST_CASE(node_start_removes_leftover_of_dead_node) {
  const std::string leftover = "corral-999999999-1-crashed-1";
  auto created = container::run_command(
    {"/usr/bin/env", "podman", "create", "--name", leftover, "--label",
     "corral.managed=1", "--label",
     "corral.host=" + container::host_name(), test_image},
    std::chrono::seconds{30});
  BOOST_REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  auto exists = [&] {
    auto listed = container::run_command(
      {"/usr/bin/env", "podman", "ps", "-a", "--filter", "name=" + leftover,
       "--format", "{{.Names}}"},
      std::chrono::seconds{30});
    return listed.out.find(leftover) != std::string::npos;
  };
  BOOST_REQUIRE(exists());

  auto socket = "ipc:///tmp/corral-leftover-test-"
                + std::to_string(::getpid()) + ".sock";
  std::string error;
  auto node = container::start_child(
    {CORRAL_EXECUTABLE, "node", "--id", "leftovers", "--control", socket},
    error);
  BOOST_REQUIRE_MESSAGE(node, error);

  BOOST_TEST(wait_until([&] { return !exists(); }, hang_guard));

  ::kill(node->pid, SIGTERM);
  container::wait_child(node->pid);
  container::run_command({"/usr/bin/env", "podman", "rm", "-f", leftover},
                         std::chrono::seconds{30});
}

BOOST_AUTO_TEST_SUITE_END()
