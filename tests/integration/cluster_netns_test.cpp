// Two `corral node` processes with CurveZMQ on separate hosts: each runs
// in its own network namespace, and the namespaces are joined by a veth
// pair with addresses of 10.231.0.0/30, which exist only inside them. The test cuts
// the link, checks that each node declares the other down, restores it and
// checks that they see each other alive again.
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
    if (::kill(pid, 0) != 0 && errno == ESRCH)
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

/// The namespace names, deleted on destruction whatever was created.
/// Deleting a namespace also deletes the veth end inside it, and with it
/// the peer end.
struct namespace_names {
  std::string a = namespace_prefix + std::to_string(::getpid()) + "-a";
  std::string b = namespace_prefix + std::to_string(::getpid()) + "-b";

  namespace_names() = default;
  namespace_names(const namespace_names&) = delete;
  namespace_names& operator=(const namespace_names&) = delete;

  ~namespace_names() {
    run_ip({"netns", "delete", a});
    run_ip({"netns", "delete", b});
  }
};

/// Two network namespaces joined by a veth pair: 10.231.0.1 in `a` and
/// 10.231.0.2 in `b`. Nodes started in them are removed before the
/// namespaces, because they are declared after this object.
class namespace_pair {
public:
  namespace_pair()
    : veth_a_("crl" + std::to_string(::getpid()) + "a"),
      veth_b_("crl" + std::to_string(::getpid()) + "b") {
    delete_stale_namespaces();
    require_ip({"netns", "add", names_.a});
    require_ip({"netns", "add", names_.b});
    // Both ends are created inside the namespaces, so no interface of
    // this test ever appears in the host's namespace.
    require_ip({"link", "add", veth_a_, "netns", names_.a, "type", "veth",
                "peer", "name", veth_b_, "netns", names_.b});
    require_ip({"-n", names_.a, "addr", "add", "10.231.0.1/30", "dev",
                veth_a_});
    require_ip({"-n", names_.b, "addr", "add", "10.231.0.2/30", "dev",
                veth_b_});
    for (const auto& name : {names_.a, names_.b})
      require_ip({"-n", name, "link", "set", "lo", "up"});
    set_link(true);
  }

  /// Brings the link up or down at `a`'s end. Down drops every packet
  /// without closing a connection, as a cut cable or partition does.
  void set_link(bool up) {
    require_ip({"-n", names_.a, "link", "set", veth_a_, up ? "up" : "down"});
    if (up)
      require_ip({"-n", names_.b, "link", "set", veth_b_, "up"});
  }

  /// Returns the command prefix that runs a program in namespace `a` or
  /// `b`.
  std::vector<std::string> launcher(char side) const {
    return {ip_path(), "netns", "exec", side == 'a' ? names_.a : names_.b};
  }

private:
  static void require_ip(const std::vector<std::string>& args) {
    auto result = run_ip(args);
    std::string command = ip_path();
    for (const auto& arg : args)
      command += " " + arg;
    BOOST_TEST_REQUIRE(result.exit_code == 0, command << ": "
                                                      << summary(result));
  }

  namespace_names names_;
  std::string veth_a_;
  std::string veth_b_;
};

/// Starts cluster node `id` with CurveZMQ in namespace `side` on its veth
/// address. It accepts the key of `peer` and joins through `seed`
/// (NODE_ID@ADDRESS) if given.
std::unique_ptr<node_process>
start_in_namespace(const namespace_pair& hosts, const key_ring& keys,
                   char side, const std::string& id, const std::string& peer,
                   const std::string& address, const std::string& seed = {}) {
  return std::make_unique<node_process>(
    id, keyed_member_args(keys, id, {peer}, seed, "tcp://" + address + ":0"),
    hosts.launcher(side));
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
  namespace_pair hosts;
  auto a = start_in_namespace(hosts, keys, 'a', "ns-a", "ns-b", "10.231.0.1");
  member_view view_a{*a};
  auto address_a = view_a.address();
  BOOST_TEST_REQUIRE(address_a.rfind("tcp://10.231.0.1:", 0) == 0u,
                     address_a);
  auto b = start_in_namespace(hosts, keys, 'b', "ns-b", "ns-a", "10.231.0.2",
                              "ns-a@" + address_a);
  member_view view_b{*b};
  std::vector<std::string> ids{"ns-a", "ns-b"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return all_alive(view_a, ids) && all_alive(view_b, ids);
  }), "ns-a sees " << view_a.members().dump() << "; ns-b sees "
                   << view_b.members().dump());

  // Three cuts, so that the output gives a median of each figure.
  constexpr int cuts = 3;
  std::vector<long long> down_at_a, down_at_b, rejoined;
  for (int cut = 0; cut < cuts; ++cut) {
    hosts.set_link(false);
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

    hosts.set_link(true);
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

  BOOST_TEST(a->process().running());
  BOOST_TEST(b->process().running());
  BOOST_TEST(view_a.transport_stats()["refused_keys"] == 0);
  BOOST_TEST(view_b.transport_stats()["refused_keys"] == 0);
}

BOOST_AUTO_TEST_SUITE_END()
