// Clusters of real `corral node` processes on 127.0.0.1: joining through a
// seed, failure detection of a killed and of a frozen node, leaving,
// restarting, garbage frames, and the cluster options of the CLI.

#include <csignal>
#include <iostream>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "remote_cluster.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(three_nodes_join_through_one_seed) {
  three_members cluster;
  std::cout << "cluster_test: three nodes saw each other alive after "
            << cluster.join_ms << " ms\n";

  auto table = cluster.n2->corral({"nodes"});
  BOOST_TEST(table.exit_code == 0, summary(table));
  BOOST_TEST(table.out.find("LAST HEARTBEAT") != std::string::npos, table.out);
  BOOST_TEST(table.out.find("n2 (this node)") != std::string::npos, table.out);

  // Agent counts and round trips come with heartbeats and their
  // acknowledgements, which start after the hellos.
  poll_until(seconds{2}, [&] {
    for (const auto& member : cluster.v2->members())
      if (member["agents"].is_null()
          || (!member["self"].get<bool>() && member["rtt_us"].is_null()))
        return false;
    return true;
  });
  auto listed = cluster.n2->corral({"nodes", "--json"});
  BOOST_TEST_REQUIRE(listed.exit_code == 0, summary(listed));
  auto members = parse_stdout(listed);
  BOOST_TEST_REQUIRE(members.size() == 3u, members.dump());
  for (const auto& member : members) {
    BOOST_TEST(member["state"] == "alive", member.dump());
    BOOST_TEST(member["agents"] == 0, member.dump());
    if (!member["self"].get<bool>()) {
      BOOST_TEST(member["rtt_us"].is_number(), member.dump());
      BOOST_TEST(member["last_heartbeat_ms"].get<int>() < 1000, member.dump());
    }
  }
}

BOOST_AUTO_TEST_CASE(agent_count_travels_in_heartbeats) {
  three_members cluster;
  BOOST_TEST_REQUIRE(
    cluster.n3->corral({"spawn", "--id", "w1", "--type", "worker"}).exit_code
    == 0);
  bool seen = poll_until(seconds{3}, [&] {
    for (const auto& member : cluster.v1->members())
      if (member["node_id"] == "n3" && member["agents"] == 1)
        return true;
    return false;
  });
  BOOST_TEST(seen, cluster.v1->members().dump());
}

BOOST_AUTO_TEST_CASE(killed_node_is_seen_down_quickly) {
  three_members cluster;
  ::kill(cluster.n3->process().pid(), SIGKILL);
  auto killed = clock_type::now();
  auto by_n1 = milliseconds_until_state(*cluster.v1, "n3", "down", killed,
                                       seconds{5});
  auto by_n2 = milliseconds_until_state(*cluster.v2, "n3", "down", killed,
                                       seconds{5});
  std::cout << "cluster_test: kill -9 of n3 seen down by n1 after " << by_n1
            << " ms, by n2 after " << by_n2 << " ms\n";
  BOOST_TEST(by_n1 >= 0);
  BOOST_TEST(by_n2 >= 0);
  BOOST_TEST(by_n1 < 1500);
  BOOST_TEST(by_n2 < 1500);
  BOOST_TEST(all_alive(*cluster.v1, {"n1", "n2"}));
}

BOOST_AUTO_TEST_CASE(frozen_node_is_down_then_back) {
  three_members cluster;
  auto pid = cluster.n3->process().pid();
  continue_at_exit resume{pid};
  BOOST_TEST_REQUIRE(freeze(pid),
                     "node process " << pid << " did not stop");
  auto stopped = clock_type::now();
  auto by_n1 = milliseconds_until_state(*cluster.v1, "n3", "down", stopped,
                                       seconds{6});
  auto by_n2 = milliseconds_until_state(*cluster.v2, "n3", "down", stopped,
                                       seconds{6});
  std::cout << "cluster_test: SIGSTOP of n3 seen down by n1 after " << by_n1
            << " ms, by n2 after " << by_n2 << " ms\n";
  BOOST_TEST(by_n1 >= 0);
  BOOST_TEST(by_n2 >= 0);
  BOOST_TEST(by_n1 < 3000);
  BOOST_TEST(by_n2 < 3000);

  ::kill(pid, SIGCONT);
  bool back = poll_until(seconds{5}, [&] {
    return all_alive(*cluster.v1, cluster.ids)
           && all_alive(*cluster.v2, cluster.ids)
           && all_alive(*cluster.v3, cluster.ids);
  });
  BOOST_TEST(back, "n1 sees " << cluster.v1->members().dump() << "; n3 sees "
                              << cluster.v3->members().dump());
}

BOOST_AUTO_TEST_CASE(stopped_node_is_seen_left) {
  three_members cluster;
  BOOST_TEST(cluster.n2->process().terminate(seconds{5}) == 0);
  bool left = poll_until(seconds{3}, [&] {
    return cluster.v1->state_of("n2") == "left"
           && cluster.v3->state_of("n2") == "left";
  });
  BOOST_TEST(left, cluster.v1->members().dump());
}

BOOST_AUTO_TEST_CASE(restarted_node_rejoins_with_new_incarnation) {
  three_members cluster;
  auto before = cluster.v1->members();
  std::uint64_t old_incarnation = 0;
  for (const auto& member : before)
    if (member["node_id"] == "n3")
      old_incarnation = member["incarnation"].get<std::uint64_t>();
  ::kill(cluster.n3->process().pid(), SIGKILL);
  BOOST_TEST_REQUIRE(poll_until(seconds{3}, [&] {
    return cluster.v1->state_of("n3") == "down";
  }));

  // Clock resolution: the new run must start in a later millisecond.
  std::this_thread::sleep_for(milliseconds{5});
  auto again = start_cluster_member("n3", {cluster.v1->address()});
  bool rejoined = poll_until(seconds{10}, [&] {
    for (const auto& member : cluster.v1->members())
      if (member["node_id"] == "n3" && member["state"] == "alive"
          && member["incarnation"].get<std::uint64_t>() > old_incarnation)
        return true;
    return false;
  });
  BOOST_TEST(rejoined, cluster.v1->members().dump());
  BOOST_TEST(poll_until(seconds{5}, [&] {
    return cluster.v2->state_of("n3") == "alive";
  }));
}

BOOST_AUTO_TEST_SUITE_END()
