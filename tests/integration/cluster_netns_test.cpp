// `corral node` processes with CurveZMQ on separate hosts. Each runs in
// its own network namespace, every two namespaces are joined by a veth
// pair, and the hosts' addresses (10.231.1.1 to 10.231.1.3) exist only
// inside them. The tests cut a link, check that the two nodes it joined
// declare each other down while a third node lists both as alive, restore
// the link and check that they list each other as alive again.
//
// It needs root and iproute2 (`ip netns`). Without them it prints a line
// starting with "SKIPPED:", which CTest reports as a skipped test.

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "remote_cluster.hpp"

using namespace corral::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

/// The prefix of this test's namespace names; the test's pid follows it.
const std::string namespace_prefix = "corral-test-";

/// Returns the path of iproute2's `ip`, or an empty string when it is
/// missing. The test's child processes start without a PATH search.
const std::string& ip_path() {
  static const std::string path = [] {
    for (const char* candidate :
         {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
      if (::access(candidate, X_OK) == 0)
        return std::string{candidate};
    return std::string{};
  }();
  return path;
}

/// Runs `ip ARGS...` with a bound of 10 s.
command_result run_ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ip_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, seconds{10});
}

/// Deletes namespaces that earlier runs of this test left behind when they
/// were killed before their cleanup ran: those whose pid no longer runs.
/// The nodes such a run started may still run inside them, so they are
/// killed first.
void delete_stale_namespaces() {
  auto listed = run_ip({"netns", "list"});
  std::istringstream lines{listed.out};
  for (std::string line; std::getline(lines, line);) {
    auto name = line.substr(0, line.find(' '));
    if (name.rfind(namespace_prefix, 0) != 0)
      continue;
    auto pid_text = name.substr(namespace_prefix.size());
    pid_text = pid_text.substr(0, pid_text.find('-'));
    if (pid_text.empty()
        || pid_text.find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) == 0 || errno != ESRCH)
      continue;
    std::istringstream left_over{run_ip({"netns", "pids", name}).out};
    for (pid_t node_pid = 0; left_over >> node_pid;)
      ::kill(node_pid, SIGKILL);
    run_ip({"netns", "delete", name});
  }
}

/// Returns why the test cannot run here, or an empty string.
std::string missing_privileges() {
  if (::geteuid() != 0)
    return "the test must run as root to create network namespaces";
  if (ip_path().empty())
    return "iproute2's `ip` is not installed (scripts/install-deps "
           "installs it)";
  auto listed = run_ip({"netns", "list"});
  if (listed.exit_code != 0)
    return "`ip netns list` failed (is iproute2 installed? "
           "scripts/install-deps installs it): "
           + summary(listed);
  return {};
}

/// Skips the test with a line that CTest matches (SKIP_REGULAR_EXPRESSION)
/// when it cannot run, so that a machine without root never reports a pass.
boost::test_tools::assertion_result can_make_namespaces(
  boost::unit_test::test_unit_id) {
  auto reason = missing_privileges();
  if (reason.empty())
    return true;
  std::cout << "SKIPPED: cluster_netns_test: " << reason << std::endl;
  boost::test_tools::assertion_result result{false};
  result.message() << reason;
  return result;
}

/// The namespaces of one test, deleted on destruction whatever was
/// created. Deleting a namespace also deletes the veth ends inside it, and
/// with them their peers.
struct namespace_names {
  std::vector<std::string> names;

  namespace_names() = default;
  namespace_names(const namespace_names&) = delete;
  namespace_names& operator=(const namespace_names&) = delete;

  ~namespace_names() {
    for (const auto& name : names)
      run_ip({"netns", "delete", name});
  }
};

/// Hosts as network namespaces, every two of them joined by their own veth
/// pair. Host i has the address 10.231.1.(i+1) on its loopback interface
/// and a route to every other host's address over their direct link, so
/// that cutting one link separates exactly two hosts. No host forwards
/// packets. Nodes declared after this object stop before the namespaces
/// go.
class host_mesh {
public:
  explicit host_mesh(std::size_t count) {
    delete_stale_namespaces();
    auto pid = std::to_string(::getpid());
    for (std::size_t i = 0; i < count; ++i) {
      names_.names.push_back(namespace_prefix + pid + "-"
                             + std::to_string(i));
      require_ip({"netns", "add", names_.names.back()});
      require_ip({"-n", names_.names.back(), "addr", "add",
                  address(i) + "/32", "dev", "lo"});
      require_ip({"-n", names_.names.back(), "link", "set", "lo", "up"});
    }
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t j = i + 1; j < count; ++j) {
        // Both ends are created inside the namespaces, so no interface of
        // this test ever appears in the host's namespace.
        require_ip({"link", "add", veth(i, j), "netns", names_.names[i],
                    "type", "veth", "peer", "name", veth(j, i), "netns",
                    names_.names[j]});
        restore(i, j);
      }
  }

  /// Returns the address of host `i`, which exists only inside the mesh.
  static std::string address(std::size_t i) {
    return "10.231.1." + std::to_string(i + 1);
  }

  /// Returns the command prefix that runs a program on host `i`.
  std::vector<std::string> launcher(std::size_t i) const {
    return {ip_path(), "netns", "exec", names_.names[i]};
  }

  /// Takes the link between hosts `i` and `j` down at `i`'s end. Packets
  /// between them are then dropped without closing a connection, as with
  /// a cut cable.
  void cut(std::size_t i, std::size_t j) {
    require_ip({"-n", names_.names[i], "link", "set", veth(i, j), "down"});
  }

  /// Brings the link between hosts `i` and `j` up and sets the route of
  /// each end to the other host again, because taking a link down removes
  /// the routes over it.
  void restore(std::size_t i, std::size_t j) {
    for (auto [from, to] : {std::pair{i, j}, std::pair{j, i}}) {
      require_ip({"-n", names_.names[from], "link", "set", veth(from, to),
                  "up"});
      require_ip({"-n", names_.names[from], "route", "replace",
                  address(to) + "/32", "dev", veth(from, to), "src",
                  address(from)});
    }
  }

private:
  /// Returns the name of host `from`'s end of its link to host `to`,
  /// unique per test run and within the 15 characters of an interface
  /// name.
  static std::string veth(std::size_t from, std::size_t to) {
    return "crl" + std::to_string(::getpid()) + "-" + std::to_string(from)
           + std::to_string(to);
  }

  static void require_ip(const std::vector<std::string>& args) {
    auto result = run_ip(args);
    std::string command = ip_path();
    for (const auto& arg : args)
      command += " " + arg;
    BOOST_TEST_REQUIRE(result.exit_code == 0, command << ": "
                                                      << summary(result));
  }

  namespace_names names_;
};

/// Starts cluster node `id` with CurveZMQ on host `host` of `mesh`. It
/// accepts the keys of `peers` and joins through `seed` (NODE_ID@ADDRESS)
/// if given.
std::unique_ptr<node_process>
start_on_host(const host_mesh& mesh, std::size_t host, const key_ring& keys,
              const std::string& id, const std::vector<std::string>& peers,
              const std::string& seed = {}) {
  auto listen = "tcp://" + host_mesh::address(host) + ":0";
  return std::make_unique<node_process>(
    id, keyed_member_args(keys, id, peers, seed, listen), mesh.launcher(host));
}

/// Spawns a command loop `agent_id` from `from` on member `target`, checks
/// that it replies to an echo through its proxy and returns the spawn
/// result.
nlohmann::json spawn_echo_on(const node_process& from,
                             const std::string& target,
                             const std::string& agent_id) {
  auto spawned = from.corral({"spawn", "--id", agent_id, "--on", target,
                              "--json"});
  BOOST_TEST_REQUIRE(spawned.exit_code == 0,
                     agent_id << " on " << target << ": " << summary(spawned));
  auto reply = from.corral({"send", agent_id, "echo", "across hosts"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out == "across hosts\n");
  return parse_stdout(spawned);
}

long long median(std::vector<long long> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? -1 : values[values.size() / 2];
}

std::string join_numbers(const std::vector<long long>& values) {
  std::string text;
  for (auto value : values)
    text += (text.empty() ? "" : ", ") + std::to_string(value);
  return text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_netns)

BOOST_AUTO_TEST_CASE(partition_is_detected_and_heals,
                     *boost::unit_test::precondition(can_make_namespaces)) {
  key_ring keys;
  keys.make("ns-a");
  keys.make("ns-b");
  host_mesh mesh{2};
  auto a = start_on_host(mesh, 0, keys, "ns-a", {"ns-b"});
  member_view view_a{*a};
  auto address_a = view_a.address();
  BOOST_TEST_REQUIRE(address_a.rfind("tcp://10.231.1.1:", 0) == 0u,
                     address_a);
  auto b = start_on_host(mesh, 1, keys, "ns-b", {"ns-a"}, "ns-a@" + address_a);
  member_view view_b{*b};
  std::vector<std::string> ids{"ns-a", "ns-b"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return all_alive(view_a, ids) && all_alive(view_b, ids);
  }), "ns-a sees " << view_a.members().dump() << "; ns-b sees "
                   << view_b.members().dump());

  // A Remote agent on ns-b, spawned from ns-a, which the first cut ends.
  auto far = spawn_echo_on(*a, "ns-b", "far");
  auto far_proxy = std::to_string(far["pid"].get<int>());

  // Three cuts, so that the output gives a median of each figure.
  constexpr int cuts = 3;
  std::vector<long long> down_at_a, down_at_b, rejoined;
  for (int cut = 0; cut < cuts; ++cut) {
    mesh.cut(0, 1);
    auto cut_at = clock_type::now();
    auto by_a = milliseconds_until_state(view_a, "ns-b", "down", cut_at,
                                         seconds{6});
    auto by_b = milliseconds_until_state(view_b, "ns-a", "down", cut_at,
                                         seconds{6});
    std::cout << "cluster_netns_test: cut " << cut + 1 << ": ns-a saw ns-b "
              << "down after " << by_a << " ms, ns-b saw ns-a down after "
              << by_b << " ms\n";
    // Hang guards only. A silent member should be down within 1.5 s, and
    // 3 s leaves room for a loaded machine.
    BOOST_TEST_REQUIRE(by_a >= 0, "ns-a sees " << view_a.members().dump());
    BOOST_TEST_REQUIRE(by_b >= 0, "ns-b sees " << view_b.members().dump());
    BOOST_TEST(by_a < 3000);
    BOOST_TEST(by_b < 3000);
    down_at_a.push_back(by_a);
    down_at_b.push_back(by_b);

    mesh.restore(0, 1);
    auto restored_at = clock_type::now();
    bool back = poll_until(seconds{20}, [&] {
      return all_alive(view_a, ids) && all_alive(view_b, ids);
    });
    auto back_ms = as_milliseconds(clock_type::now() - restored_at);
    std::cout << "cluster_netns_test: cut " << cut + 1 << ": both alive "
              << back_ms << " ms after the link came back\n";
    BOOST_TEST_REQUIRE(back, "ns-a sees " << view_a.members().dump()
                                          << "; ns-b sees "
                                          << view_b.members().dump());
    rejoined.push_back(back_ms);
  }
  std::cout << "cluster_netns_test: partition seen down, median of " << cuts
            << " cuts: " << median(down_at_a) << " ms by ns-a ("
            << join_numbers(down_at_a) << "), " << median(down_at_b)
            << " ms by ns-b (" << join_numbers(down_at_b)
            << "); rejoined after " << median(rejoined) << " ms ("
            << join_numbers(rejoined) << ")\n";

  auto far_exit = wait_for_exit(view_a, far_proxy, seconds{5});
  BOOST_TEST(far_exit["kind"] == "node_down", far_exit.dump());

  BOOST_TEST(a->process().running());
  BOOST_TEST(b->process().running());
  BOOST_TEST(view_a.transport_stats()["refused_keys"] == 0);
  BOOST_TEST(view_b.transport_stats()["refused_keys"] == 0);
}

BOOST_AUTO_TEST_CASE(cut_link_separates_only_its_two_hosts,
                     *boost::unit_test::precondition(can_make_namespaces)) {
  key_ring keys;
  for (const auto* id : {"h0", "h1", "h2"})
    keys.make(id);
  host_mesh mesh{3};
  auto n0 = start_on_host(mesh, 0, keys, "h0", {"h1", "h2"});
  member_view v0{*n0};
  auto seed = "h0@" + v0.address();
  auto n1 = start_on_host(mesh, 1, keys, "h1", {"h0", "h2"}, seed);
  auto n2 = start_on_host(mesh, 2, keys, "h2", {"h0", "h1"}, seed);
  member_view v1{*n1};
  member_view v2{*n2};
  std::vector<std::string> ids{"h0", "h1", "h2"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return all_alive(v0, ids) && all_alive(v1, ids) && all_alive(v2, ids);
  }), "h1 sees " << v1.members().dump() << "; h2 sees "
                 << v2.members().dump());

  // Only h1 and h2 lose each other. h0 still hears both, and gossip does
  // not spread a down verdict, so h0 must see both alive all along.
  mesh.cut(1, 2);
  auto cut_at = clock_type::now();
  std::vector<std::string> wrong;
  auto observe = [&] {
    if (!all_alive(v0, ids))
      wrong.push_back("h0 sees " + v0.members().dump());
    if (v1.state_of("h0") != "alive")
      wrong.push_back("h1 sees h0 " + v1.state_of("h0"));
    if (v2.state_of("h0") != "alive")
      wrong.push_back("h2 sees h0 " + v2.state_of("h0"));
  };
  bool separated = poll_until(seconds{6}, [&] {
    observe();
    return v1.state_of("h2") == "down" && v2.state_of("h1") == "down";
  });
  auto separated_ms = as_milliseconds(clock_type::now() - cut_at);
  std::cout << "cluster_netns_test: h1 and h2 saw each other down "
            << separated_ms << " ms after their link was cut\n";
  BOOST_TEST_REQUIRE(separated, "h1 sees " << v1.members().dump()
                                           << "; h2 sees "
                                           << v2.members().dump());
  BOOST_TEST(separated_ms < 3000);

  // For one more second, gossip from h0 lists h2 alive, but h1 must keep
  // h2 down, because only its own observations count.
  auto settle_until = clock_type::now() + milliseconds{1000};
  while (clock_type::now() < settle_until) {
    observe();
    std::this_thread::sleep_for(milliseconds{20});
  }
  BOOST_TEST(v1.state_of("h2") == "down", v1.members().dump());
  BOOST_TEST(v2.state_of("h1") == "down", v2.members().dump());
  BOOST_TEST(wrong.empty(), wrong.size() << " wrong views, first: "
                                         << (wrong.empty() ? std::string{}
                                                           : wrong.front()));

  mesh.restore(1, 2);
  auto restored_at = clock_type::now();
  bool healed = poll_until(seconds{20}, [&] {
    return all_alive(v1, ids) && all_alive(v2, ids);
  });
  std::cout << "cluster_netns_test: h1 and h2 alive again "
            << as_milliseconds(clock_type::now() - restored_at)
            << " ms after their link came back\n";
  BOOST_TEST(healed, "h1 sees " << v1.members().dump() << "; h2 sees "
                                << v2.members().dump());
}

BOOST_AUTO_TEST_SUITE_END()
