// The corral CLI against a real `corral node` process: the lifecycle and
// messaging commands, each checked through its output and exit code.

#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "cli_checks.hpp"
#include "node_process.hpp"

using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(cli_agents)

BOOST_AUTO_TEST_CASE(spawn_prints_global_pid) {
  node_process node;
  auto result = node.corral({"spawn", "--id", "w1", "--type", "worker"});
  BOOST_TEST(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out == "spawned w1 as it:1\n");
}

BOOST_AUTO_TEST_CASE(spawn_json_prints_result) {
  node_process node;
  auto result = node.corral({"spawn", "--id", "w1", "--json"});
  BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
  auto reply = parse_stdout(result);
  BOOST_TEST(reply["agent_id"] == "w1");
  BOOST_TEST(reply["pid"] == 1);
  BOOST_TEST(reply["global"] == "it:1");
}

BOOST_AUTO_TEST_CASE(spawn_passes_env_and_restart) {
  node_process node;
  auto spawned = node.corral({"spawn", "--id", "e1", "--env", "A=1", "--env",
                              "B=x=y", "--restart", "temporary"});
  BOOST_TEST_REQUIRE(spawned.exit_code == 0, summary(spawned));
  auto inspected = node.corral({"inspect", "e1", "--json"});
  BOOST_TEST_REQUIRE(inspected.exit_code == 0, summary(inspected));
  BOOST_TEST(parse_stdout(inspected)["restart"] == "temporary");
}

BOOST_AUTO_TEST_CASE(spawn_reads_json_request_from_stdin) {
  node_process node;
  auto result = node.corral(
    {"spawn", "--json-request", "-"}, std::chrono::seconds{20},
    R"({"agent_id":"c1","agent_type":"counter","restart":"transient"})");
  BOOST_TEST(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out == "spawned c1 as it:1\n");
}

BOOST_AUTO_TEST_CASE(send_prints_reply_payload) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1", "--type", "worker"})
                       .exit_code
                     == 0);
  auto result = node.corral({"send", "w1", "work", "job-7"});
  BOOST_TEST(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out == "done: job-7\n");
}

BOOST_AUTO_TEST_CASE(send_counts_with_counter) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "c1", "--type", "counter"})
                       .exit_code
                     == 0);
  BOOST_TEST(node.corral({"send", "c1", "increment"}).out == "1\n");
  BOOST_TEST(node.corral({"send", "c1", "increment", "5"}).out == "6\n");
  BOOST_TEST(node.corral({"send", "c1", "get"}).out == "6\n");
}

BOOST_AUTO_TEST_CASE(send_json_prints_reply_message) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "l1"}).exit_code == 0);
  auto result = node.corral({"send", "l1", "echo", "hi", "--json"});
  BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
  auto reply = parse_stdout(result);
  BOOST_TEST(reply["payload"] == "hi");
  BOOST_TEST(reply["kind"] == "reply");
  BOOST_TEST(reply["from"] == "it:1");
}

BOOST_AUTO_TEST_CASE(send_cast_is_one_way) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "c1", "--type", "counter"})
                       .exit_code
                     == 0);
  auto cast = node.corral({"send", "c1", "increment", "--cast"});
  BOOST_TEST(cast.exit_code == 0, summary(cast));
  BOOST_TEST(cast.out.empty());

  // A cast and a later request come from different senders, so the
  // request may overtake the cast; poll until the increment shows.
  std::string value;
  for (int i = 0; i < 50 && value != "1\n"; ++i) {
    value = node.corral({"send", "c1", "get"}).out;
    if (value != "1\n")
      std::this_thread::sleep_for(milliseconds{20});
  }
  BOOST_TEST(value == "1\n");
}

BOOST_AUTO_TEST_CASE(ps_lists_live_agents) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1", "--type", "worker"})
                       .exit_code
                     == 0);
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "c1", "--type", "counter"})
                       .exit_code
                     == 0);
  auto result = node.corral({"ps"});
  BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
  auto lines = split_lines(result.out);
  BOOST_TEST_REQUIRE(lines.size() == 3u, result.out);
  BOOST_TEST(lines[0].rfind("PID  AGENT_ID  TYPE", 0) == 0u, lines[0]);
  BOOST_TEST(lines[0].find("RESTARTS  MSGS_IN  MSGS_OUT  MEMORY  FUEL  UPTIME")
               != std::string::npos,
             lines[0]);
  BOOST_TEST(lines[1].find("w1") != std::string::npos, lines[1]);
  BOOST_TEST(lines[1].find("worker") != std::string::npos, lines[1]);
  BOOST_TEST(lines[1].find("running") != std::string::npos, lines[1]);
  BOOST_TEST(lines[2].find("counter") != std::string::npos, lines[2]);
}

BOOST_AUTO_TEST_CASE(ps_all_includes_exit_reason) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1"}).exit_code == 0);
  BOOST_TEST_REQUIRE(node.corral({"stop", "w1", "--now"}).exit_code == 0);
  auto live = node.corral({"ps"});
  BOOST_TEST(split_lines(live.out).size() == 1u, live.out);
  auto all = node.corral({"ps", "--all"});
  BOOST_TEST_REQUIRE(all.exit_code == 0, summary(all));
  BOOST_TEST(all.out.find("EXIT_REASON") != std::string::npos, all.out);
  BOOST_TEST(all.out.find("exited") != std::string::npos, all.out);
  BOOST_TEST(all.out.find("killed") != std::string::npos, all.out);
}

BOOST_AUTO_TEST_CASE(inspect_shows_entry) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1", "--type", "worker"})
                       .exit_code
                     == 0);
  auto text = node.corral({"inspect", "w1"});
  BOOST_TEST(text.exit_code == 0, summary(text));
  BOOST_TEST(text.out.find("agent_type: worker") != std::string::npos,
             text.out);
  BOOST_TEST(text.out.find("state: running") != std::string::npos, text.out);

  auto by_pid = node.corral({"inspect", "1", "--json"});
  BOOST_TEST_REQUIRE(by_pid.exit_code == 0, summary(by_pid));
  auto process = parse_stdout(by_pid);
  BOOST_TEST(process["agent_id"] == "w1");
  BOOST_TEST(process["backend"] == "Native");
  BOOST_TEST(process["node"] == "it");
}

BOOST_AUTO_TEST_CASE(stop_prints_exit_reason) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1"}).exit_code == 0);
  auto result = node.corral({"stop", "w1", "--grace", "1000"});
  BOOST_TEST(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out == "w1 exited: shutdown\n");
}

BOOST_AUTO_TEST_CASE(stop_now_kills) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1"}).exit_code == 0);
  auto result = node.corral({"stop", "w1", "--now", "--json"});
  BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
  BOOST_TEST(parse_stdout(result)["exit_reason"]["kind"] == "killed");
}

BOOST_AUTO_TEST_CASE(restart_prints_new_pid) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1", "--type", "worker"})
                       .exit_code
                     == 0);
  auto result = node.corral({"restart", "w1"});
  BOOST_TEST(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out == "restarted w1 as it:2\n");

  auto process = parse_stdout(node.corral({"inspect", "w1", "--json"}));
  BOOST_TEST(process["pid"] == 2);
  BOOST_TEST(process["restart_count"] == 1);
  BOOST_TEST(node.corral({"send", "w1", "work", "again"}).out
             == "done: again\n");
}

BOOST_AUTO_TEST_CASE(suspend_holds_messages_until_resume) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "c1", "--type", "counter"})
                       .exit_code
                     == 0);
  auto suspended = node.corral({"suspend", "c1"});
  BOOST_TEST(suspended.exit_code == 0, summary(suspended));
  BOOST_TEST(suspended.out == "suspended c1\n");
  auto state = parse_stdout(node.corral({"inspect", "c1", "--json"}));
  BOOST_TEST(state["state"] == "suspended");

  auto held = node.corral({"send", "c1", "increment", "--timeout", "300"});
  BOOST_TEST(held.exit_code == 1, summary(held));
  BOOST_TEST(held.err.find("timeout") != std::string::npos, held.err);

  auto resumed = node.corral({"resume", "c1"});
  BOOST_TEST(resumed.exit_code == 0, summary(resumed));
  BOOST_TEST(resumed.out == "resumed c1\n");
  // The increment held while suspended is delivered before this request.
  BOOST_TEST(node.corral({"send", "c1", "get"}).out == "1\n");
}

BOOST_AUTO_TEST_CASE(watch_count_prints_state_changes) {
  node_process node;
  auto watch = node.start_corral({"watch", "--count", "2", "--timeout",
                                  "15000"},
                                 "watch");
  // The watch subscribes asynchronously; spawn until its output shows up.
  for (int i = 0; i < 50 && watch->running(); ++i) {
    node.corral({"spawn", "--id", "w" + std::to_string(i)});
    if (watch->wait_for_exit(milliseconds{200}) >= 0)
      break;
  }
  auto code = watch->wait_for_exit(std::chrono::seconds{15});
  BOOST_TEST(code == 0, watch->err());
  auto lines = split_lines(watch->out());
  BOOST_TEST(lines.size() == 2u, watch->out());
  BOOST_TEST(watch->out().find("-> running") != std::string::npos,
             watch->out());
}

BOOST_AUTO_TEST_CASE(watch_shows_spawn_as_real_transition) {
  node_process node;
  auto watch = node.start_corral({"watch", "--json", "--count", "1",
                                  "--timeout", "15000"},
                                 "watch");
  // The watch subscribes asynchronously; spawn until its output shows up.
  for (int i = 0; i < 50 && watch->running(); ++i) {
    node.corral({"spawn", "--id", "s" + std::to_string(i)});
    if (watch->wait_for_exit(milliseconds{200}) >= 0)
      break;
  }
  BOOST_TEST(watch->wait_for_exit(std::chrono::seconds{15}) == 0,
             watch->err());
  auto change = json::parse(watch->out(), nullptr, false);
  BOOST_TEST(change.value("from", "") == "starting", watch->out());
  BOOST_TEST(change.value("to", "") == "running", watch->out());
}

BOOST_AUTO_TEST_CASE(watch_json_timeout_ends_cleanly) {
  node_process node;
  auto result = node.corral({"watch", "--json", "--timeout", "300"});
  BOOST_TEST(result.exit_code == 0, summary(result));
  BOOST_TEST(result.out.empty(), result.out);
}

BOOST_AUTO_TEST_CASE(stats_and_dead_letters) {
  node_process node;
  BOOST_TEST(node.corral({"send", "ghost", "hello"}).exit_code == 1);
  auto letters = node.corral({"dead-letters", "--json"});
  BOOST_TEST_REQUIRE(letters.exit_code == 0, summary(letters));
  auto reply = parse_stdout(letters);
  BOOST_TEST(reply["total"] == 1);
  BOOST_TEST(reply["dead_letters"][0]["target"] == "ghost");
  BOOST_TEST(reply["dead_letters"][0]["reason"] == "unknown_target");
  BOOST_TEST(reply["dead_letters"][0]["message"]["to"] == "ghost");

  auto stats = node.corral({"stats", "--json"});
  BOOST_TEST_REQUIRE(stats.exit_code == 0, summary(stats));
  auto counters = parse_stdout(stats);
  BOOST_TEST(counters["node_id"] == "it");
  BOOST_TEST(counters["dead_letters"] == 1);
  BOOST_TEST(counters["control"]["requests"].get<int>() >= 3);
}

BOOST_AUTO_TEST_CASE(large_dead_letter_payload_is_cut) {
  node_process node;
  const std::string payload(100 * 1024, 'p');
  BOOST_TEST(node.corral({"send", "ghost", "big", payload})
               .exit_code
             == 1);
  auto letters = node.corral({"dead-letters", "--json"});
  BOOST_TEST_REQUIRE(letters.exit_code == 0, summary(letters));
  auto reply = parse_stdout(letters);
  BOOST_TEST_REQUIRE(reply["dead_letters"].size() == 1u, letters.out);
  auto message = reply["dead_letters"][0]["message"];
  BOOST_TEST(message["payload"].get<std::string>().size() == 4096u);
  BOOST_TEST(message["payload_bytes"] == payload.size());
  BOOST_TEST(message["payload_truncated"] == true);
}

BOOST_AUTO_TEST_CASE(dead_letter_shows_target_as_given) {
  node_process node;
  const std::vector<std::string> targets = {"ghost", "4242", "n2:9"};
  for (const auto& target : targets)
    BOOST_TEST(node.corral({"send", target, "hello"}).exit_code == 1, target);
  auto letters = node.corral({"dead-letters", "--json"});
  BOOST_TEST_REQUIRE(letters.exit_code == 0, summary(letters));
  auto reply = parse_stdout(letters);
  BOOST_TEST_REQUIRE(reply["dead_letters"].size() == targets.size(),
                     letters.out);
  for (std::size_t i = 0; i < targets.size(); ++i)
    BOOST_TEST(reply["dead_letters"][i]["message"]["to"] == targets[i],
               letters.out);
}

BOOST_AUTO_TEST_SUITE_END()
