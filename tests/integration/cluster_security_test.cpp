// CurveZMQ between real `corral node` processes on 127.0.0.1: `corral
// keygen`, clusters with keys, a node with an unknown key, a node that
// claims another node's id, and the key options of the CLI.

#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "remote_cluster.hpp"

using namespace corral::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(keygen_writes_private_key_file) {
  key_ring keys;
  auto key = keys.make("n1");
  struct stat info{};
  BOOST_TEST_REQUIRE(::stat((keys.prefix("n1") + ".key").c_str(), &info) == 0);
  BOOST_TEST((info.st_mode & 0777) == 0600u);
  BOOST_TEST(::stat((keys.prefix("n1") + ".pub").c_str(), &info) == 0);
}

BOOST_AUTO_TEST_CASE(keygen_refuses_to_overwrite) {
  key_ring keys;
  keys.make("n1");
  auto again = run_corral({"keygen", "--out", keys.prefix("n1")});
  BOOST_TEST(again.exit_code == 1, summary(again));
  BOOST_TEST(contains(again.err, "exists already"), again.err);
  BOOST_TEST(contains(again.err, "--force"), again.err);

  auto forced = run_corral({"keygen", "--out", keys.prefix("n1"), "--force"});
  BOOST_TEST(forced.exit_code == 0, summary(forced));
}

BOOST_AUTO_TEST_CASE(listen_without_keys_is_usage_error) {
  auto result = run_corral({"node", "--id", "x", "--listen",
                            "tcp://127.0.0.1:0"});
  BOOST_TEST(result.exit_code == 2, summary(result));
  BOOST_TEST(contains(result.err, "--key"), result.err);
  BOOST_TEST(contains(result.err, "--insecure"), result.err);
  BOOST_TEST(contains(result.err, "corral keygen"), result.err);
}

BOOST_AUTO_TEST_CASE(listen_without_peer_key_is_usage_error) {
  key_ring keys;
  keys.make("x");
  auto result = run_corral({"node", "--id", "x", "--listen",
                            "tcp://127.0.0.1:0", "--key",
                            keys.prefix("x") + ".key"});
  BOOST_TEST(result.exit_code == 2, summary(result));
  BOOST_TEST(contains(result.err, "peer key"), result.err);
}

BOOST_AUTO_TEST_CASE(bad_peer_key_names_value) {
  key_ring keys;
  keys.make("x");
  auto result = run_corral({"node", "--id", "x", "--listen",
                            "tcp://127.0.0.1:0", "--key",
                            keys.prefix("x") + ".key", "--peer-key",
                            "n2=tooshort"});
  BOOST_TEST(result.exit_code == 2, summary(result));
  BOOST_TEST(contains(result.err, "n2=tooshort"), result.err);
}

BOOST_AUTO_TEST_CASE(insecure_logs_warning) {
  node_process node{"w1", {"--listen", "tcp://127.0.0.1:0", "--insecure"}};
  BOOST_TEST(contains(node.process().err(),
                      "node-to-node traffic is neither authenticated nor "
                      "encrypted"),
             node.process().err());
}

BOOST_AUTO_TEST_CASE(two_keyed_nodes_join) {
  key_ring keys;
  keys.make("n1");
  keys.make("n2");
  auto n1 = start_keyed_member(keys, "n1", "n1", {"n2"});
  member_view v1{*n1};
  auto n2 = start_keyed_member(keys, "n2", "n2", {"n1"}, "n1@" + v1.address());
  member_view v2{*n2};
  bool joined = poll_until(seconds{10}, [&] {
    return all_alive(v1, {"n1", "n2"}) && all_alive(v2, {"n1", "n2"});
  });
  BOOST_TEST(joined, "n1: " << v1.members().dump()
                            << " n2: " << v2.members().dump());
  BOOST_TEST(v1.transport_stats()["refused_keys"] == 0);
  BOOST_TEST(contains(n1->process().err(), "CurveZMQ on"),
             n1->process().err());
}

BOOST_AUTO_TEST_CASE(three_keyed_nodes_join) {
  key_ring keys;
  for (const auto* id : {"n1", "n2", "n3"})
    keys.make(id);
  auto n1 = start_keyed_member(keys, "n1", "n1", {"n2", "n3"});
  member_view v1{*n1};
  auto seed = "n1@" + v1.address();
  auto n2 = start_keyed_member(keys, "n2", "n2", {"n1", "n3"}, seed);
  auto n3 = start_keyed_member(keys, "n3", "n3", {"n1", "n2"}, seed);
  member_view v2{*n2};
  member_view v3{*n3};
  std::vector<std::string> ids{"n1", "n2", "n3"};
  bool joined = poll_until(seconds{10}, [&] {
    return all_alive(v1, ids) && all_alive(v2, ids) && all_alive(v3, ids);
  });
  BOOST_TEST(joined, "n2: " << v2.members().dump()
                            << " n3: " << v3.members().dump());
}

BOOST_AUTO_TEST_CASE(unknown_key_is_refused) {
  key_ring keys;
  for (const auto* id : {"n1", "n2", "n3"})
    keys.make(id);
  // n1 and n2 accept each other only. n3 has n1's key, but n1 lacks
  // n3's.
  auto n1 = start_keyed_member(keys, "n1", "n1", {"n2"});
  member_view v1{*n1};
  auto seed = "n1@" + v1.address();
  auto n2 = start_keyed_member(keys, "n2", "n2", {"n1"}, seed);
  auto n3 = start_keyed_member(keys, "n3", "n3", {"n1"}, seed);
  member_view v2{*n2};

  bool refused = poll_until(seconds{10}, [&] {
    return v1.transport_stats()["refused_keys"].get<int>() > 0;
  });
  BOOST_TEST(refused, v1.transport_stats().dump());
  BOOST_TEST(poll_until(seconds{10},
                        [&] { return all_alive(v1, {"n1", "n2"})
                                     && all_alive(v2, {"n1", "n2"}); }),
             v1.members().dump());
  // Give n3 time for several hellos; it must never become a member of n1.
  std::this_thread::sleep_for(milliseconds{1500});
  BOOST_TEST(v1.state_of("n3") == "absent", v1.members().dump());
  BOOST_TEST(v2.state_of("n3") == "absent", v2.members().dump());
  BOOST_TEST(all_alive(v1, {"n1", "n2"}), v1.members().dump());

  auto log = n1->process().err();
  BOOST_TEST(contains(log, "refused a Curve client"), log);
  BOOST_TEST(contains(log, "node=n1 net: refused a Curve client"), log);
  // At most one line per key and minute, however often n3 retried.
  std::size_t lines = 0;
  for (auto at = log.find("refused a Curve client"); at != std::string::npos;
       at = log.find("refused a Curve client", at + 1))
    ++lines;
  BOOST_TEST(lines == 1u, log);

  // n3 learns why its seed stays silent, once a minute.
  auto joiner_log = n3->process().err();
  const std::string refusal = "node n1 at " + v1.address()
                              + " refused this node's public key";
  BOOST_TEST(contains(joiner_log, refusal), joiner_log);
  BOOST_TEST(joiner_log.find(refusal) == joiner_log.rfind(refusal),
             joiner_log);
}

BOOST_AUTO_TEST_CASE(wrong_seed_key_is_logged) {
  key_ring keys;
  for (const auto* id : {"n1", "n2", "n3"})
    keys.make(id);
  auto n1 = start_keyed_member(keys, "n1", "n1", {"n2"});
  member_view v1{*n1};
  // n2 takes n3's public key for n1's, so its handshakes with n1 fail.
  auto args = keyed_member_args(keys, "n2", {}, "n1@" + v1.address());
  args.push_back("--peer-key");
  args.push_back("n1=" + keys.public_key("n3"));
  node_process n2{"n2", args};

  const std::string failure = "the CurveZMQ handshake with n1 at "
                              + v1.address() + " failed";
  bool logged = poll_until(seconds{10}, [&] {
    return contains(n2.process().err(), failure);
  });
  BOOST_TEST(logged, n2.process().err());
  std::this_thread::sleep_for(milliseconds{1000});
  auto log = n2.process().err();
  BOOST_TEST(log.find(failure) == log.rfind(failure), log);
  BOOST_TEST(v1.state_of("n2") == "absent", v1.members().dump());
}

BOOST_AUTO_TEST_CASE(claimed_node_id_is_refused) {
  key_ring keys;
  for (const auto* id : {"n1", "n3", "n4"})
    keys.make(id);
  // n1 accepts n3 and n4. The impostor has n4's key but calls itself n3.
  auto n1 = start_keyed_member(keys, "n1", "n1", {"n3", "n4"});
  member_view v1{*n1};
  auto impostor = start_keyed_member(keys, "n3", "n4", {"n1"},
                              "n1@" + v1.address());

  bool dropped = poll_until(seconds{10}, [&] {
    return v1.transport_stats()["dropped"]["key_mismatch"].get<int>() > 0;
  });
  BOOST_TEST(dropped, v1.transport_stats().dump());
  std::this_thread::sleep_for(milliseconds{1000});
  BOOST_TEST(v1.state_of("n3") == "absent", v1.members().dump());
  BOOST_TEST(v1.state_of("n4") == "absent", v1.members().dump());
  auto log = n1->process().err();
  BOOST_TEST(contains(log, "Curve key of n4 claims to be \"n3\""), log);
}
