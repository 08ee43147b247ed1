// Monitors and links between agents, with Erlang semantics. A monitor
// delivers one down notice. A link propagates every exit but normal,
// unless the partner traps exits.

#include <string>

#include <boost/test/unit_test.hpp>

#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

/// Spawns a probe that is not restarted, so that its exit stays visible.
std::shared_ptr<recorder> spawn_temporary_probe(node_fixture& fixture,
                                                const std::string& agent_id) {
  spawn_request base;
  base.restart = restart_type::temporary;
  return fixture.spawn_probe(agent_id, base);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(monitors, node_fixture)

BOOST_AUTO_TEST_CASE(monitor_delivers_exit_reason) {
  auto watcher = spawn_temporary_probe(*this, "mon-watcher");
  spawn_temporary_probe(*this, "mon-target");
  auto target_pid = pid_of("mon-target");
  BOOST_REQUIRE(ask("mon-watcher", "monitor", "mon-target") == "ok");

  ask("mon-target", "crash", "boom");

  auto down = watcher->wait_for(is_about("down", target_pid), patience);
  BOOST_REQUIRE(down);
  BOOST_TEST(down->msg.topic == "mon-target");
  BOOST_TEST(to_string(down->reason) == "crashed{probe crash: boom}");
}

BOOST_AUTO_TEST_CASE(monitor_reports_normal_exit) {
  auto watcher = spawn_temporary_probe(*this, "mon-watcher");
  spawn_temporary_probe(*this, "mon-target");
  auto target_pid = pid_of("mon-target");
  BOOST_REQUIRE(ask("mon-watcher", "monitor", "mon-target") == "ok");

  ask("mon-target", "exit", "normal");

  auto down = watcher->wait_for(is_about("down", target_pid), patience);
  BOOST_REQUIRE(down);
  BOOST_TEST(down->reason.kind == exit_kind::normal);
}

BOOST_AUTO_TEST_CASE(monitor_of_exited_fires_at_once) {
  auto watcher = spawn_temporary_probe(*this, "mon-watcher");
  spawn_temporary_probe(*this, "mon-gone");
  auto gone_pid = pid_of("mon-gone");
  BOOST_REQUIRE(node().stop("mon-gone"));

  BOOST_REQUIRE(ask("mon-watcher", "monitor", std::to_string(gone_pid))
                == "ok");

  auto down = watcher->wait_for(is_about("down", gone_pid), patience);
  BOOST_REQUIRE(down);
  BOOST_TEST(down->reason.kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_CASE(monitor_of_exited_by_global_pid) {
  auto watcher = spawn_temporary_probe(*this, "mon-watcher");
  spawn_temporary_probe(*this, "mon-gone");
  auto gone_pid = pid_of("mon-gone");
  BOOST_REQUIRE(node().stop("mon-gone"));

  BOOST_REQUIRE(ask("mon-watcher", "monitor",
                    "test:" + std::to_string(gone_pid))
                == "ok");

  auto down = watcher->wait_for(is_about("down", gone_pid), patience);
  BOOST_REQUIRE(down);
  BOOST_TEST(down->reason.kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(links, node_fixture)

BOOST_AUTO_TEST_CASE(link_propagates_abnormal_reason) {
  spawn_temporary_probe(*this, "link-a");
  spawn_temporary_probe(*this, "link-b");
  auto a_pid = std::to_string(pid_of("link-a"));
  BOOST_REQUIRE(ask("link-a", "link", "link-b") == "ok");

  ask("link-b", "crash", "boom");

  auto reason = wait_for_exit(node(), a_pid);
  BOOST_REQUIRE(reason);
  BOOST_TEST(to_string(*reason) == "crashed{probe crash: boom}");
}

BOOST_AUTO_TEST_CASE(link_is_mutual) {
  spawn_temporary_probe(*this, "link-a");
  spawn_temporary_probe(*this, "link-b");
  auto b_pid = std::to_string(pid_of("link-b"));
  BOOST_REQUIRE(ask("link-a", "link", "link-b") == "ok");

  ask("link-a", "exit", "killed");

  auto reason = wait_for_exit(node(), b_pid);
  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::killed);
}

BOOST_AUTO_TEST_CASE(trapping_agent_gets_exit_signal) {
  auto trapper = spawn_temporary_probe(*this, "link-trapper");
  spawn_temporary_probe(*this, "link-b");
  auto b_pid = pid_of("link-b");
  BOOST_REQUIRE(ask("link-trapper", "trap_exits", "true") == "ok");
  BOOST_REQUIRE(ask("link-trapper", "link", "link-b") == "ok");

  ask("link-b", "crash", "boom");

  auto signal = trapper->wait_for(is_about("exit_signal", b_pid), patience);
  BOOST_REQUIRE(signal);
  BOOST_TEST(to_string(signal->reason) == "crashed{probe crash: boom}");
  BOOST_TEST(state_of("link-trapper") == "running");
}

BOOST_AUTO_TEST_CASE(double_link_signals_once) {
  auto trapper = spawn_temporary_probe(*this, "link-trapper");
  spawn_temporary_probe(*this, "link-b");
  auto b_pid = pid_of("link-b");
  BOOST_REQUIRE(ask("link-trapper", "trap_exits", "true") == "ok");
  BOOST_REQUIRE(ask("link-trapper", "link", "link-b") == "ok");
  BOOST_REQUIRE(ask("link-trapper", "link", "link-b") == "ok");

  ask("link-b", "crash", "boom");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(b_pid)));
  // A later monitor's down notice follows every exit signal of the exit.
  BOOST_REQUIRE(ask("link-trapper", "monitor", std::to_string(b_pid))
                == "ok");
  BOOST_REQUIRE(trapper->wait_for(is_about("down", b_pid), patience));

  BOOST_TEST(trapper->count("exit_signal") == 1u);
}

BOOST_AUTO_TEST_CASE(normal_exit_spares_partner) {
  auto partner = spawn_temporary_probe(*this, "link-partner");
  spawn_temporary_probe(*this, "link-b");
  auto b_pid = pid_of("link-b");
  BOOST_REQUIRE(ask("link-partner", "link", "link-b") == "ok");

  ask("link-b", "exit", "normal");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(b_pid)));
  // The kernel sends any exit signal while it handles the exit, so the
  // down notice of a later monitor reaches the partner after it.
  BOOST_REQUIRE(ask("link-partner", "monitor", std::to_string(b_pid)) == "ok");
  BOOST_REQUIRE(partner->wait_for(is_about("down", b_pid), patience));

  BOOST_TEST(state_of("link-partner") == "running");
  BOOST_TEST(partner->count("exit_signal") == 0u);
}

BOOST_AUTO_TEST_CASE(link_to_crashed_signals_at_once) {
  auto trapper = spawn_temporary_probe(*this, "link-late");
  spawn_temporary_probe(*this, "link-gone");
  auto gone_pid = pid_of("link-gone");
  ask("link-gone", "crash", "early");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(gone_pid)));
  BOOST_REQUIRE(ask("link-late", "trap_exits", "true") == "ok");

  BOOST_REQUIRE(ask("link-late", "link", "test:" + std::to_string(gone_pid))
                == "ok");

  auto signal = trapper->wait_for(is_about("exit_signal", gone_pid), patience);
  BOOST_REQUIRE(signal);
  BOOST_TEST(signal->reason.kind == exit_kind::crashed);
}

BOOST_AUTO_TEST_CASE(link_to_normal_exit_spares_linker) {
  auto linker = spawn_temporary_probe(*this, "link-late");
  spawn_temporary_probe(*this, "link-done");
  auto pid = pid_of("link-done");
  auto done_pid = std::to_string(pid);
  ask("link-done", "exit", "normal");
  BOOST_REQUIRE(wait_for_exit(node(), done_pid));

  BOOST_REQUIRE(ask("link-late", "link", done_pid) == "ok");
  // The kernel handles the link before the monitor, so an exit signal
  // would reach the linker before this down notice.
  BOOST_REQUIRE(ask("link-late", "monitor", done_pid) == "ok");
  BOOST_REQUIRE(linker->wait_for(is_about("down", pid), patience));

  BOOST_TEST(state_of("link-late") == "running");
}

BOOST_AUTO_TEST_CASE(unlink_spares_partner) {
  auto survivor = spawn_temporary_probe(*this, "unlink-a");
  spawn_temporary_probe(*this, "unlink-b");
  auto b_pid = pid_of("unlink-b");
  BOOST_REQUIRE(ask("unlink-a", "link", "unlink-b") == "ok");
  BOOST_REQUIRE(ask("unlink-a", "unlink", "unlink-b") == "ok");
  // The kernel handles the unlink before the monitor, so the down notice
  // arrives after any exit signal would have.
  BOOST_REQUIRE(ask("unlink-a", "monitor", "unlink-b") == "ok");

  ask("unlink-b", "crash", "boom");

  BOOST_REQUIRE(survivor->wait_for(is_about("down", b_pid), patience));
  BOOST_TEST(state_of("unlink-a") == "running");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(demonitors, node_fixture)

BOOST_AUTO_TEST_CASE(demonitor_stops_down_notice) {
  auto watcher = spawn_temporary_probe(*this, "demon-watcher");
  spawn_temporary_probe(*this, "demon-target");
  spawn_temporary_probe(*this, "demon-marker");
  auto target_pid = pid_of("demon-target");
  auto marker_pid = pid_of("demon-marker");
  BOOST_REQUIRE(ask("demon-watcher", "monitor", "demon-target") == "ok");
  BOOST_REQUIRE(ask("demon-watcher", "demonitor", "demon-target") == "ok");
  BOOST_REQUIRE(ask("demon-watcher", "monitor", "demon-marker") == "ok");

  ask("demon-target", "crash", "boom");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(target_pid)));
  ask("demon-marker", "crash", "boom");

  BOOST_REQUIRE(watcher->wait_for(is_about("down", marker_pid), patience));
  BOOST_TEST(watcher->count("down") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
