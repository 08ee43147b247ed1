// Supervision end to end: restart types under the kernel, the three
// strategies of an agent supervisor, restart intensity with escalation,
// backoff that is really waited for, and children that die with their
// parent.

#include <chrono>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;
using namespace std::chrono_literals;

namespace {

spawn_request worker_request(const std::string& agent_id,
                             restart_type restart = restart_type::permanent) {
  auto request = request_for(agent_id, "worker");
  request.restart = restart;
  return request;
}

spawn_request probe_request(const std::string& agent_id, restart_type restart) {
  auto request = request_for(agent_id, probe_type);
  request.restart = restart;
  return request;
}

/// Crashes the worker or probe `agent_id` and returns its old pid.
pid_type crash(node_fixture& fixture, const std::string& agent_id) {
  auto pid = fixture.pid_of(agent_id);
  fixture.ask(agent_id, "crash", "on purpose");
  return pid;
}

/// Crashes the top-level worker "sentinel" and waits for its restart. The
/// kernel restarts every pending top-level slot in the same round, so once
/// the sentinel is back, any restart of another agent would have happened.
void cycle_sentinel(node_fixture& fixture) {
  auto old_pid = crash(fixture, "sentinel");
  BOOST_REQUIRE(wait_for_new_pid(fixture, "sentinel", old_pid) != 0);
}

/// Spawns a supervisor probe with `strategy`, a 10 ms initial backoff and
/// the default intensity (5 restarts in 60 s).
std::shared_ptr<recorder> spawn_supervisor(node_fixture& fixture,
                                           const std::string& agent_id,
                                           restart_strategy strategy) {
  spawn_request base;
  base.supervision.strategy = strategy;
  base.supervision.backoff_initial_ms = 10;
  return fixture.spawn_probe(agent_id, base);
}

/// Spawns `request` as a child of the probe `parent` and returns its pid.
pid_type spawn_child(node_fixture& fixture, const std::string& parent,
                     const spawn_request& request) {
  auto reply = fixture.ask(parent, "spawn", spawn_args(request));
  auto pid = fixture.pid_of(request.agent_id);
  BOOST_REQUIRE_MESSAGE(reply == std::to_string(pid),
                        "spawn of child " + request.agent_id + ": " + reply);
  return pid;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(top_level, node_fixture)

BOOST_AUTO_TEST_CASE(permanent_restarted_after_crash) {
  auto old_pid = spawn(worker_request("perm")).pid;

  crash(*this, "perm");

  auto new_pid = wait_for_new_pid(*this, "perm", old_pid);
  BOOST_REQUIRE(new_pid != 0u);
  auto info = node().inspect("perm");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->agent_id == "perm");
  BOOST_TEST(info->restart_count == 1u);
  BOOST_TEST(ask("perm", "work", "again") == "done: again");
}

BOOST_AUTO_TEST_CASE(crashed_instance_keeps_reason) {
  auto old_pid = spawn(worker_request("perm")).pid;

  crash(*this, "perm");

  BOOST_REQUIRE(wait_for_new_pid(*this, "perm", old_pid) != 0u);
  auto old = node().inspect(std::to_string(old_pid));
  BOOST_REQUIRE(old);
  BOOST_REQUIRE(old->exit.has_value());
  BOOST_TEST(to_string(*old->exit) == "crashed{crash requested: on purpose}");
}

BOOST_AUTO_TEST_CASE(restart_count_grows) {
  auto first = spawn(worker_request("perm")).pid;
  crash(*this, "perm");
  auto second = wait_for_new_pid(*this, "perm", first);
  BOOST_REQUIRE(second != 0u);

  crash(*this, "perm");

  BOOST_REQUIRE(wait_for_new_pid(*this, "perm", second) != 0u);
  auto info = node().inspect("perm");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->restart_count == 2u);
}

BOOST_AUTO_TEST_CASE(permanent_restarted_after_normal_exit) {
  auto old_pid = spawn(probe_request("perm-normal", restart_type::permanent)).pid;

  ask("perm-normal", "exit", "normal");

  BOOST_TEST(wait_for_new_pid(*this, "perm-normal", old_pid) != 0u);
}

BOOST_AUTO_TEST_CASE(transient_restarted_after_crash) {
  auto old_pid = spawn(worker_request("trans", restart_type::transient)).pid;

  crash(*this, "trans");

  BOOST_TEST(wait_for_new_pid(*this, "trans", old_pid) != 0u);
}

BOOST_AUTO_TEST_CASE(transient_stays_after_normal_exit) {
  spawn(worker_request("sentinel"));
  auto pid = spawn(probe_request("trans-normal", restart_type::transient)).pid;

  ask("trans-normal", "exit", "normal");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(pid)));
  cycle_sentinel(*this);

  BOOST_TEST(pid_of("trans-normal") == 0u);
  BOOST_TEST(state_of("trans-normal") == "exited");
}

BOOST_AUTO_TEST_CASE(temporary_stays_after_crash) {
  spawn(worker_request("sentinel"));
  auto pid = spawn(worker_request("temp", restart_type::temporary)).pid;

  crash(*this, "temp");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(pid)));
  cycle_sentinel(*this);

  BOOST_TEST(pid_of("temp") == 0u);
  BOOST_TEST(state_of("temp") == "exited");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(strategies, node_fixture)

BOOST_AUTO_TEST_CASE(one_for_one_restarts_failed_only) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));
  auto c3 = spawn_child(*this, "sup", worker_request("c3"));

  crash(*this, "c2");

  auto new_c2 = wait_for_new_pid(*this, "c2", c2);
  BOOST_REQUIRE(new_c2 != 0u);
  BOOST_TEST(pid_of("c1") == c1);
  BOOST_TEST(pid_of("c3") == c3);
  auto info = node().inspect("c2");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->parent == pid_of("sup"));
  BOOST_TEST(info->restart_count == 1u);
}

BOOST_AUTO_TEST_CASE(one_for_all_restarts_every_child) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_all);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));
  auto c3 = spawn_child(*this, "sup", worker_request("c3"));

  crash(*this, "c2");

  auto new_c1 = wait_for_new_pid(*this, "c1", c1);
  auto new_c2 = wait_for_new_pid(*this, "c2", c2);
  auto new_c3 = wait_for_new_pid(*this, "c3", c3);
  BOOST_TEST(new_c1 != 0u);
  BOOST_TEST(new_c2 != 0u);
  BOOST_TEST(new_c3 != 0u);
  BOOST_TEST(new_c1 < new_c2);
  BOOST_TEST(new_c2 < new_c3);
}

BOOST_AUTO_TEST_CASE(one_for_all_stops_siblings_gracefully) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_all);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  spawn_child(*this, "sup", worker_request("c2"));

  crash(*this, "c2");

  auto reason = wait_for_exit(node(), std::to_string(c1));
  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_CASE(rest_for_one_restarts_later_children) {
  spawn_supervisor(*this, "sup", restart_strategy::rest_for_one);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));
  auto c3 = spawn_child(*this, "sup", worker_request("c3"));

  crash(*this, "c2");

  auto new_c2 = wait_for_new_pid(*this, "c2", c2);
  auto new_c3 = wait_for_new_pid(*this, "c3", c3);
  BOOST_TEST(new_c2 != 0u);
  BOOST_TEST(new_c3 != 0u);
  BOOST_TEST(new_c2 < new_c3);
  BOOST_TEST(pid_of("c1") == c1);
}

BOOST_AUTO_TEST_CASE(group_skips_temporary_sibling) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_all);
  auto c1 = spawn_child(*this, "sup",
                        worker_request("c1", restart_type::temporary));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));

  crash(*this, "c2");

  BOOST_REQUIRE(wait_for_new_pid(*this, "c2", c2) != 0u);
  BOOST_TEST(state_of(std::to_string(c1)) == "exited");
  BOOST_TEST(pid_of("c1") == 0u);
}

BOOST_AUTO_TEST_CASE(inspect_lists_children_in_order) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));

  auto info = node().inspect("sup");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->children == std::vector<pid_type>({c1, c2}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(restarted_child_keeps_its_place) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));

  auto restarted = node().restart("c1");

  BOOST_REQUIRE(restarted);
  auto info = node().inspect("sup");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->children == std::vector<pid_type>({restarted->pid, c2}),
             boost::test_tools::per_element());
  BOOST_TEST(restarted->pid != c1);
}

BOOST_AUTO_TEST_CASE(restarted_child_is_still_supervised) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  spawn_child(*this, "sup", worker_request("c1"));
  auto restarted = node().restart("c1");
  BOOST_REQUIRE(restarted);

  crash(*this, "c1");

  BOOST_TEST(wait_for_new_pid(*this, "c1", restarted->pid) != 0u);
}

BOOST_AUTO_TEST_CASE(stopped_child_leaves_supervisor) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));

  BOOST_REQUIRE(node().stop("c1"));

  auto info = node().inspect("sup");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->children == std::vector<pid_type>({c2}),
             boost::test_tools::per_element());
  BOOST_TEST(state_of(std::to_string(c1)) == "exited");
}

BOOST_AUTO_TEST_CASE(pending_restart_survives_sibling_stop) {
  spawn_request base;
  base.supervision.backoff_initial_ms = 500;
  spawn_probe("sup", base);
  spawn_child(*this, "sup", worker_request("c1"));
  spawn_child(*this, "sup", worker_request("c2"));
  auto c3 = spawn_child(*this, "sup", worker_request("c3"));
  crash(*this, "c3");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(c3)));

  BOOST_REQUIRE(node().stop("c1"));

  BOOST_TEST(wait_for_new_pid(*this, "c3", c3) != 0u);
  BOOST_TEST(pid_of("c2") != 0u);
}

BOOST_AUTO_TEST_CASE(pending_restart_survives_temporary_exit) {
  spawn_request base;
  base.supervision.backoff_initial_ms = 500;
  spawn_probe("sup", base);
  auto c1 = spawn_child(*this, "sup",
                        worker_request("c1", restart_type::temporary));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));
  crash(*this, "c2");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(c2)));

  crash(*this, "c1");

  BOOST_TEST(wait_for_new_pid(*this, "c2", c2) != 0u);
  BOOST_TEST(state_of(std::to_string(c1)) == "exited");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(intensity, node_fixture)

BOOST_AUTO_TEST_CASE(exceeded_intensity_escalates) {
  spawn_request base;
  base.supervision.max_restarts = 2;
  base.supervision.period_ms = 10'000;
  base.supervision.backoff_initial_ms = 10;
  spawn_probe("sup", base);
  auto sup = pid_of("sup");
  auto child = spawn_child(*this, "sup", worker_request("flaky"));

  for (int restart = 1; restart <= 2; ++restart) {
    crash(*this, "flaky");
    child = wait_for_new_pid(*this, "flaky", child);
    BOOST_REQUIRE_MESSAGE(child != 0u, "restart " << restart << " of flaky");
  }
  crash(*this, "flaky");

  auto reason = wait_for_exit(node(), std::to_string(sup));
  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::crashed);
  BOOST_TEST(reason->detail.rfind("restart intensity exceeded", 0) == 0u);
  auto new_sup = wait_for_new_pid(*this, "sup", sup);
  BOOST_REQUIRE(new_sup != 0u);
  auto info = node().inspect("sup");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->restart_count == 1u);
}

BOOST_AUTO_TEST_CASE(root_gives_up_after_intensity) {
  auto config = node_fixture::test_config();
  config.root_supervision.max_restarts = 2;
  config.root_supervision.period_ms = 10'000;
  config.root_supervision.backoff_initial_ms = 10;
  node_fixture fixture{config};
  auto pid = fixture.spawn(worker_request("doomed")).pid;
  for (int restart = 1; restart <= 2; ++restart) {
    crash(fixture, "doomed");
    pid = wait_for_new_pid(fixture, "doomed", pid);
    BOOST_REQUIRE_MESSAGE(pid != 0u, "restart " << restart << " of doomed");
  }

  crash(fixture, "doomed");

  BOOST_REQUIRE(wait_for_exit(fixture.node(), std::to_string(pid)));
  // A third restart would come after 40 ms of backoff. Waiting ten times as
  // long shows that none is scheduled.
  BOOST_TEST(!wait_until([&] { return fixture.pid_of("doomed") != 0; },
                         400ms));
  BOOST_TEST(fixture.state_of("doomed") == "exited");
  BOOST_TEST(fixture.ask("doomed", "work", "x").rfind("error", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(node_serves_after_root_gives_up) {
  auto config = node_fixture::test_config();
  config.root_supervision.max_restarts = 0;
  node_fixture fixture{config};
  auto pid = fixture.spawn(worker_request("doomed")).pid;

  crash(fixture, "doomed");
  BOOST_REQUIRE(wait_for_exit(fixture.node(), std::to_string(pid)));

  fixture.spawn("survivor");
  BOOST_TEST(fixture.ask("survivor", "echo", "alive") == "alive");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(restart_waits_backoff_doubling) {
  auto config = node_fixture::test_config();
  config.root_supervision.backoff_initial_ms = 200;
  node_fixture fixture{config};
  auto pid = fixture.spawn(worker_request("slow")).pid;

  auto first_crash = std::chrono::steady_clock::now();
  crash(fixture, "slow");
  pid = wait_for_new_pid(fixture, "slow", pid, 5s);
  auto first_ms = ms_since(first_crash);
  BOOST_REQUIRE(pid != 0u);

  auto second_crash = std::chrono::steady_clock::now();
  crash(fixture, "slow");
  pid = wait_for_new_pid(fixture, "slow", pid, 5s);
  auto second_ms = ms_since(second_crash);
  BOOST_REQUIRE(pid != 0u);

  BOOST_TEST(first_ms >= 200);
  BOOST_TEST(first_ms < 3000);
  BOOST_TEST(second_ms >= 400);
  BOOST_TEST(second_ms < 3000);
}

BOOST_AUTO_TEST_CASE(kernel_answers_during_backoff) {
  auto config = node_fixture::test_config();
  config.root_supervision.backoff_initial_ms = 3000;
  node_fixture fixture{config};
  auto pid = fixture.spawn(worker_request("slow")).pid;
  fixture.spawn("bystander");

  crash(fixture, "slow");

  BOOST_REQUIRE(wait_for_exit(fixture.node(), std::to_string(pid)));
  BOOST_TEST(fixture.state_of("slow") == "exited");
  BOOST_TEST(fixture.ask("bystander", "echo", "awake") == "awake");
}

BOOST_AUTO_TEST_CASE(supervisor_backoff_applies_to_children) {
  node_fixture fixture;
  spawn_request base;
  base.supervision.backoff_initial_ms = 200;
  fixture.spawn_probe("sup", base);
  auto child = spawn_child(fixture, "sup", worker_request("child"));

  auto crashed = std::chrono::steady_clock::now();
  crash(fixture, "child");
  auto restarted = wait_for_new_pid(fixture, "child", child, 5s);
  auto elapsed_ms = ms_since(crashed);

  BOOST_REQUIRE(restarted != 0u);
  BOOST_TEST(elapsed_ms >= 200);
  BOOST_TEST(elapsed_ms < 3000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(parent_exit, node_fixture)

BOOST_AUTO_TEST_CASE(stop_of_parent_stops_children) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  auto c1 = spawn_child(*this, "sup", worker_request("c1"));
  auto c2 = spawn_child(*this, "sup", worker_request("c2"));

  BOOST_REQUIRE(node().stop("sup"));

  auto c1_reason = wait_for_exit(node(), std::to_string(c1));
  auto c2_reason = wait_for_exit(node(), std::to_string(c2));
  BOOST_REQUIRE(c1_reason);
  BOOST_REQUIRE(c2_reason);
  BOOST_TEST(c1_reason->kind == exit_kind::shutdown);
  BOOST_TEST(c2_reason->kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_CASE(crash_of_parent_stops_children) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  auto sup = pid_of("sup");
  auto child = spawn_child(*this, "sup", worker_request("c1"));

  crash(*this, "sup");

  auto reason = wait_for_exit(node(), std::to_string(child));
  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::shutdown);
  BOOST_TEST(wait_for_new_pid(*this, "sup", sup) != 0u);
  BOOST_TEST(pid_of("c1") == 0u);
}

BOOST_AUTO_TEST_CASE(grandchildren_are_stopped) {
  spawn_supervisor(*this, "sup", restart_strategy::one_for_one);
  spawn_child(*this, "sup", probe_request("middle", restart_type::permanent));
  auto leaf = spawn_child(*this, "middle", worker_request("leaf"));

  BOOST_REQUIRE(node().stop("sup"));

  auto reason = wait_for_exit(node(), std::to_string(leaf));
  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
