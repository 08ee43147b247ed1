// The process table: lifecycle transitions, the bounded history of exited
// entries, and the limit on live agents.

#include <set>
#include <string>
#include <utility>

#include <boost/test/unit_test.hpp>

#include "actors/directory.hpp"
#include "actors/process_table.hpp"
#include "serialization/binary_forms.hpp"
#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

constexpr process_state all_states[] = {
  process_state::starting,  process_state::running, process_state::suspended,
  process_state::stopping,  process_state::exited,
};

std::shared_ptr<agent_cell> make_cell(pid_type pid,
                                      const std::string& agent_id) {
  auto cell = std::make_shared<agent_cell>();
  cell->pid = pid;
  cell->agent_id = agent_id;
  return cell;
}

process_entry make_entry(pid_type pid, const std::string& agent_id) {
  spawn_request request;
  request.agent_id = agent_id;
  process_entry entry;
  entry.cell = make_cell(pid, agent_id);
  entry.request = store(request);
  return entry;
}

// What the kernel passes to retire: the entry's last snapshot.
process_info last_snapshot(pid_type pid, const std::string& agent_id) {
  process_info info;
  info.pid = pid;
  info.agent_id = agent_id;
  return info;
}

} // namespace

BOOST_AUTO_TEST_SUITE(transitions)

BOOST_AUTO_TEST_CASE(only_lifecycle_edges_are_valid) {
  using ps = process_state;
  const std::set<std::pair<ps, ps>> valid = {
    {ps::starting, ps::running},   {ps::starting, ps::stopping},
    {ps::starting, ps::exited},    {ps::running, ps::suspended},
    {ps::running, ps::stopping},   {ps::running, ps::exited},
    {ps::suspended, ps::running},  {ps::suspended, ps::stopping},
    {ps::suspended, ps::exited},   {ps::stopping, ps::exited},
  };
  for (auto from : all_states) {
    for (auto to : all_states) {
      BOOST_TEST_CONTEXT(to_string(from) << " -> " << to_string(to)) {
        BOOST_TEST(is_valid_transition(from, to)
                   == (valid.count({from, to}) > 0));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_transition_keeps_state) {
  process_table table{10};
  auto& entry = table.insert(make_entry(1, "a"));
  entry.state = process_state::running;

  auto error = table.transition(entry, process_state::starting);

  BOOST_TEST(code_of(error) == errc::invalid_state_transition);
  BOOST_TEST(entry.state == process_state::running);
}

BOOST_AUTO_TEST_CASE(valid_transition_changes_state) {
  process_table table{10};
  auto& entry = table.insert(make_entry(1, "a"));
  entry.state = process_state::running;

  auto error = table.transition(entry, process_state::suspended);

  BOOST_TEST(!error);
  BOOST_TEST(entry.state == process_state::suspended);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(history)

BOOST_AUTO_TEST_CASE(retire_keeps_exit_reason) {
  process_table table{10};
  table.insert(make_entry(1, "a"));

  table.retire(1, last_snapshot(1, "a"), {exit_kind::crashed, "boom"});

  BOOST_TEST(table.find(1) == nullptr);
  BOOST_TEST(table.live_count() == 0u);
  auto exited = table.find_exited(1);
  BOOST_REQUIRE(exited != nullptr);
  BOOST_TEST(exited->state == process_state::exited);
  BOOST_REQUIRE(exited->exit.has_value());
  BOOST_TEST(to_string(*exited->exit) == "crashed{boom}");
}

BOOST_AUTO_TEST_CASE(oldest_exited_entries_are_reaped) {
  process_table table{2};
  for (pid_type pid = 1; pid <= 3; ++pid) {
    table.insert(make_entry(pid, "agent-" + std::to_string(pid)));
    table.retire(pid, last_snapshot(pid, "agent-" + std::to_string(pid)),
                 {exit_kind::shutdown, {}});
  }

  BOOST_TEST(table.exited().size() == 2u);
  BOOST_TEST(table.find_exited(1) == nullptr);
  BOOST_TEST(table.find_exited("agent-1") == nullptr);
  BOOST_TEST(table.find_exited(2) != nullptr);
  BOOST_TEST(table.find_exited(3) != nullptr);
}

BOOST_AUTO_TEST_CASE(exited_lookup_by_name_finds_latest) {
  process_table table{10};
  table.insert(make_entry(1, "a"));
  table.retire(1, last_snapshot(1, "a"), {exit_kind::crashed, "first"});
  table.insert(make_entry(2, "a"));
  table.retire(2, last_snapshot(2, "a"), {exit_kind::shutdown, {}});

  auto exited = table.find_exited("a");

  BOOST_REQUIRE(exited != nullptr);
  BOOST_TEST(exited->pid == 2u);
}

BOOST_AUTO_TEST_CASE(node_history_is_bounded) {
  auto config = node_fixture::test_config();
  config.exited_history = 2;
  node_fixture fixture{config};
  std::vector<pid_type> pids;
  for (int i = 0; i < 3; ++i) {
    auto agent_id = "history-" + std::to_string(i);
    pids.push_back(fixture.spawn(agent_id).pid);
    BOOST_REQUIRE(fixture.node().stop(agent_id));
  }

  auto all = fixture.node().list(true);

  BOOST_REQUIRE(all);
  BOOST_TEST(all->size() == 2u);
  BOOST_TEST(code_of(fixture.node().inspect(std::to_string(pids[0])))
             == errc::process_not_found);
  BOOST_TEST(fixture.state_of(std::to_string(pids[2])) == "exited");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(table_limit)

// The node's directory keeps the names of live agents and enforces the
// table limit for every spawn path.
BOOST_AUTO_TEST_CASE(full_table_rejects_insert) {
  directory agents;
  BOOST_REQUIRE(agents.add(make_cell(1, "a"), 2).status == directory::claim::ok);
  BOOST_REQUIRE(agents.add(make_cell(2, "b"), 2).status == directory::claim::ok);

  auto third = agents.add(make_cell(3, "c"), 2);

  BOOST_TEST(third.status == directory::claim::full);
  BOOST_TEST(agents.find(3) == nullptr);
}

BOOST_AUTO_TEST_CASE(exited_entries_do_not_count) {
  directory agents;
  agents.add(make_cell(1, "a"), 2);
  agents.add(make_cell(2, "b"), 2);
  agents.remove(1);

  BOOST_TEST(agents.add(make_cell(3, "c"), 2).status == directory::claim::ok);
}

BOOST_AUTO_TEST_CASE(live_name_is_taken) {
  directory agents;
  agents.add(make_cell(1, "a"), 10);

  auto second = agents.add(make_cell(2, "a"), 10);

  BOOST_TEST(second.status == directory::claim::name_taken);
  BOOST_TEST(second.holder == 1u);
  agents.remove(1);
  BOOST_TEST(agents.add(make_cell(3, "a"), 10).status == directory::claim::ok);
}

BOOST_AUTO_TEST_CASE(reserved_name_is_taken) {
  directory agents;
  BOOST_REQUIRE(agents.reserve("a", 1, 10).status == directory::claim::ok);

  BOOST_TEST(agents.find("a") == nullptr);
  BOOST_TEST(agents.add(make_cell(2, "a"), 10).status
             == directory::claim::name_taken);
  agents.release("a", 1);
  BOOST_TEST(agents.add(make_cell(3, "a"), 10).status == directory::claim::ok);
}

// Removing agents frees their names and table slots for later agents,
// and lookups of the agents that stay still find them by pid and name.
BOOST_AUTO_TEST_CASE(removed_agents_free_names_and_pids) {
  directory agents;
  for (pid_type pid = 1; pid <= 500; ++pid)
    BOOST_REQUIRE(agents.add(make_cell(pid, "agent-" + std::to_string(pid)),
                             500)
                    .status
                  == directory::claim::ok);
  for (pid_type pid = 1; pid <= 500; pid += 2)
    agents.remove(pid);

  for (pid_type pid = 501; pid <= 750; ++pid)
    BOOST_REQUIRE(agents.add(make_cell(pid, "agent-" + std::to_string(pid)),
                             500)
                    .status
                  == directory::claim::ok);

  BOOST_TEST(agents.size() == 500u);
  BOOST_TEST(agents.find(1) == nullptr);
  BOOST_TEST(agents.find("agent-1") == nullptr);
  BOOST_TEST(agents.add(make_cell(751, "agent-2"), 1000).status
             == directory::claim::name_taken);
  BOOST_TEST(agents.add(make_cell(752, "extra"), 500).status
             == directory::claim::full);
  for (pid_type pid = 2; pid <= 750; pid += (pid < 500 ? 2 : 1)) {
    auto cell = agents.find(pid);
    BOOST_REQUIRE(cell != nullptr);
    BOOST_TEST(cell->agent_id == "agent-" + std::to_string(pid));
    BOOST_TEST(agents.find(cell->agent_id) == cell);
  }
}

BOOST_AUTO_TEST_CASE(third_spawn_fills_two_slots) {
  auto config = node_fixture::test_config();
  config.max_agents = 2;
  node_fixture fixture{config};
  fixture.spawn("limit-a");
  fixture.spawn("limit-b");

  auto third = fixture.node().spawn(request_for("limit-c"));

  BOOST_TEST(code_of(third) == errc::process_table_full);
}

BOOST_AUTO_TEST_CASE(spawn_works_again_after_stop) {
  auto config = node_fixture::test_config();
  config.max_agents = 2;
  node_fixture fixture{config};
  fixture.spawn("limit-a");
  fixture.spawn("limit-b");
  BOOST_REQUIRE(fixture.node().stop("limit-a"));

  auto third = fixture.node().spawn(request_for("limit-c"));

  BOOST_TEST(code_of(third) == errc::none);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(stored_request_unpacks_every_field) {
  spawn_request request;
  request.agent_id = "an-agent-id-longer-than-fifteen-characters";
  request.agent_type = "worker";
  request.caps = capabilities{};
  request.caps->can_spawn = false;
  request.caps->can_publish = {"metrics"};
  request.parent_pid = 7;
  request.env = {{"MODE", "fast"}, {"LEVEL", "3"}};
  request.backend = wasm_backend{"agents/echo.wasm"};
  request.restart = restart_type::transient;
  request.supervision.strategy = restart_strategy::rest_for_one;
  request.supervision.max_restarts = 2;
  request.limits.memory_bytes = 1 << 20;
  request.limits.fuel = 5000;

  auto stored = store(request);
  BOOST_TEST(stored->agent_id() == request.agent_id);
  BOOST_TEST(stored->agent_type() == "worker");
  BOOST_TEST(std::string(stored->backend()) == "Wasm");
  BOOST_TEST(stored->restart() == restart_type::transient);
  auto unpacked = stored->unpack();
  BOOST_REQUIRE(unpacked);
  BOOST_TEST(to_binary(**unpacked) == to_binary(request));
}

BOOST_AUTO_TEST_CASE(plain_stored_request_unpacks) {
  spawn_request request;
  request.agent_id = "plain";
  request.agent_type = "echo";
  request.restart = restart_type::temporary;

  auto stored = store(request);
  auto unpacked = stored->unpack();
  BOOST_REQUIRE(unpacked);
  BOOST_TEST(to_binary(**unpacked) == to_binary(request));
  BOOST_TEST(stored->restart() == restart_type::temporary);
}

BOOST_AUTO_TEST_CASE(stored_request_keeps_one_set_field) {
  // Each request sets one field beyond the plain ones, so a field that
  // the plain check missed would be lost here.
  std::vector<spawn_request> requests(7);
  requests[0].caps = capabilities{};
  requests[1].parent_pid = 3;
  requests[2].env = {{"KEY", "value"}};
  requests[3].backend = container_backend{"corral/echo"};
  requests[4].supervision.backoff_max_ms = 5;
  requests[5].limits.value_stack = 64;
  // The kernel's pid is 0, and a request that names it still names one.
  requests[6].parent_pid = kernel_pid;
  for (auto& request : requests) {
    request.agent_id = "one-field";
    auto unpacked = store(request)->unpack();
    BOOST_REQUIRE(unpacked);
    BOOST_TEST(to_binary(**unpacked) == to_binary(request));
  }
}

// A spawn outside the kernel hands over the request without its agent_id,
// and the kernel packs it with the agent_id of the agent's cell.
BOOST_AUTO_TEST_CASE(split_fields_pack_with_cell_agent_id) {
  spawn_request request;
  request.agent_id = "split-request";
  request.agent_type = "a-type-longer-than-fifteen-characters";
  request.parent_pid = 4;
  request.env = {{"KEY", "value"}};
  request.restart = restart_type::temporary;

  auto fields = split_fields(request);
  BOOST_TEST(fields.agent_type == request.agent_type);
  BOOST_TEST(!fields.encoded.empty());
  stored_request stored{"split-request", std::move(fields)};

  BOOST_TEST(stored.agent_id() == "split-request");
  BOOST_TEST(stored.agent_type() == request.agent_type);
  BOOST_TEST(stored.restart() == restart_type::temporary);
  auto unpacked = stored.unpack();
  BOOST_REQUIRE(unpacked);
  BOOST_TEST(to_binary(**unpacked) == to_binary(request));
}

BOOST_AUTO_TEST_CASE(plain_split_fields_encode_nothing) {
  spawn_request request;
  request.agent_id = "plain-split";
  request.agent_type = "echo";
  request.parent_pid = 9;

  auto fields = split_fields(request);

  BOOST_TEST(fields.encoded.empty());
  BOOST_TEST(fields.has_parent);
  BOOST_TEST(fields.parent == 9u);
  auto unpacked = stored_request{"plain-split", std::move(fields)}.unpack();
  BOOST_REQUIRE(unpacked);
  BOOST_TEST(to_binary(**unpacked) == to_binary(request));
}
