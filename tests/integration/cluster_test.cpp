// Clusters of real `corral node` processes on 127.0.0.1: joining through a
// seed, failure detection of a killed and of a frozen node, leaving,
// restarting, garbage frames, and the cluster options of the CLI.

#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli_checks.hpp"
#include "net/control_client.hpp"
#include "node_process.hpp"
#include "serialization/wire_frame.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

/// Starts `corral node` in cluster mode on a free loopback port.
std::unique_ptr<node_process> start_member(const std::string& id,
                                           const std::vector<std::string>& seeds
                                           = {}) {
  std::vector<std::string> args{"--listen", "tcp://127.0.0.1:0", "--insecure"};
  for (const auto& seed : seeds) {
    args.push_back("--seed");
    args.push_back(seed);
  }
  return std::make_unique<node_process>(id, args);
}

/// A control client inside the test process: polling through it takes
/// about a millisecond, so detection times are measured closely.
class node_view {
public:
  explicit node_view(const node_process& node) {
    control_address address;
    address.path = node.control_path();
    auto client = control_client::connect(address, {});
    BOOST_TEST_REQUIRE(static_cast<bool>(client), client.error().detail);
    client_ = std::move(*client);
  }

  /// Returns the "members" of a "nodes" reply, or an empty array on
  /// failure.
  json members() {
    auto reply = client_->request({{"op", "nodes"}}, seconds{2});
    return reply ? (*reply)["members"] : json::array();
  }

  /// Returns the state of member `id`, or "absent".
  std::string state_of(const std::string& id) {
    for (const auto& member : members())
      if (member["node_id"] == id)
        return member["state"].get<std::string>();
    return "absent";
  }

  /// This node's cluster address.
  std::string address() {
    auto list = members();
    return list.empty() ? std::string{} : list[0]["address"].get<std::string>();
  }

  json stats() {
    auto reply = client_->request({{"op", "stats"}}, seconds{2});
    return reply ? (*reply)["stats"] : json::object();
  }

private:
  std::unique_ptr<control_client> client_;
};

/// Polls `condition` every 5 ms until it is true or `timeout` passes.
bool wait_until(milliseconds timeout, const std::function<bool()>& condition) {
  auto deadline = clock_type::now() + timeout;
  while (clock_type::now() < deadline) {
    if (condition())
      return true;
    std::this_thread::sleep_for(milliseconds{5});
  }
  return condition();
}

bool all_alive(node_view& view, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (view.state_of(id) != "alive")
      return false;
  return true;
}

/// Three members n1, n2, n3 that joined through n1 and see each other
/// alive.
struct three_nodes {
  std::unique_ptr<node_process> n1, n2, n3;
  std::unique_ptr<node_view> v1, v2, v3;
  std::vector<std::string> ids{"n1", "n2", "n3"};
  long long join_ms = 0;

  three_nodes() {
    n1 = start_member("n1");
    v1 = std::make_unique<node_view>(*n1);
    auto seed = v1->address();
    BOOST_TEST_REQUIRE(seed.rfind("tcp://127.0.0.1:", 0) == 0u, seed);
    auto start = clock_type::now();
    n2 = start_member("n2", {seed});
    n3 = start_member("n3", {seed});
    v2 = std::make_unique<node_view>(*n2);
    v3 = std::make_unique<node_view>(*n3);
    bool joined = wait_until(seconds{10}, [&] {
      return all_alive(*v1, ids) && all_alive(*v2, ids) && all_alive(*v3, ids);
    });
    join_ms = as_milliseconds(clock_type::now() - start);
    BOOST_TEST_REQUIRE(joined, "members seen by n3: " << v3->members().dump());
  }

  /// Milliseconds until `view` sees `id` in `state`, or -1 after `limit`.
  static long long time_until(node_view& view, const std::string& id,
                              const std::string& state,
                              clock_type::time_point since, milliseconds limit) {
    if (!wait_until(limit, [&] { return view.state_of(id) == state; }))
      return -1;
    return as_milliseconds(clock_type::now() - since);
  }
};

/// Resumes a stopped process when the test ends, even on failure.
struct continue_at_exit {
  pid_t pid;
  ~continue_at_exit() {
    ::kill(pid, SIGCONT);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster)

BOOST_AUTO_TEST_CASE(three_nodes_join_through_one_seed) {
  three_nodes cluster;
  std::cout << "cluster_test: three nodes saw each other alive after "
            << cluster.join_ms << " ms\n";

  auto table = cluster.n2->corral({"nodes"});
  BOOST_TEST(table.exit_code == 0, summary(table));
  BOOST_TEST(table.out.find("LAST HEARTBEAT") != std::string::npos, table.out);
  BOOST_TEST(table.out.find("n2 (this node)") != std::string::npos, table.out);

  // Agent counts and round trips come with heartbeats and their
  // acknowledgements, which start after the hellos.
  wait_until(seconds{2}, [&] {
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
  three_nodes cluster;
  BOOST_TEST_REQUIRE(
    cluster.n3->corral({"spawn", "--id", "w1", "--type", "worker"}).exit_code
    == 0);
  bool seen = wait_until(seconds{3}, [&] {
    for (const auto& member : cluster.v1->members())
      if (member["node_id"] == "n3" && member["agents"] == 1)
        return true;
    return false;
  });
  BOOST_TEST(seen, cluster.v1->members().dump());
}

BOOST_AUTO_TEST_CASE(killed_node_is_seen_down_quickly) {
  three_nodes cluster;
  ::kill(cluster.n3->process().pid(), SIGKILL);
  auto killed = clock_type::now();
  auto by_n1 = three_nodes::time_until(*cluster.v1, "n3", "down", killed,
                                       seconds{5});
  auto by_n2 = three_nodes::time_until(*cluster.v2, "n3", "down", killed,
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
  three_nodes cluster;
  auto pid = cluster.n3->process().pid();
  continue_at_exit resume{pid};
  ::kill(pid, SIGSTOP);
  auto stopped = clock_type::now();
  auto by_n1 = three_nodes::time_until(*cluster.v1, "n3", "down", stopped,
                                       seconds{6});
  auto by_n2 = three_nodes::time_until(*cluster.v2, "n3", "down", stopped,
                                       seconds{6});
  std::cout << "cluster_test: SIGSTOP of n3 seen down by n1 after " << by_n1
            << " ms, by n2 after " << by_n2 << " ms\n";
  BOOST_TEST(by_n1 >= 0);
  BOOST_TEST(by_n2 >= 0);
  BOOST_TEST(by_n1 < 3000);
  BOOST_TEST(by_n2 < 3000);

  ::kill(pid, SIGCONT);
  bool back = wait_until(seconds{5}, [&] {
    return all_alive(*cluster.v1, cluster.ids)
           && all_alive(*cluster.v2, cluster.ids)
           && all_alive(*cluster.v3, cluster.ids);
  });
  BOOST_TEST(back, "n1 sees " << cluster.v1->members().dump() << "; n3 sees "
                              << cluster.v3->members().dump());
}

BOOST_AUTO_TEST_CASE(stopped_node_is_seen_left) {
  three_nodes cluster;
  BOOST_TEST(cluster.n2->process().terminate(seconds{5}) == 0);
  bool left = wait_until(seconds{3}, [&] {
    return cluster.v1->state_of("n2") == "left"
           && cluster.v3->state_of("n2") == "left";
  });
  BOOST_TEST(left, cluster.v1->members().dump());
}

BOOST_AUTO_TEST_CASE(restarted_node_rejoins_with_new_incarnation) {
  three_nodes cluster;
  auto before = cluster.v1->members();
  std::uint64_t old_incarnation = 0;
  for (const auto& member : before)
    if (member["node_id"] == "n3")
      old_incarnation = member["incarnation"].get<std::uint64_t>();
  ::kill(cluster.n3->process().pid(), SIGKILL);
  BOOST_TEST_REQUIRE(wait_until(seconds{3}, [&] {
    return cluster.v1->state_of("n3") == "down";
  }));

  // Clock resolution: the new run must start in a later millisecond.
  std::this_thread::sleep_for(milliseconds{5});
  auto again = start_member("n3", {cluster.v1->address()});
  bool rejoined = wait_until(seconds{10}, [&] {
    for (const auto& member : cluster.v1->members())
      if (member["node_id"] == "n3" && member["state"] == "alive"
          && member["incarnation"].get<std::uint64_t>() > old_incarnation)
        return true;
    return false;
  });
  BOOST_TEST(rejoined, cluster.v1->members().dump());
  BOOST_TEST(wait_until(seconds{5}, [&] {
    return cluster.v2->state_of("n3") == "alive";
  }));
}

BOOST_AUTO_TEST_SUITE_END()
