// The kernel's lifecycle operations: spawn and its checks, stop, restart,
// suspend and resume, inspect, list, watch, and the built-in command loop.

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;
using namespace std::chrono_literals;

BOOST_FIXTURE_TEST_SUITE(pids, node_fixture)

BOOST_AUTO_TEST_CASE(first_pid_is_one) {
  BOOST_TEST(spawn("pid-first").pid == 1u);
}

BOOST_AUTO_TEST_CASE(pids_increase) {
  auto first = spawn("pid-a").pid;
  auto second = spawn("pid-b").pid;

  BOOST_TEST(second > first);
}

BOOST_AUTO_TEST_CASE(pids_never_reused) {
  auto first = spawn("pid-reuse").pid;
  BOOST_REQUIRE(node().stop("pid-reuse"));
  auto second = spawn("pid-reuse").pid;
  auto restarted = node().restart("pid-reuse");
  BOOST_REQUIRE(restarted);
  auto third = spawn("pid-other").pid;

  BOOST_TEST(second > first);
  BOOST_TEST(restarted->pid > second);
  BOOST_TEST(third > restarted->pid);
}

BOOST_AUTO_TEST_CASE(failed_spawn_takes_no_pid) {
  BOOST_REQUIRE(!node().spawn(request_for("typo", "no_such_type")));

  BOOST_TEST(spawn("after-typo").pid == 1u);
  BOOST_TEST(node().stats().spawned == 1u);
}

BOOST_AUTO_TEST_CASE(global_pid_names_node) {
  auto result = spawn("pid-global");

  BOOST_TEST(result.global.node == "test");
  BOOST_TEST(result.global.pid == result.pid);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(spawn_checks, node_fixture)

BOOST_AUTO_TEST_CASE(duplicate_live_agent_id_rejected) {
  spawn("twin");

  auto second = node().spawn(request_for("twin"));

  BOOST_TEST(code_of(second) == errc::agent_id_in_use);
}

// Native spawns claim the name on the caller's thread, so callers on
// several threads race for it.
BOOST_AUTO_TEST_CASE(concurrent_spawns_claim_name_once) {
  constexpr int callers = 4;
  std::vector<std::future<caf::expected<spawn_result>>> results;
  for (int i = 0; i < callers; ++i)
    results.push_back(std::async(std::launch::async, [this] {
      return node().spawn(request_for("contested"));
    }));

  int won = 0;
  pid_type winner = 0;
  for (auto& pending : results) {
    auto result = pending.get();
    if (result) {
      ++won;
      winner = result->pid;
    } else {
      BOOST_TEST(code_of(result) == errc::agent_id_in_use);
    }
  }

  BOOST_TEST(won == 1);
  auto info = node().inspect("contested");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->pid == winner);
  BOOST_TEST(info->state == process_state::running);
}

// An agent spawns its child without the kernel; the kernel's next
// operation must find the child all the same.
BOOST_AUTO_TEST_CASE(child_of_agent_known_at_once) {
  spawn_probe("parent");
  auto parent_pid = pid_of("parent");

  auto child = ask("parent", "spawn", spawn_args(request_for("child")));

  BOOST_REQUIRE(child.find("error") == std::string::npos);
  auto info = node().inspect(child);
  BOOST_REQUIRE(info);
  BOOST_TEST(info->parent == parent_pid);
  BOOST_TEST(info->state == process_state::running);
  auto parent_info = node().inspect("parent");
  BOOST_REQUIRE(parent_info);
  BOOST_TEST(parent_info->children == std::vector<pid_type>{info->pid},
             boost::test_tools::per_element());
  auto stopped = node().stop(child);
  BOOST_REQUIRE(stopped);
  BOOST_TEST(stopped->kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_CASE(agent_id_free_after_exit) {
  spawn("twin");
  BOOST_REQUIRE(node().stop("twin"));

  auto second = node().spawn(request_for("twin"));

  BOOST_TEST(code_of(second) == errc::none);
}

BOOST_AUTO_TEST_CASE(invalid_agent_ids_rejected) {
  const std::vector<std::string> invalid = {
    "", "has space", "node:1", "12345", std::string(129, 'x'), "tab\there",
  };
  for (const auto& agent_id : invalid) {
    BOOST_TEST_CONTEXT("agent_id '" << agent_id << "'") {
      auto result = node().spawn(request_for(agent_id));
      BOOST_TEST(code_of(result) == errc::invalid_request);
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_agent_type_rejected) {
  auto result = node().spawn(request_for("typo", "no_such_type"));

  BOOST_TEST(code_of(result) == errc::agent_type_unknown);
}

BOOST_AUTO_TEST_CASE(missing_backends_leave_nothing) {
  // Remote needs a cluster, which this node has not joined. Container and
  // Tee agents have their own refusals in their tests.
  const std::vector<spawn_backend> backends = {
    remote_backend{"other-node", native_backend{}, {}},
  };
  for (const auto& backend : backends) {
    BOOST_TEST_CONTEXT("backend " << backend_name(backend)) {
      auto request = request_for(std::string{"on-"} + backend_name(backend));
      request.backend = backend;
      auto result = node().spawn(request);
      BOOST_TEST(code_of(result) == errc::backend_not_available);
    }
  }

  auto all = node().list(true);

  BOOST_REQUIRE(all);
  BOOST_TEST(all->empty());
}

BOOST_AUTO_TEST_CASE(unknown_parent_rejected) {
  auto request = request_for("orphan");
  request.parent_pid = 999;

  auto result = node().spawn(request);

  BOOST_TEST(code_of(result) == errc::process_not_found);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(stop, node_fixture)

BOOST_AUTO_TEST_CASE(graceful_stop_returns_shutdown) {
  auto log = spawn_probe("stop-graceful");

  auto reason = node().stop("stop-graceful");

  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::shutdown);
  BOOST_TEST(log->count("shutdown") == 1u);
}

BOOST_AUTO_TEST_CASE(stubborn_agent_killed_after_grace) {
  spawn_request base;
  base.env["stubborn"] = "1";
  spawn_probe("stop-stubborn", base);
  auto started = std::chrono::steady_clock::now();

  auto reason = node().stop("stop-stubborn", {false, 300});
  auto elapsed_ms = ms_since(started);

  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::killed);
  BOOST_TEST(elapsed_ms >= 300);
  BOOST_TEST(elapsed_ms < 5000);
}

BOOST_AUTO_TEST_CASE(immediate_stop_returns_killed) {
  spawn_probe("stop-now");

  auto reason = node().stop("stop-now", {true, 5000});

  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::killed);
}

BOOST_AUTO_TEST_CASE(stopped_agent_is_not_restarted) {
  auto pid = spawn("stop-final").pid;
  BOOST_REQUIRE(node().stop("stop-final"));

  auto info = node().inspect("stop-final");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->pid == pid);
  BOOST_TEST(info->state == process_state::exited);
}

BOOST_AUTO_TEST_CASE(stop_of_unknown_agent_fails) {
  auto reason = node().stop("nobody");

  BOOST_TEST(code_of(reason) == errc::process_not_found);
}

// CAF's default handler sends this error back to the sender of a message
// that the receiver has no handler for, such as the reply to a stop that
// the receiver sent without a request.
BOOST_AUTO_TEST_CASE(stray_error_leaves_kernel_running) {
  caf::anon_send(node().kernel(),
                 caf::make_error(caf::sec::unexpected_message));

  auto agents = node().list();

  BOOST_TEST(code_of(agents) == errc::none);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(restart, node_fixture)

BOOST_AUTO_TEST_CASE(restart_keeps_agent_id_new_pid) {
  auto old_pid = spawn("restarted").pid;

  auto result = node().restart("restarted");

  BOOST_REQUIRE(result);
  BOOST_TEST(result->pid != old_pid);
  BOOST_TEST(result->agent_id == "restarted");
}

BOOST_AUTO_TEST_CASE(restart_counts_restarts) {
  spawn("restarted");
  BOOST_REQUIRE(node().restart("restarted"));

  auto info = node().inspect("restarted");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->restart_count == 1u);
  BOOST_TEST(info->state == process_state::running);
}

BOOST_AUTO_TEST_CASE(restart_retires_old_instance) {
  auto old_pid = spawn("restarted").pid;
  BOOST_REQUIRE(node().restart("restarted"));

  auto old = node().inspect(std::to_string(old_pid));

  BOOST_REQUIRE(old);
  BOOST_TEST(old->state == process_state::exited);
  BOOST_REQUIRE(old->exit.has_value());
  BOOST_TEST(old->exit->kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_CASE(restarted_agent_answers) {
  spawn("restarted");
  BOOST_REQUIRE(node().restart("restarted"));

  BOOST_TEST(ask("restarted", "echo", "again") == "again");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(suspend, node_fixture)

BOOST_AUTO_TEST_CASE(suspend_changes_state) {
  spawn("sleeper");

  auto error = node().suspend("sleeper");

  BOOST_TEST(!error);
  BOOST_TEST(state_of("sleeper") == "suspended");
}

BOOST_AUTO_TEST_CASE(suspended_agent_holds_messages) {
  auto log = spawn_probe("holder");
  BOOST_REQUIRE(!node().suspend("holder"));

  auto reply = std::async(std::launch::async, [this] {
    return node().request("holder", "held", "x", patience);
  });

  auto answered_early = reply.wait_for(200ms) == std::future_status::ready;
  BOOST_TEST(!answered_early);
  BOOST_TEST(log->count("message") == 0u);
  BOOST_REQUIRE(!node().resume("holder"));
  auto answer = reply.get();
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->payload == "ack");
  BOOST_TEST(log->count("message") == 1u);
}

BOOST_AUTO_TEST_CASE(held_messages_keep_order) {
  auto log = spawn_probe("ordered");
  BOOST_REQUIRE(!node().suspend("ordered"));
  for (auto topic : {"first", "second", "third"})
    BOOST_REQUIRE(!node().send("ordered", topic, {}));
  BOOST_REQUIRE(!node().resume("ordered"));

  BOOST_REQUIRE(log->wait_for(is_message("third"), patience));
  auto seen = log->all();

  std::vector<std::string> topics;
  for (const auto& x : seen)
    if (x.kind == "message")
      topics.push_back(x.msg.topic);
  BOOST_TEST(topics == std::vector<std::string>({"first", "second", "third"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(resume_of_running_agent_rejected) {
  spawn("awake");

  auto error = node().resume("awake");

  BOOST_TEST(code_of(error) == errc::invalid_state_transition);
  BOOST_TEST(state_of("awake") == "running");
}

BOOST_AUTO_TEST_CASE(suspend_of_suspended_agent_rejected) {
  spawn("asleep");
  BOOST_REQUIRE(!node().suspend("asleep"));

  auto error = node().suspend("asleep");

  BOOST_TEST(code_of(error) == errc::invalid_state_transition);
  BOOST_TEST(state_of("asleep") == "suspended");
}

BOOST_AUTO_TEST_CASE(suspended_agent_stops) {
  spawn("asleep");
  BOOST_REQUIRE(!node().suspend("asleep"));

  auto reason = node().stop("asleep");

  BOOST_REQUIRE(reason);
  BOOST_TEST(reason->kind == exit_kind::shutdown);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(inspect_and_list, node_fixture)

BOOST_AUTO_TEST_CASE(inspect_by_pid_shows_exit_reason) {
  auto request = request_for("gone", "worker");
  request.restart = restart_type::temporary;
  auto pid = spawn(request).pid;
  ask("gone", "crash", "on purpose");
  BOOST_REQUIRE(wait_for_exit(node(), std::to_string(pid)));

  auto info = node().inspect(std::to_string(pid));

  BOOST_REQUIRE(info);
  BOOST_TEST(info->state == process_state::exited);
  BOOST_REQUIRE(info->exit.has_value());
  BOOST_TEST(to_string(*info->exit) == "crashed{crash requested: on purpose}");
}

BOOST_AUTO_TEST_CASE(inspect_by_agent_id_shows_exit_reason) {
  auto request = request_for("gone", "worker");
  request.restart = restart_type::temporary;
  spawn(request);
  ask("gone", "crash", "on purpose");
  BOOST_REQUIRE(wait_for_exit(node(), "gone"));

  auto info = node().inspect("gone");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->state == process_state::exited);
  BOOST_REQUIRE(info->exit.has_value());
  BOOST_TEST(info->exit->kind == exit_kind::crashed);
}

BOOST_AUTO_TEST_CASE(inspect_by_global_pid) {
  auto result = spawn("global");

  auto info = node().inspect(to_string(result.global));

  BOOST_REQUIRE(info);
  BOOST_TEST(info->agent_id == "global");
}

BOOST_AUTO_TEST_CASE(inspect_shows_spawn_fields) {
  auto request = request_for("described", "counter");
  request.restart = restart_type::transient;
  request.limits.max_messages = 10;
  spawn(request);

  auto info = node().inspect("described");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->agent_type == "counter");
  BOOST_TEST(info->backend == "Native");
  BOOST_TEST(info->node == "test");
  BOOST_TEST(info->parent == kernel_pid);
  BOOST_TEST(info->restart == restart_type::transient);
  BOOST_REQUIRE(info->limits.max_messages.has_value());
  BOOST_TEST(*info->limits.max_messages == 10u);
  BOOST_TEST(info->start_time_ms > 0);
}

BOOST_AUTO_TEST_CASE(inspect_counts_messages) {
  spawn("counted");
  ask("counted", "echo", "1");
  ask("counted", "echo", "2");

  auto info = node().inspect("counted");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->usage.messages_in == 2u);
  BOOST_TEST(info->usage.messages_out == 2u);
}

BOOST_AUTO_TEST_CASE(list_omits_exited_by_default) {
  spawn("listed-live");
  spawn("listed-gone");
  BOOST_REQUIRE(node().stop("listed-gone"));

  auto live = node().list(false);

  BOOST_REQUIRE(live);
  BOOST_REQUIRE(live->size() == 1u);
  BOOST_TEST(live->front().agent_id == "listed-live");
}

BOOST_AUTO_TEST_CASE(list_includes_exited_on_request) {
  spawn("listed-live");
  spawn("listed-gone");
  BOOST_REQUIRE(node().stop("listed-gone"));

  auto all = node().list(true);

  BOOST_REQUIRE(all);
  BOOST_REQUIRE(all->size() == 2u);
  BOOST_TEST(all->at(0).agent_id == "listed-gone");
  BOOST_TEST(all->at(0).state == process_state::exited);
  BOOST_TEST(all->at(1).agent_id == "listed-live");
  BOOST_TEST(all->at(1).state == process_state::running);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(watch, node_fixture)

namespace {

std::vector<process_state> states_of(const std::vector<state_change>& changes) {
  std::vector<process_state> result;
  for (const auto& change : changes)
    result.push_back(change.to);
  return result;
}

/// The states a watcher sees an agent enter. A new entry starts in
/// `starting`, which is no change, so the first change is to `running`.
const std::vector<process_state> full_life = {
  process_state::running,
  process_state::stopping,
  process_state::exited,
};

} // namespace

BOOST_AUTO_TEST_CASE(scoped_actor_sees_whole_life) {
  caf::scoped_actor watcher{node().system()};
  node().watch(caf::actor_cast<caf::actor>(watcher.ptr()));
  auto pid = spawn("watched").pid;
  BOOST_REQUIRE(node().stop("watched"));

  std::vector<state_change> changes;
  bool timed_out = false;
  while (!timed_out
         && (changes.empty() || changes.back().to != process_state::exited)) {
    watcher->receive(
      [&](const state_change& change) {
        if (change.pid == pid)
          changes.push_back(change);
      },
      caf::after(patience) >> [&] { timed_out = true; });
  }

  BOOST_TEST(!timed_out);
  BOOST_TEST(states_of(changes) == full_life, boost::test_tools::per_element());
  BOOST_REQUIRE(!changes.empty());
  BOOST_TEST(changes.front().from == process_state::starting);
  for (const auto& change : changes)
    BOOST_TEST(change.from != change.to, to_string(change.to));
  BOOST_REQUIRE(changes.back().exit.has_value());
  BOOST_TEST(changes.back().exit->kind == exit_kind::shutdown);
  BOOST_TEST(changes.back().agent_id == "watched");
}

BOOST_AUTO_TEST_CASE(event_based_actor_sees_whole_life) {
  auto log = std::make_shared<recorder>();
  // The recorder is a spawn argument rather than a capture, because CAF
  // 0.17.6 dereferences a null argument tuple when it starts a function
  // actor spawned without arguments, which UBSan reports.
  auto watcher = node().system().spawn(
    [](caf::event_based_actor*,
       std::shared_ptr<recorder> log) -> caf::behavior {
      return {
        [log](const state_change& change) {
          observation x;
          x.kind = to_string(change.to);
          x.pid = change.pid;
          log->add(std::move(x));
        },
      };
    },
    log);
  node().watch(watcher);
  auto pid = spawn("watched").pid;
  BOOST_REQUIRE(node().stop("watched"));

  BOOST_REQUIRE(log->wait_for(is_about("exited", pid), patience));
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  auto all = log->all();

  std::vector<std::string> states;
  for (const auto& x : all)
    if (x.pid == pid)
      states.push_back(x.kind);
  BOOST_TEST(states
               == std::vector<std::string>({"running", "stopping", "exited"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unwatch_ends_stream) {
  caf::scoped_actor watcher{node().system()};
  auto handle = caf::actor_cast<caf::actor>(watcher.ptr());
  node().watch(handle);
  node().unwatch(handle);
  spawn("unwatched");
  caf::anon_send(handle, std::string{"marker"});

  std::size_t changes = 0;
  bool marker = false;
  while (!marker) {
    watcher->receive([&](const state_change&) { ++changes; },
                     [&](const std::string&) { marker = true; },
                     caf::after(patience) >> [&] { marker = true; });
  }

  BOOST_TEST(changes == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(node_shutdown)

// A node must be destroyed on the thread that created it (see node.hpp), so
// these tests destroy it here. The timeouts turn a hanging shutdown into a
// failure instead of a stuck run.

BOOST_AUTO_TEST_CASE(shutdown_stops_every_agent,
                     *boost::unit_test::timeout(60)) {
  auto fixture = std::make_unique<node_fixture>();
  fixture->spawn("alpha");
  auto log = fixture->spawn_probe("beta");
  auto started = std::chrono::steady_clock::now();

  fixture.reset();

  BOOST_TEST(ms_since(started) < 10'000);
  BOOST_TEST(log->count("shutdown") == 1u);
}

BOOST_AUTO_TEST_CASE(shutdown_cancels_pending_restart,
                     *boost::unit_test::timeout(60)) {
  auto config = node_fixture::test_config();
  config.root_supervision.backoff_initial_ms = 300;
  auto fixture = std::make_unique<node_fixture>(config);
  spawn_request stubborn;
  stubborn.env["stubborn"] = "1";
  fixture->spawn_probe("stubborn", stubborn);
  auto pid = fixture->spawn(request_for("crasher", "worker")).pid;
  fixture->ask("crasher", "crash", "now");
  BOOST_REQUIRE(wait_for_exit(fixture->node(), std::to_string(pid)));
  auto started = std::chrono::steady_clock::now();

  // The stubborn probe holds the shutdown for its 1 s grace period, and
  // the crasher's restart falls due meanwhile.
  fixture.reset();

  BOOST_TEST(ms_since(started) < 10'000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(command_loop, node_fixture)

BOOST_AUTO_TEST_CASE(stray_error_message_is_ignored) {
  spawn("loop");
  auto cell = node().services().agents.find("loop");
  BOOST_REQUIRE(cell);

  caf::anon_send(cell->actor(), make_error(errc::internal_error, "stray"));

  BOOST_TEST(ask("loop", "echo", "still here") == "still here");
  BOOST_TEST(state_of("loop") == "running");
}

BOOST_AUTO_TEST_CASE(ping_reports_uptime) {
  spawn("loop");

  auto reply = ask("loop", "ping");

  BOOST_TEST(reply.rfind("pong uptime_ms=", 0) == 0u);
  auto digits = reply.substr(std::string{"pong uptime_ms="}.size());
  BOOST_TEST(!digits.empty());
  BOOST_TEST(digits.find_first_not_of("0123456789") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(echo_returns_payload) {
  spawn("loop");

  BOOST_TEST(ask("loop", "echo", "hello") == "hello");
}

BOOST_AUTO_TEST_CASE(stats_are_json) {
  auto pid = spawn("loop").pid;
  ask("loop", "echo", "one");

  auto stats = nlohmann::json::parse(ask("loop", "stats"), nullptr, false);

  BOOST_REQUIRE(stats.is_object());
  BOOST_TEST(stats.value("pid", pid_type{0}) == pid);
  BOOST_TEST(stats.value("agent_id", std::string{}) == "loop");
  BOOST_TEST(stats.value("messages_in", 0) == 2);
  BOOST_TEST(stats.value("messages_out", 0) == 1);
  BOOST_TEST(stats.contains("uptime_ms"));
  BOOST_TEST(stats.contains("cpu_ns"));
}

BOOST_AUTO_TEST_CASE(suspend_and_resume_by_message) {
  spawn("loop");

  BOOST_TEST(ask("loop", "suspend") == "suspending");
  BOOST_TEST(wait_until([&] { return state_of("loop") == "suspended"; },
                        patience));
  BOOST_TEST(ask("loop", "resume") == "resuming");
  BOOST_TEST(wait_until([&] { return state_of("loop") == "running"; },
                        patience));
  BOOST_TEST(ask("loop", "echo", "awake") == "awake");
}

BOOST_AUTO_TEST_CASE(unknown_command_is_invalid_request) {
  spawn("loop");

  auto reply = node().request("loop", "dance", {}, patience);

  BOOST_TEST(code_of(reply) == errc::invalid_request);
}

BOOST_AUTO_TEST_SUITE_END()
